"""Keeps Milvus in step with PostgreSQL, the source of truth.

Every article write or removal commits in PostgreSQL together with a ``change_log`` row.
``catch_up`` applies the log past ``meta.milvus_seq``: for each article named, delete its
chunks in Milvus, then upsert the chunks PostgreSQL holds now (keyed by chunk id). Both
steps are idempotent, so a crash anywhere (before, during or after) is repaired by the next
``catch_up``, which every write and every reader runs when Milvus is behind.
``restore`` rebuilds the collection from PostgreSQL; ``compare`` is doctor's check.

Usage::

    from index.store.cluster.sync import catch_up, compare, restore
    applied = catch_up(conn, collection)   # log entries applied (0 when up to date)
    report = compare(conn, collection)     # report.ok, report.problems
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import psycopg

from index.store.cluster.milvus import LAYOUT, ChunkCollection, ChunkDoc
from index.store.cluster.schema import SYNC_LOCK

ARTICLES_PER_STEP = 64
# Milvus's Bounded consistency may miss writes younger than its staleness bound (the
# server's gracefulTime, 5 s by default). Searches use it only when the last write to Milvus
# finished longer ago than this, by PostgreSQL's clock; otherwise Strong.
QUIET_SECONDS = 10.0


@dataclass
class Comparison:
    postgres_chunks: int = 0
    milvus_chunks: int = 0
    missing: list[int] = field(default_factory=list)     # in PostgreSQL, not in Milvus
    extra: list[int] = field(default_factory=list)       # in Milvus, not in PostgreSQL
    pending_changes: int = 0                             # change-log rows Milvus has not applied

    @property
    def ok(self) -> bool:
        return not self.missing and not self.extra and not self.pending_changes

    @property
    def problems(self) -> list[str]:
        out = []
        if self.pending_changes:
            out.append(f"Milvus has not applied {self.pending_changes} changes from PostgreSQL")
        if self.missing:
            out.append(f"{len(self.missing)} chunks are in PostgreSQL but not in Milvus")
        if self.extra:
            out.append(f"{len(self.extra)} chunks are in Milvus but not in PostgreSQL")
        return out


def meta_value(conn: psycopg.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
    return row[0] if row else None


def set_meta_value(conn: psycopg.Connection, key: str, value: object) -> None:
    conn.execute("INSERT INTO meta(key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                 (key, str(value)))


def bump_generation(conn: psycopg.Connection) -> None:
    """Marks a change: readers drop what they derived from the previous state."""
    conn.execute("UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'generation'")


def chunk_docs(conn: psycopg.Connection, article_ids: Sequence[str]) -> list[ChunkDoc]:
    """The Milvus documents of these articles as PostgreSQL holds them now."""
    articles = {r[0]: r[1:] for r in conn.execute(
        "SELECT id, title, body, source, published_at FROM articles WHERE id = ANY(%s)", (list(article_ids),))}
    docs = []
    for chunk_id, article_id, start, end, vector in conn.execute(
            'SELECT id, article_id, start, "end", vector FROM chunks WHERE article_id = ANY(%s) ORDER BY id',
            (list(article_ids),)):
        title, body, source, published_at = articles[article_id]
        docs.append(ChunkDoc(int(chunk_id), article_id, body[start:end], title, source, published_at,
                             np.frombuffer(vector, dtype=np.float32)))
    return docs


def _apply(conn: psycopg.Connection, collection: ChunkCollection, article_ids: Sequence[str]) -> None:
    for at in range(0, len(article_ids), ARTICLES_PER_STEP):
        group = list(article_ids[at:at + ARTICLES_PER_STEP])
        collection.delete_articles(group)
        collection.upsert(chunk_docs(conn, group))


def _pending(conn: psycopg.Connection) -> tuple[int, int]:
    row = conn.execute("SELECT (SELECT value FROM meta WHERE key = 'milvus_seq'), "
                       "(SELECT coalesce(max(seq), 0) FROM change_log)").fetchone()
    return int(row[0] or 0), int(row[1])


def _mark_synced(conn: psycopg.Connection) -> None:
    conn.execute("INSERT INTO meta(key, value) VALUES ('milvus_synced_at', "
                 "extract(epoch FROM clock_timestamp())::text) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")


@dataclass(frozen=True)
class SyncState:
    behind: bool    # Milvus lacks changes PostgreSQL has, or holds another collection or layout
    quiet: bool     # nothing was written to Milvus for QUIET_SECONDS: Bounded reads see it all


def sync_state(conn: psycopg.Connection, collection: ChunkCollection) -> SyncState:
    """One round trip: whether Milvus is behind PostgreSQL (or this process holds another
    collection than the one PostgreSQL names, after a rebuild elsewhere), and whether its
    last write is old enough for Bounded consistency."""
    row = conn.execute("SELECT (SELECT value FROM meta WHERE key = 'milvus_seq'), "
                       "(SELECT coalesce(max(seq), 0) FROM change_log), "
                       "(SELECT value FROM meta WHERE key = 'collection'), "
                       "(SELECT extract(epoch FROM clock_timestamp()) - value::float8 > %s "
                       " FROM meta WHERE key = 'milvus_synced_at'), "
                       "(SELECT value FROM meta WHERE key = 'milvus_layout')", (QUIET_SECONDS,)).fetchone()
    applied, latest, name = int(row[0] or 0), int(row[1]), row[2]
    behind = applied < latest or applied < 0 or name != collection.name or not collection.is_current(row[4])
    return SyncState(behind, bool(row[3]) and not behind)


def is_behind(conn: psycopg.Connection, collection: ChunkCollection) -> bool:
    return sync_state(conn, collection).behind


class _SyncLock:
    """A session advisory lock: one process applies the log at a time; others wait, then
    find nothing left to do."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> _SyncLock:
        self.conn.execute("SELECT pg_advisory_lock(%s)", (SYNC_LOCK,))
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.execute("SELECT pg_advisory_unlock(%s)", (SYNC_LOCK,))


