"""One consistent read view of the cluster backend: a REPEATABLE READ transaction in
PostgreSQL, and Milvus caught up to at least that state before the view opens.

The methods of the ``index.store.Snapshot`` seam (``index/store/base.py``);
search runs in Milvus, everything else reads PostgreSQL.

Usage::

    with kb.reader() as snap:
        snap.lexical_search(["hyundai", "plant"], 10, outlets={"Reuters"})
        snap.dense_search(vector, 10, published_between=(date(2023, 10, 1), date(2023, 10, 31)))
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from index.store.base import SnapshotMemo
from index.store.cluster.milvus import restriction
from index.store.cluster.sqlcompat import SqliteCompat
from index.store.embedded.lexical import PHRASE_COUNT_CAP
from index.store.records import ArticleRow, ChunkRow, SentenceRow, dequantize_int8, outlet_names

if TYPE_CHECKING:
    from index.store.cluster.backend import ClusterKnowledgeBase



class ClusterSnapshot(SnapshotMemo):
    def __init__(self, kb: ClusterKnowledgeBase) -> None:
        super().__init__(kb._snapshot_cache)
        self._kb = kb
        self._db = kb._rdb
        self._chunks = kb._collection

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        return self._db.execute(sql, params).fetchall()

    @property
    def article_count(self) -> int:
        return int(self._rows("SELECT count(*) FROM articles")[0][0])

    @property
    def chunk_count(self) -> int:
        return int(self._rows("SELECT count(*) FROM chunks")[0][0])

    # ------------------------------------------------------------------ search (Milvus)

    def dense_search(self, query: np.ndarray, k: int, within: Sequence[int] | None = None, *,
                     outlets: Collection[str] | None = None,
                     published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        if (within is not None and not within) or (outlets is not None and not outlets):
            return []
        return self._chunks.dense(query, k, restriction(outlets, published_between, within))

    def lexical_search(self, terms: Sequence[str] | str, k: int, *, outlets: Collection[str] | None = None,
                       published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        if outlets is not None and not outlets:
            return []
        words = terms.split() if isinstance(terms, str) else list(terms)
        return self._chunks.lexical(words, k, restriction(outlets, published_between))

    def hybrid_search(self, query: np.ndarray, terms: Sequence[str], k: int, *,
                      outlets: Collection[str] | None = None,
                      published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        """Dense and BM25 fused by reciprocal rank inside Milvus (one round trip)."""
        return self._chunks.hybrid(query, terms, k, restriction(outlets, published_between))

    def phrase_count(self, phrase: str) -> int:
        """Chunks whose text or title hold the phrase's words in order (whole words, any case,
        any punctuation between them), up to 1000. In PostgreSQL: Milvus Lite answers a
        text_match filter in seconds, and this runs for every name in a question."""
        words = re.findall(r"\w+", phrase)
        if not words:
            return 0

        def compute() -> int:
            pattern = r"\m" + r"\W+".join(words) + r"\M"
            row = self._rows(
                "WITH hit AS (SELECT id, title, body FROM articles WHERE body ~* %(p)s OR title ~* %(p)s) "
                "SELECT count(*) FROM (SELECT 1 FROM hit JOIN chunks c ON c.article_id = hit.id "
                'WHERE hit.title ~* %(p)s OR substr(hit.body, c.start + 1, c."end" - c.start) ~* %(p)s '
                "LIMIT %(cap)s) AS found",
                {"p": pattern, "cap": PHRASE_COUNT_CAP})
            return int(row[0][0])

        return self.memo(("phrase_count", tuple(w.casefold() for w in words)), compute)

    def dense_scores(self, query: np.ndarray, chunk_ids: Sequence[int]) -> dict[int, float]:
        if not chunk_ids:
            return {}
        rows = self._rows("SELECT id, vector FROM chunks WHERE id = ANY(%s)", (list(chunk_ids),))
        return {int(cid): float(np.frombuffer(blob, dtype=np.float32) @ query) for cid, blob in rows}

    # ------------------------------------------------------------------ records (PostgreSQL)

    def outlets(self) -> list[str]:
        return self.memo("outlets", lambda: outlet_names(
            source for (source,) in self._rows("SELECT DISTINCT source FROM articles")))

    def latest_year(self) -> int | None:
        def compute() -> int | None:
            value = self._rows("SELECT max(published_at) FROM articles")[0][0]
            return int(value[:4]) if value else None

        return self.memo("latest_year", compute)

    def chunk_metadata(self, chunk_ids: Sequence[int]) -> dict[int, tuple[str, str, str | None]]:
        if not chunk_ids:
            return {}
        rows = self._rows("SELECT c.id, c.article_id, a.source, a.published_at FROM chunks c "
                          "JOIN articles a ON a.id = c.article_id WHERE c.id = ANY(%s)", (list(chunk_ids),))
        return {int(r[0]): (r[1], r[2], r[3]) for r in rows}

    def chunks_of_outlets(self, outlets: Sequence[str]) -> list[int]:
        if not outlets:
            return []

        def compute() -> list[int]:
            rows = self._rows(
                "SELECT c.id FROM articles a JOIN chunks c ON c.article_id = a.id WHERE EXISTS "
                "(SELECT 1 FROM unnest(string_to_array(a.source, ',')) part WHERE btrim(part) = ANY(%s)) "
                "ORDER BY c.id", (list(outlets),))
            return [int(r[0]) for r in rows]

        return self.memo(("chunks_of_outlets", tuple(sorted(outlets))), compute)

    def all_chunk_ids(self) -> list[int]:
        return self.memo("all_chunk_ids", lambda: [int(r[0]) for r in self._rows("SELECT id FROM chunks ORDER BY id")])

    def restricted_chunks(self, outlets: Collection[str] | None,
                          published_between: tuple[date, date] | None) -> list[int]:
        """Chunk ids of articles from any of ``outlets`` (None: any) published within the
        inclusive days (None: any day, undated included). Sorted."""
        if outlets is not None and not outlets:
            return []
        if published_between is None:
            return self.chunks_of_outlets(sorted(outlets)) if outlets is not None else self.all_chunk_ids()

        def compute() -> list[int]:
            # published_at is ISO text: its first ten characters are the day it was written.
            sql = ("SELECT c.id FROM articles a JOIN chunks c ON c.article_id = a.id "
                   "WHERE left(a.published_at, 10) BETWEEN %s AND %s")
            params: list[object] = [published_between[0].isoformat(), published_between[1].isoformat()]
            if outlets is not None:
                sql += (" AND EXISTS (SELECT 1 FROM unnest(string_to_array(a.source, ',')) part "
                        "WHERE btrim(part) = ANY(%s))")
                params.append(sorted(outlets))
            return [int(r[0]) for r in self._rows(sql + " ORDER BY c.id", params)]

        key = ("restricted_chunks", None if outlets is None else tuple(sorted(outlets)), published_between)
        return self.memo(key, compute)

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]:
        if not chunk_ids:
            return {}
        rows = self._rows('SELECT id, article_id, ord, start, "end" FROM chunks WHERE id = ANY(%s)',
                          (list(chunk_ids),))
        return {int(r[0]): ChunkRow(int(r[0]), r[1], int(r[2]), int(r[3]), int(r[4])) for r in rows}

    def articles(self, article_ids: Sequence[str], with_body: bool = True) -> dict[str, ArticleRow]:
        return self._kb._articles(self._db, list(dict.fromkeys(article_ids)), with_body)

    def sentences(self, article_id: str, start: int, end: int) -> list[SentenceRow]:
        rows = self._rows('SELECT id, start, "end", vector FROM sentences WHERE article_id = %s '
                          'AND start >= %s AND "end" <= %s ORDER BY start', (article_id, start, min(end, 2**31 - 1)))
        return [SentenceRow(int(i), article_id, int(s), int(e), dequantize_int8(v)) for i, s, e, v in rows]

    def article_sentences(self, article_id: str) -> list[SentenceRow]:
        return self.sentences(article_id, 0, 2**31 - 1)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        """Read-only SQL in the SQLite dialect the enrichers' read helpers use."""
        if sql.strip().upper() == "PRAGMA DATABASE_LIST":
            return [(0, "main", self._kb.location)]  # what tells two knowledge bases apart
        return SqliteCompat(self._db).execute(sql, params).fetchall()
