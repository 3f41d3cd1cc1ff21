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

import math
from collections.abc import Collection, Sequence
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from index.store.base import SnapshotMemo
from index.store.cluster.bm25 import Bm25Stats, LocalBm25
from index.store.cluster.lexical import PAIR_JOINER, analyse
from index.store.cluster.milvus import bm25_tokens, query_tokens, restriction
from index.store.cluster.sqlcompat import SqliteCompat
from index.store.embedded.lexical import PHRASE_COUNT_CAP, fts5_idf_factor
from index.store.records import ArticleRow, ChunkRow, SentenceRow, dequantize_int8, outlet_names

if TYPE_CHECKING:
    from index.store.cluster.backend import ClusterKnowledgeBase

def _idf(n: int, total: int) -> float:
    """BM25's IDF as tantivy and Milvus compute it."""
    return math.log1p((total - n + 0.5) / (n + 0.5))


LISTED_CHUNKS = 20_000  # most chunk ids an outlet restriction sends to Milvus as a list
# Most chunks of an outlet whose vectors are kept here (6 MB at 384 dimensions), so that a
# search restricted to it is scored exactly without a Milvus request (see dense_search).
SCORED_CHUNKS = 4096
DF_CAP = 10_000  # most chunks a term's document frequency is counted to (_document_frequencies)
assert DF_CAP >= PHRASE_COUNT_CAP  # so that a document frequency answers phrase_count


# The articles of any of the outlets %s names (an exact name within a comma-separated
# source). Their chunks are then read through the chunks_article index, in time with the
# outlet's size: a join let the planner scan every chunk (11-15 ms a statement at 7,658
# chunks, the first time a question names an outlet).
_OUTLET_ARTICLES = ("SELECT a.id FROM articles a WHERE EXISTS (SELECT 1 FROM unnest(string_to_array(a.source, ',')) "
                    "part WHERE btrim(part) = ANY(%s))")


