"""PostgreSQL tables of the cluster backend: the same record tables as the embedded SQLite
store (written once, in ``index.store.tables``), plus the change log that Milvus is brought
up to date from.

Usage::

    from index.store.cluster.schema import create_schema
    with psycopg.connect(url, autocommit=True) as conn:
        create_schema(conn, enrichers)
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import psycopg

from index.store.cluster.sqlcompat import SqliteCompat, translate_schema
from index.store.tables import record_tables

SCHEMA_VERSION = 1
SCHEMA_LOCK = 0x6E657773  # advisory lock ids: schema creation, the writer, the Milvus sync
WRITER_LOCK = 0x6E657774
SYNC_LOCK = 0x6E657775

# The record tables as the embedded store writes them (index.store.tables), in PostgreSQL's
# dialect; articles get a rowid (insertion order), chunks keep their vector in their row.
RECORD_TABLES = translate_schema(record_tables(article_key="rowid BIGSERIAL UNIQUE", chunk_vector=True))
# One row per article write or removal, in commit order (writers hold WRITER_LOCK, so the
# sequence never commits out of order); Milvus has applied everything up to meta.milvus_seq.
CHANGE_LOG = """
CREATE TABLE IF NOT EXISTS change_log (
    seq BIGSERIAL PRIMARY KEY,
    article_id TEXT NOT NULL,
    op TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""
# chunks.words: the chunk's analysed words (index.store.cluster.lexical.phrase_words) as a
# tsvector with a GIN index, for phrase_count; the 'simple' configuration keeps every token
# as it is (our analyser has already lower-cased, folded and stemmed it).
CHUNK_WORDS = [
    "ALTER TABLE chunks ADD COLUMN IF NOT EXISTS words tsvector",
    "CREATE INDEX IF NOT EXISTS chunks_words ON chunks USING gin (words)",
    "CREATE INDEX IF NOT EXISTS chunks_words_missing ON chunks (id) WHERE words IS NULL",
    # The chunk's Milvus BM25 field as a BM25 scored here reads it (cluster.bm25.encode_terms):
    # its length in tokens (the average over all chunks is BM25's avgdl) and its term counts.
    "ALTER TABLE chunks ADD COLUMN IF NOT EXISTS bm25_length integer",
    "ALTER TABLE chunks ADD COLUMN IF NOT EXISTS bm25_terms bytea",
    "CREATE INDEX IF NOT EXISTS chunks_bm25_missing ON chunks (id) WHERE bm25_terms IS NULL",
]
INSERT_CHUNK = ('INSERT INTO chunks(article_id, ord, start, "end", vector, words, bm25_length, bm25_terms) '
                "VALUES (?,?,?,?,?,to_tsvector('simple', ?),?,?)")

DERIVED_TABLES = ("sentences", "chunks")


def create_schema(conn: psycopg.Connection, enrichers: Sequence[object] = ()) -> None:
    """Creates what is missing, once, under an advisory lock (several processes may start
    at the same moment). ``conn`` must be in autocommit mode."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        for statement in [*RECORD_TABLES, CHANGE_LOG, *CHUNK_WORDS]:
            conn.execute(statement)
        fill_chunk_words(conn)
        compat = SqliteCompat(conn)
        for enricher in enrichers:
            compat.executescript(enricher.schema)
        epoch = uuid.uuid4().hex
        conn.execute("INSERT INTO meta(key, value) VALUES ('epoch', %s), ('schema_version', %s), "
                     "('generation', '0'), ('milvus_seq', '0'), ('collection', %s) ON CONFLICT DO NOTHING",
                     (epoch, str(SCHEMA_VERSION), f"newsbot_{epoch[:16]}"))


def chunk_word_columns(text: str, title: str, source: str, published_at: str | None) -> tuple[str, int, bytes]:
    """A chunk row's ``words`` (as text for to_tsvector), ``bm25_length`` and ``bm25_terms``,
    e.g. ``chunk_word_columns(body[start:end], title, source, published_at)``."""
    from index.store.cluster.bm25 import encode_terms
    from index.store.cluster.lexical import phrase_words
    from index.store.cluster.milvus import bm25_words

    return (phrase_words(text, title, source, published_at),
            *encode_terms(bm25_words(text, title, source, published_at)))


def fill_chunk_words(conn: psycopg.Connection) -> int:
    """Fills ``chunks.words`` and the BM25 columns where missing (chunks written by an older
    newsbot); returns the chunks filled. Cheap when there are none (partial indexes)."""
    rows = conn.execute('SELECT c.id, substr(a.body, c.start + 1, c."end" - c.start), a.title, a.source, '
                        "a.published_at FROM chunks c JOIN articles a ON a.id = c.article_id "
                        "WHERE c.words IS NULL OR c.bm25_terms IS NULL").fetchall()
    with conn.cursor() as cursor:
        cursor.executemany("UPDATE chunks SET words = to_tsvector('simple', %s), bm25_length = %s, bm25_terms = %s "
                           "WHERE id = %s", [(*chunk_word_columns(text, title, source, published_at), chunk_id)
                                            for chunk_id, text, title, source, published_at in rows])
    return len(rows)
