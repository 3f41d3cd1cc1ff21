"""The record tables both backends keep (meta, articles, sentences, chunks), written once in
SQLite's dialect, with the SQL that writes and reads an article row. The embedded store runs
them as they are; the cluster backend runs them through ``index.store.cluster.sqlcompat``
(``translate_schema`` and ``placeholders``), which turns them into PostgreSQL.

Usage::

    from index.store.tables import INSERT_ARTICLE, article_values, record_tables
    db.executescript(record_tables())                       # SQLite: chunk vectors live elsewhere
    db.execute(INSERT_ARTICLE, article_values(article, added_at="2026-12-01T12:00:00+00:00"))
    rows = db.execute(f"SELECT {ARTICLE_FIELDS} FROM articles").fetchall()   # Article(*row)
"""

from __future__ import annotations

from index.intake import Article
from index.store.records import body_hash, quantize_int8

# The Article record's fields, in its constructor's order.
ARTICLE_FIELDS = "id, title, body, source, url, published_at, author, origin"
# The ArticleRow record's fields before its body, in its constructor's order.
ARTICLE_ROW_FIELDS = "id, title, source, url, published_at, author, origin, added_at"
INSERT_ARTICLE = (f"INSERT INTO articles({ARTICLE_FIELDS}, content_hash, body_hash, added_at) "
                  "VALUES (?,?,?,?,?,?,?,?,?,?,?)")
INSERT_SENTENCE = 'INSERT INTO sentences(article_id, ord, start, "end", vector) VALUES (?,?,?,?,?)'

_SPAN_COLUMNS = """
    article_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL"""


def record_tables(*, article_key: str = "", chunk_vector: bool = False) -> str:
    """The shared tables and their indexes as a SQLite script. ``article_key``: a column
    definition put first in ``articles`` (PostgreSQL's stand-in for SQLite's rowid);
    ``chunk_vector``: keep each chunk's vector in its row (the embedded store keeps them in
    a table of their own, which the FAISS checkpoint replays from)."""
    key = f"\n    {article_key}," if article_key else ""
    vector = ",\n    vector BLOB NOT NULL" if chunk_vector else ""
    return f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles ({key}
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
    id INTEGER PRIMARY KEY AUTOINCREMENT,{_SPAN_COLUMNS},
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_article ON sentences(article_id, start);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,{_SPAN_COLUMNS}{vector}
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
"""


def article_values(article: Article, added_at: str) -> tuple:
    """The parameters of ``INSERT_ARTICLE`` for one article."""
    return (article.id, article.title, article.body, article.source, article.url, article.published_at,
            article.author, article.origin, article.content_hash, body_hash(article.body), added_at)


def sentence_values(article_id: str, spans: list[tuple[int, int]], vectors: dict[int, object]) -> list[tuple]:
    """The parameters of ``INSERT_SENTENCE`` for an article's sentences that have a vector."""
    return [(article_id, i, start, end, quantize_int8(vectors[i]).tobytes())
            for i, (start, end) in enumerate(spans) if i in vectors]
