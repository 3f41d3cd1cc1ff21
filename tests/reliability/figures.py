"""The figures the issue asks for, collected while the tests run and printed at the end of
pytest's output by this folder's conftest (one module, so tests and conftest share it)."""

from __future__ import annotations

import os
from collections import Counter

SLOW = os.environ.get("NEWSBOT_SLOW_TESTS") == "1"

# name → [successes, attempts]
FIGURES: dict[str, list[int]] = {}
FUZZ_CASES: Counter[str] = Counter()


def record(figure: str, ok: bool, n: int = 1) -> None:
    entry = FIGURES.setdefault(figure, [0, 0])
    entry[0] += n if ok else 0
    entry[1] += n
