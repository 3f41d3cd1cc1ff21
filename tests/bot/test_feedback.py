"""The feedback store: votes with the question and answer id, voters only as salted hashes."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.feedback import FeedbackStore

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