class ClusterSnapshot(SnapshotMemo):
    # Searches are Milvus requests: HybridSearcher runs a question's at once in threads. The
    # methods they call are safe for that (psycopg serialises a connection's statements; the
    # memo may compute a value twice).
    remote_searches = True

    def __init__(self, kb: ClusterKnowledgeBase) -> None:
        super().__init__(kb._snapshot_cache)
        self._kb = kb
        self._db = kb._rdb
        self._listed: list[ChunkRow] = []  # the rows chunks() last returned (see sentences)
        self._described: dict[int, ChunkRow] = {}  # the rows chunk_metadata read (see chunks)
        self._chunk_sentences: dict[tuple[str, int, int], list[SentenceRow]] = {}
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

    def _expr(self, outlets: Collection[str] | None, published_between: tuple[date, date] | None,
              within: Sequence[int] | None = None) -> str | None:
        """The Milvus filter for these restrictions; None when nothing can match. An outlet
        restriction becomes the outlet's chunk ids, read from PostgreSQL once per state:
        Milvus Lite evaluates ``array_contains_any`` row by row in Python (0.6 s a search on
        7,658 chunks) and a primary-key list in 20 ms. An outlet of more than
        ``LISTED_CHUNKS`` chunks keeps the array filter, which a Milvus cluster indexes."""
        if outlets is not None:
            ids = self.chunks_of_outlets(sorted(outlets))
            if len(ids) <= LISTED_CHUNKS:
                within = ids if within is None else sorted(set(ids).intersection(within))
                outlets = None
        if within is not None and not within:
            return None
        return restriction(outlets, published_between, within)

    def dense_search(self, query: np.ndarray, k: int, within: Sequence[int] | None = None, *,
                     outlets: Collection[str] | None = None,
                     published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        if (within is not None and not within) or (outlets is not None and not outlets):
            return []
        if outlets is not None and within is None:
            scored = self._outlet_vectors(sorted(outlets))
            if scored is not None:
                return self._scored(scored, query, k, self.restricted_chunks(outlets, published_between))
        expr = self._expr(outlets, published_between, within)
        return [] if expr is None else self._chunks.dense(query, k, expr)

    def _outlet_vectors(self, outlets: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
        """The chunk ids (sorted) and vectors of a small outlet, kept until the knowledge base
        changes; None for an outlet of more than SCORED_CHUNKS chunks. A question runs one to
        three searches restricted to each outlet it names; each was a Milvus request of 15-20 ms
        on Milvus Lite (a fixed cost per request), and scoring a few thousand vectors here takes
        under a millisecond. The embedded store scores such a subset exactly too."""
        scoring = self._outlet_scoring(outlets)
        return None if scoring is None else scoring[0]

    def _outlet_bm25(self, outlets: list[str]) -> LocalBm25 | None:
        """The BM25 term counts of a small outlet's chunks (``chunks.bm25_terms``), kept until
        the knowledge base changes; None for an outlet of more than SCORED_CHUNKS chunks
        (searched in Milvus)."""
        scoring = self._outlet_scoring(outlets)
        return None if scoring is None else scoring[1]

    def _outlet_scoring(self, outlets: list[str]) -> tuple[tuple[np.ndarray, np.ndarray], LocalBm25 | None] | None:
        """What _outlet_vectors and _outlet_bm25 keep, read in one statement: a question that
        names an outlet runs both kinds of search restricted to it."""
        def compute() -> tuple[tuple[np.ndarray, np.ndarray], LocalBm25 | None] | None:
            ids = self.chunks_of_outlets(outlets)
            if len(ids) > SCORED_CHUNKS:
                return None
            rows = self._rows("SELECT id, vector, bm25_length, bm25_terms FROM chunks WHERE id = ANY(%s) ORDER BY id",
                              (ids,))
            dim = len(rows[0][1]) // 4 if rows else 0
            vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim)
            # A chunk without term counts (written meanwhile by an older newsbot, which the next
            # open of the schema fills): this outlet's BM25 stays Milvus's for this state.
            local = None if any(r[3] is None for r in rows) else LocalBm25.build(
                (int(i), int(n), bytes(blob)) for i, _, n, blob in rows)
            return (np.array([r[0] for r in rows], dtype=np.int64), vectors), local

        return self.memo(("outlet_scoring", tuple(outlets)), compute)

    @staticmethod
    def _scored(scored: tuple[np.ndarray, np.ndarray], query: np.ndarray, k: int,
                chunk_ids: Sequence[int]) -> list[tuple[int, float]]:
        """The ``k`` best of ``chunk_ids`` (a subset of the outlet's) by inner product."""
        ids, vectors = scored
        at = np.searchsorted(ids, np.asarray(chunk_ids, dtype=np.int64))
        if not len(at) or k <= 0:
            return []
        scores = vectors[at] @ np.asarray(query, dtype=np.float32)
        order = np.lexsort((ids[at], -scores))[:k]  # best first; ties by chunk id
        return [(int(ids[at][i]), float(scores[i])) for i in order]

    def lexical_search(self, terms: Sequence[str] | str, k: int, *, outlets: Collection[str] | None = None,
                       published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        """BM25 in Milvus; restricted to an outlet of at most SCORED_CHUNKS chunks, the same
        BM25 scored here (cluster.bm25), as dense_search does with the outlet's vectors."""
        if outlets is not None and not outlets:
            return []
        words = terms.split() if isinstance(terms, str) else list(terms)
        factors = self._idf_factors(words)
        if outlets is not None:
            local = self._outlet_bm25(sorted(outlets))
            if local is not None:
                query = bm25_tokens(" ".join(query_tokens(words, factors)))
                return local.search(query, self._bm25_stats(query), k,
                                    self.restricted_chunks(outlets, published_between))
        expr = self._expr(outlets, published_between)
        return [] if expr is None else self._chunks.lexical(words, k, expr, factors)

    def _bm25_stats(self, query: Sequence[str]) -> Bm25Stats:
        """What Milvus scores BM25 with: every chunk's count and average length, and each
        query token's document frequency (a word pair's: the phrase's, lexical.pairs)."""
        def sizes() -> tuple[int, float]:
            count, length = self._rows("SELECT count(*), coalesce(avg(bm25_length), 0) FROM chunks")[0]
            return int(count), float(length)

        count, average = self.memo("bm25_sizes", sizes)
        phrases = {token: token.replace(PAIR_JOINER, " ") for token in dict.fromkeys(query)}
        found = self._document_frequencies(list(phrases.values()))
        params = self._chunks.bm25_params()
        return Bm25Stats(count, average, {token: found[phrase] for token, phrase in phrases.items()},
                         params["bm25_k1"], params["bm25_b"])

    def _idf_factors(self, terms: Sequence[str]) -> dict[str, float]:
        """Weights that make Milvus's BM25 score a term as the embedded tantivy index does.
        A word: lexical.fts5_idf_factor (a word in most chunks counts as little as it did with
        FTS5; without it, dev all-evidence@10 was .432 against the embedded .455). A phrase:
        tantivy scores it with the sum of its words' IDFs, Milvus its pairs (lexical.pairs)
        each with the pair's own IDF, so the pairs are weighed by the ratio of the two.
        Document frequencies come from PostgreSQL's ``chunks.words``, kept per state."""
        total = self.memo("chunk_total", lambda: max(1, self.chunk_count))
        analysed = [tokens for tokens in (analyse(term) for term in dict.fromkeys(terms)) if tokens]
        df = self._document_frequencies([*(t for tokens in analysed for t in tokens),
                                         *(f"{a} {b}" for tokens in analysed for a, b in pairwise(tokens))])
        factors = {}
        for tokens in analysed:
            if len(tokens) == 1:
                factors[tokens[0]] = fts5_idf_factor(df[tokens[0]], total)
            else:
                words = sum(_idf(df[t], total) for t in tokens)
                phrase = sum(_idf(df[f"{a} {b}"], total) for a, b in pairwise(tokens))
                factors[" ".join(tokens)] = words / phrase if phrase > 0 else 1.0
        return factors

    def _document_frequencies(self, phrases: Sequence[str]) -> dict[str, int]:
        """Chunks holding each of these analysed words in order (one word, or a pair), counted
        up to DF_CAP: a word in every chunk costs a read of every chunk's row (7 ms at 7,658
        chunks, seconds at a million), so past DF_CAP a word weighs as if in DF_CAP chunks.
        Kept per state; the ones not yet known are counted in one statement (a statement a
        word was a round trip each, 24 for a question on a cold process)."""
        cache = self._memo_cache
        known = {phrase: cache.get(("document_frequency", phrase)) for phrase in dict.fromkeys(phrases)}
        for phrase, n in known.items():  # a phrase count under its cap is exact (phrase_count)
            counted = cache.get(("phrase_count", phrase))
            if n is None and counted is not None and counted < PHRASE_COUNT_CAP:  # type: ignore[operator]
                known[phrase] = counted
        missing = [phrase for phrase, n in known.items() if n is None]
        if missing:
            rows = self._rows("SELECT q, (SELECT count(*) FROM (SELECT 1 FROM chunks WHERE words @@ "
                              "phraseto_tsquery('simple', q) LIMIT %s) AS found) FROM unnest(%s::text[]) AS q",
                              (DF_CAP, missing))
            for phrase, n in rows:
                known[phrase] = self.memo(("document_frequency", phrase), lambda n=n: int(n))
        return {phrase: int(n) for phrase, n in known.items()}  # type: ignore[arg-type]

    def hybrid_search(self, query: np.ndarray, terms: Sequence[str], k: int, *,
                      outlets: Collection[str] | None = None,
                      published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        """Dense and BM25 fused by reciprocal rank inside Milvus (one round trip)."""
        if outlets is not None and not outlets:
            return []
        expr = self._expr(outlets, published_between)
        return [] if expr is None else self._chunks.hybrid(query, terms, k, expr)

    def phrase_count(self, phrase: str) -> int:
        """Chunks whose text, title or outlet and date words hold the phrase's analysed words
        in order, up to 1000: the embedded index's phrase query, here over PostgreSQL's
        ``chunks.words`` tsvector and its GIN index (a regular expression over every body took
        0.1-0.3 s a phrase, and this runs for every name in a question)."""
        words = " ".join(analyse(phrase))
        if not words:
            return 0

        def compute() -> int:
            # The same count as a document frequency (_document_frequencies), to a lower cap:
            # one answers the other, so a word a question names is counted once.
            known = self._memo_cache.get(("document_frequency", words))
            if known is not None:
                return min(int(known), PHRASE_COUNT_CAP)  # type: ignore[call-overload]
            row = self._rows("SELECT count(*) FROM (SELECT 1 FROM chunks WHERE words @@ "
                             "phraseto_tsquery('simple', %s) LIMIT %s) AS found", (words, PHRASE_COUNT_CAP))
            return int(row[0][0])

        return self.memo(("phrase_count", words), compute)

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
        """Also keeps the chunks' rows: the search asks for the rows of the best of these next
        (chunks), which then needs no statement of its own."""
        if not chunk_ids:
            return {}
        rows = self._rows('SELECT c.id, c.article_id, a.source, a.published_at, c.ord, c.start, c."end" FROM chunks c '
                          "JOIN articles a ON a.id = c.article_id WHERE c.id = ANY(%s)", (list(chunk_ids),))
        self._described.update({int(r[0]): ChunkRow(int(r[0]), r[1], int(r[4]), int(r[5]), int(r[6])) for r in rows})
        return {int(r[0]): (r[1], r[2], r[3]) for r in rows}

    def chunks_of_outlets(self, outlets: Sequence[str]) -> list[int]:
        if not outlets:
            return []

        def compute() -> list[int]:
            rows = self._rows(f"SELECT id FROM chunks WHERE article_id = ANY(ARRAY({_OUTLET_ARTICLES})) ORDER BY id",
                              (list(outlets),))
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
            within = "SELECT a.id FROM articles a WHERE left(a.published_at, 10) BETWEEN %s AND %s"
            params: list[object] = [published_between[0].isoformat(), published_between[1].isoformat()]
            if outlets is not None:
                within = f"{_OUTLET_ARTICLES} AND left(a.published_at, 10) BETWEEN %s AND %s"
                params.insert(0, sorted(outlets))
            sql = f"SELECT id FROM chunks WHERE article_id = ANY(ARRAY({within})) ORDER BY id"
            return [int(r[0]) for r in self._rows(sql, params)]

        key = ("restricted_chunks", None if outlets is None else tuple(sorted(outlets)), published_between)
        return self.memo(key, compute)

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]:
        if not chunk_ids:
            return {}
        if all(c in self._described for c in chunk_ids):  # rows chunk_metadata read in this snapshot
            found = {int(c): self._described[c] for c in chunk_ids}
        else:
            rows = self._rows('SELECT id, article_id, ord, start, "end" FROM chunks WHERE id = ANY(%s)',
                              (list(chunk_ids),))
            found = {int(r[0]): ChunkRow(int(r[0]), r[1], int(r[2]), int(r[3]), int(r[4])) for r in rows}
        self._listed = list(found.values())
        return found

    def articles(self, article_ids: Sequence[str], with_body: bool = True) -> dict[str, ArticleRow]:
        return self._kb._articles(self._db, list(dict.fromkeys(article_ids)), with_body)

    def sentences(self, article_id: str, start: int, end: int) -> list[SentenceRow]:
        """A chunk's sentences are read with those of every chunk the last ``chunks`` call
        returned, in one statement: the search asks for each passage's in turn, which was a
        round trip per passage."""
        key = (article_id, start, end)
        if key not in self._chunk_sentences and any((c.article_id, c.start, c.end) == key for c in self._listed):
            self._read_chunk_sentences(self._listed)
            self._listed = []
        if key in self._chunk_sentences:
            return list(self._chunk_sentences[key])
        rows = self._rows('SELECT id, start, "end", vector FROM sentences WHERE article_id = %s '
                          'AND start >= %s AND "end" <= %s ORDER BY start', (article_id, start, min(end, 2**31 - 1)))
        return [SentenceRow(int(i), article_id, int(s), int(e), dequantize_int8(v)) for i, s, e, v in rows]

    def _read_chunk_sentences(self, chunks: Sequence[ChunkRow]) -> None:
        rows = self._rows('SELECT c.id, s.id, s.start, s."end", s.vector FROM chunks c JOIN sentences s '
                          'ON s.article_id = c.article_id AND s.start >= c.start AND s."end" <= c."end" '
                          "WHERE c.id = ANY(%s) ORDER BY c.id, s.start", ([c.id for c in chunks],))
        by_chunk: dict[int, list[SentenceRow]] = {c.id: [] for c in chunks}
        for chunk_id, i, start, end, vector in rows:
            by_chunk[int(chunk_id)].append(SentenceRow(int(i), "", int(start), int(end), dequantize_int8(vector)))
        for c in chunks:
            self._chunk_sentences[(c.article_id, c.start, c.end)] = [
                SentenceRow(r.id, c.article_id, r.start, r.end, r.vector) for r in by_chunk[c.id]]

    def article_sentences(self, article_id: str) -> list[SentenceRow]:
        return self.sentences(article_id, 0, 2**31 - 1)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        """Read-only SQL in the SQLite dialect the enrichers' read helpers use."""
        if sql.strip().upper() == "PRAGMA DATABASE_LIST":
            return [(0, "main", self._kb.location)]  # what tells two knowledge bases apart
        return SqliteCompat(self._db).execute(sql, params).fetchall()
