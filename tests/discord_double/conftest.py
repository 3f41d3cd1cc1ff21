"""Attach the bot subprocess log to failing tests in this folder."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from .process import add_bot_logs_to_report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report = yield
    add_bot_logs_to_report(report, getattr(item, "funcargs", {}))
    return report
