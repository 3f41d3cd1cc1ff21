"""PostgreSQL tables of the cluster backend: the same records as the embedded SQLite store,
plus the change log that Milvus is brought up to date from.

Usage::

    from index.store.cluster.schema import create_schema
    with psycopg.connect(url, autocommit=True) as conn:
        create_schema(conn, enrichers)
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import psycopg

from index.store.cluster.sqlcompat import SqliteCompat

SCHEMA_VERSION = 1
SCHEMA_LOCK = 0x6E657773  # advisory lock ids: schema creation, the writer, the Milvus sync
WRITER_LOCK = 0x6E657774
SYNC_LOCK = 0x6E657775

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    rowid BIGSERIAL UNIQUE,
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    url TEXT,
    published_at TEXT,
    author TEXT,
    origin TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_body_hash ON articles(body_hash);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published_at);
CREATE TABLE IF NOT EXISTS sentences (
    id BIGSERIAL PRIMARY KEY,
    article_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    vector BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_article ON sentences(article_id, start);
CREATE TABLE IF NOT EXISTS chunks (
    id BIGSERIAL PRIMARY KEY,
    article_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    vector BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
-- One row per article write or removal, in commit order (writers hold WRITER_LOCK, so the
-- sequence never commits out of order); Milvus has applied everything up to meta.milvus_seq.
CREATE TABLE IF NOT EXISTS change_log (
    seq BIGSERIAL PRIMARY KEY,
    article_id TEXT NOT NULL,
    op TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""

DERIVED_TABLES = ("sentences", "chunks")


def create_schema(conn: psycopg.Connection, enrichers: Sequence[object] = ()) -> None:
    """Creates what is missing, once, under an advisory lock (several processes may start
    at the same moment). ``conn`` must be in autocommit mode."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        for statement in SCHEMA.split(";\n"):
            if statement.strip():
                conn.execute(statement)
        compat = SqliteCompat(conn)
        for enricher in enrichers:
            compat.executescript(enricher.schema)
        epoch = uuid.uuid4().hex
        conn.execute("INSERT INTO meta(key, value) VALUES ('epoch', %s), ('schema_version', %s), "
                     "('generation', '0'), ('milvus_seq', '0'), ('collection', %s) ON CONFLICT DO NOTHING",
                     (epoch, str(SCHEMA_VERSION), f"newsbot_{epoch[:16]}"))
