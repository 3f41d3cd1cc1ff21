"""SQLite FTS5 BM25 as newsbot ran it before the tantivy index (issue 11), kept only as the
benchmarks' baseline, so both engines are timed on the same store in the same run.

Usage::

    from tests.bench.fts5_baseline import ensure_fts5_table, fts5_engine
    ensure_fts5_table(sqlite3.connect(data_dir / "newsbot.db"))   # bench_fts5, beside the store's tables
    with fts5_engine():                   # Snapshot.lexical_search / phrase_count answer from FTS5
        service.ask("Did Hyundai confirm the plant deal?")

The table is the benchmark's own (``bench_fts5``): the store never reads or writes it. A
store of schema version 1 brings its ``chunks_fts`` along (renamed, so the version-2
migration leaves it); otherwise it is filled from the chunks.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from datetime import date

from index.query import fts_query
from index.store.embedded.lexical import metadata_terms

FTS_TABLE = "bench_fts5"
WEIGHTS = (1.0, 0.5, 0.5)  # text, title, outlet + date words: the old SearchWeights.fts_weights


def ensure_fts5_table(db: sqlite3.Connection) -> None:
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if FTS_TABLE in tables:
        return
    if "chunks_fts" in tables:
        db.execute(f"ALTER TABLE chunks_fts RENAME TO {FTS_TABLE}")
        return
    db.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(text, title, meta, "
               "tokenize = 'porter unicode61 remove_diacritics 2')")
    rows = db.execute('SELECT c.id, c.start, c."end", a.body, a.title, a.source, a.published_at '
                      "FROM chunks c JOIN articles a ON a.id = c.article_id ORDER BY c.id").fetchall()
    db.execute("BEGIN")
    db.executemany(f"INSERT INTO {FTS_TABLE}(rowid, text, title, meta) VALUES (?,?,?,?)",
                   [(cid, body[start:end], title, metadata_terms(source, published))
                    for cid, start, end, body, title, source, published in rows])
    db.execute("COMMIT")


def _fts5_lexical_search(snap, terms: Sequence[str], k: int, *, outlets: Collection[str] | None = None,
                         published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
    """The old query: every term ORed; a named outlet went into the MATCH and the date was
    a filter over the top 100 (what index/search.py did before)."""
    match = fts_query(list(terms))
    if not match:
        return []
    limit = k
    if outlets is not None:
        match = f"meta : ({fts_query(sorted(outlets))}) AND ({match})"
        limit = 100
    try:
        rows = snap.query(f"SELECT rowid, -bm25({FTS_TABLE}, ?, ?, ?) AS score FROM {FTS_TABLE} "
                          f"WHERE {FTS_TABLE} MATCH ? ORDER BY score DESC LIMIT ?", (*WEIGHTS, match, limit))
    except sqlite3.OperationalError:
        return []
    hits = [(int(r), float(s)) for r, s in rows]
    if outlets is not None or published_between is not None:
        allowed = set(snap.restricted_chunks(outlets, published_between))
        hits = [hit for hit in hits if hit[0] in allowed]
    return hits[:k]


def _fts5_phrase_count(snap, phrase: str) -> int:
    quoted = '"' + phrase.replace('"', '""') + '"'
    try:
        rows = snap.query(f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? "
                          "LIMIT 1000)", ("{text title} : " + quoted,))
    except sqlite3.OperationalError:
        return 0
    return int(rows[0][0])


@contextlib.contextmanager
def fts5_engine() -> Iterator[None]:
    """Snapshot's lexical methods answer from ``bench_fts5`` inside the block."""
    from index.store.embedded import EmbeddedSnapshot as Snapshot

    saved = Snapshot.lexical_search, Snapshot.phrase_count
    Snapshot.lexical_search, Snapshot.phrase_count = _fts5_lexical_search, _fts5_phrase_count
    try:
        yield
    finally:
        Snapshot.lexical_search, Snapshot.phrase_count = saved
