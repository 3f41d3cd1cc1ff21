"""The embedded store's SQLite file: its schema and migrations, and the small helpers every
embedded module uses on it (connecting, meta values, a write transaction, telling damage apart).

Usage::

    from index.store.embedded.schema import connect, create_schema, meta, write_transaction
    db = connect(data_dir / "newsbot.db")
    create_schema(db, enrichers)                  # creates or migrates; under the writer lock
    with write_transaction(db):
        bump_generation(db)
    meta(db, "model")                             # 'sentence-transformers/all-MiniLM-L6-v2'
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from index.store.base import ArticleEnricher, KnowledgeBaseError
from index.store.tables import record_tables

SCHEMA_VERSION = 2

SCHEMA = record_tables() + """
CREATE TABLE IF NOT EXISTS chunk_vectors (chunk_id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS removed_chunks (seq INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id INTEGER NOT NULL);
"""
# Version 1 kept BM25 in an FTS5 table (chunks_fts); version 2 keeps it in the tantivy index.
MIGRATIONS = {1: "DROP TABLE IF EXISTS chunks_fts;"}
# Covering indexes for the per-question metadata reads (outlets, chunk metadata, per-outlet
# chunk lists): the body sits before source and published_at in an article row, so without
# them each of those reads walks bodies' overflow pages. Built once on an older store.
COVERING_INDEXES = {"articles_source": "source, id", "articles_meta": "id, source, published_at",
                    "articles_source_day": "source, published_at, id",
                    # A fetched page is a duplicate when another article has its canonical URL.
                    "articles_url": "url"}


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


def create_schema(db: sqlite3.Connection, enrichers: Sequence[ArticleEnricher] = ()) -> None:
    """Creates the tables of a new store, migrates an older one, and adds what is missing."""
    for enricher in enrichers:
        db.executescript(enricher.schema)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == 0:
        db.executescript(SCHEMA)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('epoch', ?)", (uuid.uuid4().hex,))
    elif version in MIGRATIONS:
        db.executescript(MIGRATIONS[version])
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    elif version != SCHEMA_VERSION:
        raise KnowledgeBaseError(
            f"the knowledge base has schema version {version}; this newsbot reads version {SCHEMA_VERSION}")
    for name, columns in COVERING_INDEXES.items():
        db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON articles({columns})")


def schema_is_current(db: sqlite3.Connection, enrichers: Sequence[ArticleEnricher] = ()) -> bool:
    """Whether opening needs no schema change (and so no writer lock)."""
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        return False
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type IN ('table', 'index')")}
    wanted = [*COVERING_INDEXES, *(table for enricher in enrichers
                                   for table in (*enricher.tables, *getattr(enricher, "derived_tables", ())))]
    return all(name in names for name in wanted)


def damaged(path: Path, exc: sqlite3.DatabaseError) -> KnowledgeBaseError:
    """The error a user sees for a damaged database file: what happened and what to run."""
    return KnowledgeBaseError(
        f"the knowledge base file {path} is damaged or not a newsbot database ({exc}); "
        "run `newsbot doctor` for a diagnosis and `newsbot index rebuild` to recover")


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) \
        or "malformed" in str(exc) or "vtable constructor failed" in str(exc)


def meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(db: sqlite3.Connection, key: str, value: object) -> None:
    db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, str(value)))


def bump_generation(db: sqlite3.Connection) -> None:
    """Marks a change: readers see a new generation and bring their indexes up to it."""
    set_meta(db, "generation", int(meta(db, "generation") or 0) + 1)


@contextlib.contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")
