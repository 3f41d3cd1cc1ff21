"""Reliability tests: crash safety, corruption, concurrency, fuzzed input, security, deployment.

The figures the issue asks for (kills survived, corruptions detected, fuzz cases run,
writers serialised) are collected while the tests run and printed in pytest's summary.

Slow tests (the 609-article crash run, long fuzz runs) are marked ``slow`` and skipped
unless ``NEWSBOT_SLOW_TESTS=1``.
"""

from __future__ import annotations

import pytest

from tests.reliability.figures import FIGURES, FUZZ_CASES, SLOW


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SLOW:
        return
    skip = pytest.mark.skip(reason="slow: set NEWSBOT_SLOW_TESTS=1 to run it")
    for item in items:
        if "slow" in item.keywords and "reliability" in str(item.path):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES and not FUZZ_CASES:
        return
    terminalreporter.section("reliability figures")
    for name, (good, total) in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {good}/{total}")
    if FUZZ_CASES:
        parts = ", ".join(f"{kind} {n}" for kind, n in sorted(FUZZ_CASES.items()))
        terminalreporter.write_line(f"fuzz cases run: {sum(FUZZ_CASES.values())} ({parts})")
