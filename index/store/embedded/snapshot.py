"""Reading the embedded store: one consistent view (``EmbeddedSnapshot``) over SQLite, the
FAISS index and the tantivy index, with the methods of the ``index.store.Snapshot`` seam.

Usage::

    with kb.reader() as snap:                       # an EmbeddedSnapshot
        hits = snap.dense_search(vector, 10, outlets={"Reuters"})
        rows = snap.chunks([chunk_id for chunk_id, _ in hits])
        snap.query("SELECT count(*) FROM company_mentions")   # enrichers' own tables
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import date, timedelta

import numpy as np

from index.store.base import SnapshotMemo
from index.store.embedded.lexical import LexicalIndex
from index.store.embedded.vectors import VectorIndex
from index.store.records import ArticleRow, ChunkRow, SentenceRow, dequantize_int8, outlet_names
from index.store.tables import ARTICLE_ROW_FIELDS

LexicalView = tuple[LexicalIndex | None, frozenset[int]]  # the index (None: unusable), chunks removed since


def read_articles(db: sqlite3.Connection, ids: list[str], with_body: bool) -> dict[str, ArticleRow]:
    """Article rows by id; ``with_body=False`` leaves each body empty (cheaper)."""
    if not ids:
        return {}
    body = "body" if with_body else "''"
    marks = ",".join("?" * len(ids))
    rows = db.execute(f"SELECT {ARTICLE_ROW_FIELDS}, {body} FROM articles WHERE id IN ({marks})", ids).fetchall()
    return {r[0]: ArticleRow(*r) for r in rows}


class EmbeddedSnapshot(SnapshotMemo):
    """One consistent read view: the vector index, the lexical index and SQLite agree for its
    whole life. Made by ``EmbeddedKnowledgeBase.reader`` inside a read transaction."""

    def __init__(self, db: sqlite3.Connection, vectors: VectorIndex, lexical: LexicalView,
                 cache: dict[object, object]) -> None:
        super().__init__(cache)
        self._db = db
        self._vectors = vectors
        self._lexical = lexical

    @property
    def article_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM articles").fetchone()[0])

    @property
    def chunk_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def dense_search(self, query: np.ndarray, k: int, within: Sequence[int] | None = None, *,
                     outlets: Collection[str] | None = None,
                     published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        """Nearest chunks by inner product. ``within`` (chunk ids), ``outlets`` and
        ``published_between`` (inclusive days) restrict the search; they combine (AND)."""
        subset = None if within is None else np.asarray(within, dtype=np.int64)
        if outlets is not None or published_between is not None:
            restricted = self._restricted_ids(outlets, published_between)
            subset = restricted if subset is None else np.intersect1d(subset, restricted, assume_unique=True)
        scores, ids = self._vectors.search(query, k, subset)
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def restricted_chunks(self, outlets: Collection[str] | None,
                          published_between: tuple[date, date] | None) -> list[int]:
        """Chunk ids of articles from any of ``outlets`` (None: any outlet) published within
        the inclusive days (None: any day, undated included). Sorted; cached per snapshot."""
        if outlets is not None and not outlets:
            return []
        if published_between is None:
            return self.chunks_of_outlets(sorted(outlets)) if outlets is not None else self.all_chunk_ids()

        def compute() -> list[int]:
            first, last = published_between
            # published_at is ISO text: its first ten characters are the day it was written.
            days = [first.isoformat(), (last + timedelta(days=1)).isoformat()]
            if outlets is None:
                rows = self._db.execute(
                    "SELECT c.id FROM articles a INDEXED BY articles_published CROSS JOIN chunks c "
                    "ON c.article_id = a.id WHERE a.published_at >= ? AND a.published_at < ?", days)
            else:
                clauses = " OR ".join("(',' || replace(a.source, ', ', ',') || ',') LIKE ?" for _ in outlets)
                rows = self._db.execute(
                    f"SELECT c.id FROM articles a INDEXED BY articles_source_day CROSS JOIN chunks c "
                    f"ON c.article_id = a.id WHERE ({clauses}) AND a.published_at >= ? AND a.published_at < ?",
                    [f"%,{o},%" for o in sorted(outlets)] + days)
            return sorted(int(r[0]) for r in rows)

        key = ("restricted_chunks", None if outlets is None else tuple(sorted(outlets)), published_between)
        return self.memo(key, compute)

    def _restricted_ids(self, outlets: Collection[str] | None,
                        published_between: tuple[date, date] | None) -> np.ndarray:
        """``restricted_chunks`` as a read-only array, kept as long: converting an outlet's
        list on every search took 2-13 ms at 1M chunks (190k ids)."""
        def compute() -> np.ndarray:
            ids = np.asarray(self.restricted_chunks(outlets, published_between), dtype=np.int64)
            ids.setflags(write=False)
            return ids

        key = ("restricted_ids", None if outlets is None else tuple(sorted(outlets)), published_between)
        return self.memo(key, compute)

    def all_chunk_ids(self) -> list[int]:
        return self.memo("all_chunk_ids", lambda: [int(r[0]) for r in self._db.execute("SELECT id FROM chunks")])

    def outlets(self) -> list[str]:
        """Every outlet name in the knowledge base (multi-outlet sources split)."""
        return self.memo("outlets", lambda: outlet_names(
            source for (source,) in self._db.execute("SELECT DISTINCT source FROM articles")))

    def latest_year(self) -> int | None:
        def compute() -> int | None:
            row = self._db.execute("SELECT max(published_at) FROM articles").fetchone()
            return int(row[0][:4]) if row and row[0] else None

        return self.memo("latest_year", compute)

    def chunk_metadata(self, chunk_ids: Sequence[int]) -> dict[int, tuple[str, str, str | None]]:
        """chunk id → (article id, source, published_at), for metadata-aware ranking."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        # CROSS JOIN keeps chunks as the outer loop and INDEXED BY the covering index: left to
        # itself, SQLite may scan every article against a long IN list (unfinished after 15 min at 1M chunks).
        rows = self._db.execute(
            f"SELECT c.id, c.article_id, a.source, a.published_at FROM chunks c CROSS JOIN articles a "
            f"INDEXED BY articles_meta ON a.id = c.article_id WHERE c.id IN ({marks})", list(chunk_ids)).fetchall()
        return {int(r[0]): (r[1], r[2], r[3]) for r in rows}

    def chunks_of_outlets(self, outlets: Sequence[str]) -> list[int]:
        """Chunk ids of articles from any of the outlets (an exact name within the source)."""
        if not outlets:
            return []

        def compute() -> list[int]:
            clauses = " OR ".join("(',' || replace(a.source, ', ', ',') || ',') LIKE ?" for _ in outlets)
            params = [f"%,{o},%" for o in outlets]
            rows = self._db.execute(
                f"SELECT c.id FROM articles a INDEXED BY articles_source CROSS JOIN chunks c "
                f"ON c.article_id = a.id WHERE {clauses}", params)
            return sorted(int(r[0]) for r in rows)

        return self.memo(("chunks_of_outlets", tuple(sorted(outlets))), compute)

    def dense_scores(self, query: np.ndarray, chunk_ids: Sequence[int]) -> dict[int, float]:
        """Exact scores for chosen chunks (e.g. lexical hits the dense top-k missed)."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._db.execute(
            f"SELECT chunk_id, vector FROM chunk_vectors WHERE chunk_id IN ({marks})", list(chunk_ids)
        ).fetchall()
        return {int(cid): float(np.frombuffer(blob, dtype=np.float32) @ query) for cid, blob in rows}

    def lexical_search(self, terms: Sequence[str], k: int, *, outlets: Collection[str] | None = None,
                       published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        """BM25 over chunk text (weight 1), title and outlet/date words (0.5 each), best first.
        ``terms`` are plain words (analysed and stemmed by the engine; a term of several
        words matches as a phrase; any term may match). ``outlets`` and ``published_between``
        restrict inside the engine, as in ``dense_search``."""
        lexical, stale = self._lexical
        if lexical is None or not terms:
            return []
        hits = lexical.search(terms, k + len(stale), outlets=outlets, published_between=published_between)
        return [hit for hit in hits if hit[0] not in stale][:k]

    def phrase_count(self, phrase: str) -> int:
        """How many chunks contain the phrase (in their text or title), up to 1000."""
        lexical, _ = self._lexical
        return 0 if lexical is None else lexical.phrase_count(phrase)

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]:
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._db.execute(
            f'SELECT id, article_id, ord, start, "end" FROM chunks WHERE id IN ({marks})', list(chunk_ids)
        ).fetchall()
        return {int(r[0]): ChunkRow(int(r[0]), r[1], int(r[2]), int(r[3]), int(r[4])) for r in rows}

    def articles(self, article_ids: Sequence[str], with_body: bool = True) -> dict[str, ArticleRow]:
        return read_articles(self._db, list(dict.fromkeys(article_ids)), with_body)

    def sentences(self, article_id: str, start: int, end: int) -> list[SentenceRow]:
        rows = self._db.execute(
            'SELECT id, start, "end", vector FROM sentences '
            'WHERE article_id = ? AND start >= ? AND "end" <= ? ORDER BY start',
            (article_id, start, end),
        ).fetchall()
        return [SentenceRow(int(i), article_id, int(s), int(e), dequantize_int8(v)) for i, s, e, v in rows]

    def article_sentences(self, article_id: str) -> list[SentenceRow]:
        return self.sentences(article_id, 0, 1 << 62)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        """Read-only SQL within this snapshot, for modules that own extra tables."""
        return self._db.execute(sql, params).fetchall()
