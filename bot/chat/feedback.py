"""👍/👎 votes on the bot's answers, kept in SQLite next to the knowledge base.

Usage::

    from bot.chat.feedback import FeedbackStore
    store = FeedbackStore(settings.data_dir / "feedback.db")
    store.record_answer(answer.answer_id, answer.question)   # when the answer is sent
    store.record_vote(answer.answer_id, voter_id=1234, vote="up")
    store.tally(answer.answer_id)                            # {"up": 1, "down": 0}

A vote row holds the question, the answer's id, the vote and a SHA-256 of the voter's
id salted with a random per-install secret; the raw Discord id is never written. The
salt matters because snowflakes are guessable: without it anyone could hash every
member's id and match the votes. One vote per voter and answer: voting again replaces
the earlier vote.

Every call opens its own short connection, so the store can be used from any thread.

With the cluster backend configured (``NEWSBOT_DATABASE_URL``), the same tables live in
PostgreSQL, in a schema of their own named ``feedback``, so every bot process shares the
votes, the remembered questions and the salt::

    store = FeedbackStore.for_settings(settings)   # PostgreSQL when configured, else the file
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Vote = Literal["up", "down"]
VOTES: tuple[Vote, ...] = ("up", "down")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY,
    question  TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    answer_id  TEXT NOT NULL,
    voter_hash TEXT NOT NULL,
    vote       TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    question   TEXT,
    voted_at   TEXT NOT NULL,
    PRIMARY KEY (answer_id, voter_hash)
);
"""


@dataclass(frozen=True)
class VoteResult:
    vote: Vote
    changed: bool      # False when the same voter cast the same vote before
    question: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class FeedbackStore:
    def __init__(self, path: Path, database_url: str | None = None) -> None:
        self.path = Path(path)
        self.database_url = database_url
        self._lock = threading.Lock()
        self._salt: str | None = None

    @classmethod
    def for_settings(cls, settings: Any) -> FeedbackStore:
        return cls(settings.data_dir / "feedback.db", settings.database_url)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[Any]:
        if self.database_url:
            with self._lock, _postgres(self.database_url) as db:
                yield db
            return
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)
                yield db
            finally:
                db.close()

    def _install_salt(self, db: sqlite3.Connection) -> str:
        if self._salt is None:
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)", (secrets.token_hex(32),))
            self._salt = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
        return self._salt

    def voter_hash(self, voter_id: int | str) -> str:
        """The only form in which a voter is stored."""
        with self._connect() as db:
            salt = self._install_salt(db)
        return self._hash(salt, voter_id)

    @staticmethod
    def _hash(salt: str, voter_id: int | str) -> str:
        return hashlib.sha256(f"{salt}:{voter_id}".encode()).hexdigest()

    def record_answer(self, answer_id: str, question: str) -> None:
        """Remember which question an answer id answered (for votes and follow-ups)."""
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO answers (answer_id, question, created_at) VALUES (?, ?, ?)",
                       (answer_id, question, _now()))

    def question_for(self, answer_id: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT question FROM answers WHERE answer_id = ?", (answer_id,)).fetchone()
        return row[0] if row else None

    def record_vote(self, answer_id: str, voter_id: int | str, vote: Vote) -> VoteResult:
        if vote not in VOTES:
            raise ValueError(f"a vote is one of {VOTES}, not {vote!r}")
        with self._connect() as db:
            voter = self._hash(self._install_salt(db), voter_id)
            row = db.execute("SELECT question FROM answers WHERE answer_id = ?", (answer_id,)).fetchone()
            question = row[0] if row else None
            before = db.execute("SELECT vote FROM votes WHERE answer_id = ? AND voter_hash = ?",
                                (answer_id, voter)).fetchone()
            db.execute(
                "INSERT INTO votes (answer_id, voter_hash, vote, question, voted_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (answer_id, voter_hash) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
                (answer_id, voter, vote, question, _now()),
            )
        return VoteResult(vote, changed=before is None or before[0] != vote, question=question)

    def tally(self, answer_id: str) -> dict[str, int]:
        with self._connect() as db:
            rows = db.execute("SELECT vote, count(*) FROM votes WHERE answer_id = ? GROUP BY vote",
                              (answer_id,)).fetchall()
        counts = dict.fromkeys(VOTES, 0)
        counts.update({vote: n for vote, n in rows})
        return counts


@contextlib.contextmanager
def _postgres(database_url: str) -> Iterator[Any]:
    """A PostgreSQL connection speaking this module's SQLite SQL, in the ``feedback`` schema."""
    import psycopg

    from index.store.cluster.sqlcompat import SqliteCompat

    with psycopg.connect(database_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext('newsbot.feedback.schema'))")
        try:
            conn.execute("CREATE SCHEMA IF NOT EXISTS feedback")
            conn.execute("SET search_path TO feedback")
            db = SqliteCompat(conn)
            db.executescript(SCHEMA)
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('newsbot.feedback.schema'))")
        yield db
