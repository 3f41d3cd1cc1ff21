"""The feedback store: votes with the question and answer id, voters only as salted hashes;
in SQLite, or in PostgreSQL shared by every bot process (with the shared rate limit)."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from bot.chat.feedback import FeedbackStore
from bot.chat.ratelimit import SharedWindowLimiter
from tests.index.store.cluster.conftest import ClusterServers, cluster_servers  # noqa: F401 - the shared server fixture

VOTER = 123456789012345678


def test_a_vote_is_stored_with_the_question_and_a_salted_hash(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.db")
    store.record_answer("abc123", "Did Hyundai confirm the plant deal?")
    result = store.record_vote("abc123", VOTER, "up")
    assert result.changed and result.question == "Did Hyundai confirm the plant deal?"
    with sqlite3.connect(tmp_path / "feedback.db") as db:
        rows = db.execute("SELECT question, answer_id, vote, voter_hash FROM votes").fetchall()
    assert rows == [("Did Hyundai confirm the plant deal?", "abc123", "up", store.voter_hash(VOTER))]
    assert len(rows[0][3]) == 64 and str(VOTER) not in rows[0][3]
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert str(VOTER).encode() not in data


def test_voting_again_replaces_the_vote(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.db")
    assert store.record_vote("abc", VOTER, "up").changed
    assert not store.record_vote("abc", VOTER, "up").changed
    assert store.record_vote("abc", VOTER, "down").changed
    store.record_vote("abc", VOTER + 1, "down")
    assert store.tally("abc") == {"up": 0, "down": 2}
    assert store.tally("other") == {"up": 0, "down": 0}
    assert store.record_vote("unknown-answer", VOTER, "up").question is None


def test_the_salt_is_per_install_and_survives_restarts(tmp_path: Path) -> None:
    one = FeedbackStore(tmp_path / "one" / "feedback.db")
    first = one.voter_hash(VOTER)
    assert FeedbackStore(tmp_path / "one" / "feedback.db").voter_hash(VOTER) == first
    assert FeedbackStore(tmp_path / "two" / "feedback.db").voter_hash(VOTER) != first


def test_questions_are_remembered_for_follow_ups(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.db")
    assert store.question_for("abc") is None
    store.record_answer("abc", "first")
    store.record_answer("abc", "second")  # an answer id names one answer: the first record stays
    assert store.question_for("abc") == "first"


def test_bad_votes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        FeedbackStore(tmp_path / "feedback.db").record_vote("abc", VOTER, "meh")  # type: ignore[arg-type]


def test_votes_from_many_threads(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.db")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: store.record_vote("abc", i, "up" if i % 3 else "down"), range(60)))
    assert store.tally("abc") == {"up": 40, "down": 20}


# ---------------------------------------------------------------- shared through PostgreSQL


@pytest.fixture
def database_url(cluster_servers: ClusterServers) -> str:  # noqa: F811 - the imported fixture
    """A fresh database on the session's throwaway PostgreSQL (tests/index/store/cluster/conftest.py)."""
    return cluster_servers.new_database()


def test_votes_and_questions_are_shared_through_postgresql(database_url: str, tmp_path: Path) -> None:
    one = FeedbackStore(tmp_path / "one" / "feedback.db", database_url)   # two bot processes
    two = FeedbackStore(tmp_path / "two" / "feedback.db", database_url)
    one.record_answer("abc", "Did Hyundai confirm the plant deal?")
    assert two.question_for("abc") == "Did Hyundai confirm the plant deal?"
    assert one.voter_hash(VOTER) == two.voter_hash(VOTER)  # one salt for the whole cluster
    assert one.record_vote("abc", VOTER, "up").changed
    assert not two.record_vote("abc", VOTER, "up").changed
    assert two.record_vote("abc", VOTER, "down").question == "Did Hyundai confirm the plant deal?"
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: (one if i % 2 else two).record_vote("abc", 1000 + i, "up"), range(20)))
    assert one.tally("abc") == {"up": 20, "down": 1}
    assert not (tmp_path / "one").exists() and not (tmp_path / "two").exists()
    with psycopg.connect(database_url) as conn:
        hashes = [r[0] for r in conn.execute("SELECT voter_hash FROM feedback.votes")]
    assert len(hashes) == 21 and all(str(VOTER) not in h for h in hashes)


def test_the_rate_limit_is_shared_by_every_process(database_url: str) -> None:
    one, two = SharedWindowLimiter(database_url, 3, 60.0), SharedWindowLimiter(database_url, 3, 60.0)
    assert one.hit("member").allowed and two.hit("member").allowed
    assert one.hit("member").remaining == 0
    refused = two.hit("member")
    assert not refused.allowed and 0 < refused.retry_after <= 60.0
    assert one.hit("someone else").allowed
    two.reset("member")
    assert one.hit("member").allowed
    short = SharedWindowLimiter(database_url, 1, 0.5)
    assert short.hit("quick").allowed and not short.hit("quick").allowed
    time.sleep(0.6)  # the window passes: the hit no longer counts
    assert short.hit("quick").allowed
