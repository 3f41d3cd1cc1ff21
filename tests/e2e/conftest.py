"""Attach the newsbot process log to failing end-to-end tests."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from tests.discord_double.process import add_bot_logs_to_report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    add_bot_logs_to_report(report, getattr(item, "funcargs", {}))
    return report