def catch_up(conn: psycopg.Connection, collection: ChunkCollection, dim: int) -> int:
    """Applies the change log past Milvus's mark. ``conn`` is an autocommit connection."""
    with _SyncLock(conn):
        applied, latest = _pending(conn)
        if applied < 0 or not collection.is_current(meta_value(conn, "milvus_layout")):  # absent, or older
            return restore(conn, collection, dim, locked=True)
        if applied >= latest:
            return 0
        rows = conn.execute("SELECT seq, article_id FROM change_log WHERE seq > %s AND seq <= %s ORDER BY seq",
                            (applied, latest)).fetchall()
        _apply(conn, collection, list(dict.fromkeys(r[1] for r in rows)))
        collection.flush()
        _mark_synced(conn)
        set_meta_value(conn, "milvus_seq", latest)
        return len(rows)


def restore(conn: psycopg.Connection, collection: ChunkCollection, dim: int, *, locked: bool = False) -> int:
    """Drops and refills the collection from PostgreSQL; returns the chunks written."""
    if not locked:
        with _SyncLock(conn):
            return restore(conn, collection, dim, locked=True)
    latest = _pending(conn)[1]  # changes committed later are applied by the next catch_up
    collection.drop()
    if dim:
        collection.create(dim)
    ids = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY rowid")]
    written = 0
    for at in range(0, len(ids), ARTICLES_PER_STEP):
        docs = chunk_docs(conn, ids[at:at + ARTICLES_PER_STEP])
        collection.upsert(docs)
        written += len(docs)
    if dim:
        collection.flush()
    _mark_synced(conn)
    set_meta_value(conn, "milvus_layout", LAYOUT)
    set_meta_value(conn, "milvus_seq", latest)
    return written


def _postgres_ids(conn: psycopg.Connection) -> Iterator[int]:
    with conn.cursor(name="chunk_ids") as cursor:
        cursor.execute("SELECT id FROM chunks ORDER BY id")
        for (chunk_id,) in cursor:
            yield int(chunk_id)


def compare(conn: psycopg.Connection, collection: ChunkCollection) -> Comparison:
    """Chunk ids in PostgreSQL against those in Milvus, and the unapplied change count."""
    applied, latest = _pending(conn)
    report = Comparison(pending_changes=int(conn.execute(
        "SELECT count(*) FROM change_log WHERE seq > %s", (max(applied, 0),)).fetchone()[0]) if applied < latest else 0)
    with conn.transaction():
        postgres = set(_postgres_ids(conn))
    milvus = {chunk_id for chunk_id, _ in collection.iter_ids()} if collection.exists() else set()
    report.postgres_chunks, report.milvus_chunks = len(postgres), len(milvus)
    report.missing = sorted(postgres - milvus)
    report.extra = sorted(milvus - postgres)
    return report
