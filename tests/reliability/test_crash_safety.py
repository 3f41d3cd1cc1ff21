"""Crash safety: SIGKILL `newsbot index add` at random points (tests/reliability/crash_add.py).

CI runs the quick mode (40 generated articles, 5 kills); the 609-article run is slow and
runs with NEWSBOT_SLOW_TESTS=1 (or directly: python tests/reliability/crash_add.py --full).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from index.embedding import Embedder
from tests.reliability import crash_add
from tests.reliability.figures import record


def test_sigkill_at_random_points_of_an_add_leaves_every_article_whole_or_absent(
        tmp_path: Path, embedder: Embedder) -> None:
    source = tmp_path / "articles.jsonl"
    crash_add.write_generated_articles(source, 40)
    seed = random.randrange(100000)
    outcome = crash_add.run(source, kills=5, seed=seed, work=tmp_path,
                            estimate=crash_add.RateEstimate(startup=5.0, batch_seconds=4.0),
                            max_attempts=12, require_partial=True)
    record("kills survived", True, outcome.survived)
    record("kills survived", False, outcome.kills - outcome.survived)
    report = "\n".join(outcome.log)
    assert outcome.kills >= 5, report
    assert outcome.survived == outcome.kills, report
    assert outcome.partial_states >= 1, f"no kill landed between two batches (seed {seed}):\n{report}"
    assert outcome.final_ok, report


@pytest.mark.slow
def test_sigkill_during_the_609_article_multihop_add(tmp_path: Path) -> None:
    if not crash_add.MULTIHOP_ARTICLES.is_file():
        pytest.skip(f"{crash_add.MULTIHOP_ARTICLES} is not here")
    outcome = crash_add.run(crash_add.MULTIHOP_ARTICLES, kills=20, seed=random.randrange(100000), work=tmp_path,
                            estimate=crash_add.RateEstimate(startup=15.0, batch_seconds=60.0))
    record("kills survived (609 articles)", True, outcome.survived)
    record("kills survived (609 articles)", False, outcome.kills - outcome.survived)
    report = "\n".join(outcome.log)
    assert outcome.kills >= 20 and outcome.survived == outcome.kills and outcome.final_ok, report
