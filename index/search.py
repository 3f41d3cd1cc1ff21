"""Hybrid retrieval: BM25 (the store's lexical index) and dense (FAISS), fused by reciprocal rank.

Usage::

    from index.search import HybridSearcher
    searcher = HybridSearcher(kb)
    with kb.reader() as snap:
        result = searcher.search(snap, "Did Hyundai confirm the plant deal?", k=10)
    for passage in result.passages: print(passage.score, passage.text)

Every passage carries its article id and character offsets; ``text`` is always
``body[start:end]`` of the stored article.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from index.query import DateRange, QueryAnalysis, Segment, analyse_question, content_terms, term_overlap
from index.store import ArticleRow, KnowledgeBase, SentenceRow, Snapshot


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    article_id: str
    start: int
    end: int
    text: str
    score: float
    dense: float | None = None
    lexical: float | None = None
    sentences: list[SentenceRow] = field(default_factory=list)  # the stored sentences inside it


@dataclass
class SearchResult:
    passages: list[Passage]
    query_vector: np.ndarray
    analysis: QueryAnalysis
    segment_vectors: np.ndarray  # one row per analysis.segments entry
    articles: dict[str, ArticleRow] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchWeights:
    """Ranking settings, tuned on the MultiHop-RAG dev questions (see `newsbot eval`)."""

    rrf_k: float = 60.0
    dense: float = 0.2              # MiniLM alone finds less here than BM25; it breaks ties
    lexical: float = 1.0
    candidates: int = 200
    outlet_boost: float = 1.0       # relative boost for chunks of an outlet the question names
    date_boost: float = 2.0         # ... and of an article published on a date it names
    per_segment: int = 1            # chunks reserved for each outlet the question names
    sentence_overlap: float = 0.5   # reorders the top k: a passage with one sentence holding the question's words
    per_article: int = 5            # most chunks of one article (5, not 3: dev evidence recall .626 → .647)


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """Threads for a remote snapshot's searches (HybridSearcher._candidates), shared by the process."""
    return ThreadPoolExecutor(max_workers=6, thread_name_prefix="newsbot-search")


def rrf(ranked: Sequence[tuple[int, float]], weight: float, k: float, into: dict[int, float]) -> None:
    for rank, (chunk_id, _) in enumerate(ranked):
        into[chunk_id] = into.get(chunk_id, 0.0) + weight / (k + rank + 1)


def published_day(published_at: str | None) -> date | None:
    if not published_at:
        return None
    try:
        return datetime.fromisoformat(published_at).date()
    except ValueError:
        return None


class HybridSearcher:
    """BM25 plus dense, fused by reciprocal rank, with the question's outlets and dates
    as boosts, and a reserved slot for the best passage of each outlet it names."""

    def __init__(self, kb: KnowledgeBase, weights: SearchWeights | None = None) -> None:
        self.kb = kb
        self.weights = weights or SearchWeights()

    def analyse(self, snap: Snapshot, question: str) -> QueryAnalysis:
        return analyse_question(question, snap.outlets(), snap.latest_year() or date.today().year)

    def query_texts(self, analysis: QueryAnalysis, question: str) -> list[str]:
        """What a search encodes: the question, then each of its parts."""
        return [question] + [segment.text for segment in analysis.segments]

    def search(self, snap: Snapshot, question: str, k: int = 10) -> SearchResult:
        w = self.weights
        timings: dict[str, float] = {}
        started = time.perf_counter()
        analysis = self.analyse(snap, question)
        texts = self.query_texts(analysis, question)
        vectors, early = self._encode(snap, analysis, texts)
        query_vector = vectors[0]
        timings["encode"] = time.perf_counter() - started

        started = time.perf_counter()
        dense, lexical, reserved = self._candidates(snap, analysis, vectors, early)
        timings["search"] = time.perf_counter() - started

        started = time.perf_counter()
        fused: dict[int, float] = {}
        rrf(dense, w.dense, w.rrf_k, fused)
        rrf(lexical, w.lexical, w.rrf_k, fused)
        metadata = snap.chunk_metadata(list(fused) + [c for group in reserved for c in group])
        dates = self._publication_dates(analysis)  # once a question, not once a candidate
        for chunk_id in fused:
            fused[chunk_id] *= 1.0 + self._metadata_boost(analysis, dates, metadata.get(chunk_id))
        ranked = self._assemble(fused, reserved, metadata, k)
        rows = snap.chunks(ranked)
        articles = snap.articles([row.article_id for row in rows.values()])
        sentences = {c: snap.sentences(rows[c].article_id, rows[c].start, rows[c].end) for c in ranked
                     if c in rows and rows[c].article_id in articles}
        top = max(fused.values(), default=1.0) or 1.0
        score_of = {c: fused.get(c, 0.0) / top + w.sentence_overlap * self._best_sentence_overlap(
            analysis.terms, sentences[c], articles[rows[c].article_id]) for c in sentences}
        ranked = sorted(score_of, key=lambda c: -score_of[c])
        best = max(score_of.values(), default=1.0) or 1.0
        passages = []
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        for position, chunk_id in enumerate(ranked):
            row = rows[chunk_id]
            article = articles[row.article_id]
            score = min(score_of[chunk_id] / best, 1.0 - position * 1e-3)  # monotone by rank
            passages.append(Passage(chunk_id, row.article_id, row.start, row.end, article.body[row.start:row.end],
                                    round(score, 6), dense_scores.get(chunk_id), lexical_scores.get(chunk_id),
                                    sentences[chunk_id]))
        timings["fusion"] = time.perf_counter() - started
        return SearchResult(passages, query_vector, analysis, vectors[1:], articles, timings)

    def _encode(self, snap: Snapshot, analysis: QueryAnalysis, texts: list[str]
                       ) -> tuple[np.ndarray, Future[list[tuple[int, float]]] | None]:
        """The texts' vectors; for a remote snapshot, with its unrestricted BM25 search sent
        before they are encoded: it needs only the question's words, so the server's work
        (~30 ms on Milvus Lite, on another core) overlaps the encoding (~40 ms here) instead
        of following it."""
        if not getattr(snap, "remote_searches", False):
            return self.kb.embedder.encode_queries(texts), None
        early = _pool().submit(snap.lexical_search, analysis.terms, self.weights.candidates)
        try:
            return self.kb.embedder.encode_queries(texts), early
        except BaseException:
            wait([early])  # not left reading the snapshot after the reader has closed it
            raise

    def _candidates(self, snap: Snapshot, analysis: QueryAnalysis, vectors: np.ndarray,
                    early: Future[list[tuple[int, float]]] | None = None
                    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]], list[list[int]]]:
        """The dense and BM25 candidates and each named outlet's best chunks. A snapshot whose
        searches are requests to a server (``remote_searches``, the cluster's) has them run at
        once in threads, so their round trips overlap; the embedded store's run in turn.
        ``early``: the BM25 search already sent (_encode)."""
        w = self.weights
        jobs = [(snap.dense_search, (vectors[0], w.candidates))]
        if early is None:
            jobs.append((snap.lexical_search, (analysis.terms, w.candidates)))
        jobs += [(self._best_in_segment, (snap, segment, vector))
                 for segment, vector in zip(analysis.segments, vectors[1:], strict=True)]
        if getattr(snap, "remote_searches", False):
            futures = [_pool().submit(job, *args) for job, args in jobs]
            results = [future.result() for future in futures]
        else:
            results = [job(*args) for job, args in jobs]
        if early is not None:
            results.insert(1, early.result())
        return results[0], results[1], results[2:]

    @staticmethod
    def _best_sentence_overlap(terms: list[str], sentences: list[SentenceRow], article: ArticleRow) -> float:
        """The largest share of the question's words that one sentence of the passage holds:
        evidence tends to sit in a sentence, not spread over a passage."""
        return max((term_overlap(terms, article.body[s.start:s.end]) for s in sentences), default=0.0)

    def _metadata_boost(self, analysis: QueryAnalysis, dates: list[DateRange],
                        meta: tuple[str, str, str | None] | None) -> float:
        if meta is None:
            return 0.0
        _, source, published_at = meta
        boost = 0.0
        outlets = analysis.named_outlets
        if outlets and any(part.strip() in outlets for part in source.split(",")):
            boost += self.weights.outlet_boost
        day = published_day(published_at)
        if day and any(d.contains(day) for d in dates):
            boost += self.weights.date_boost
        return boost

    @staticmethod
    def _publication_dates(analysis: QueryAnalysis) -> list[DateRange]:
        """The dates that may say when an article was published: a day, part of a month or a
        year written out, or any date beside an outlet named. A bare month ("how much did
        sales fall in September") is when the news happened, which an article published
        weeks later reports: boosting that month's articles pushed the one answer, first by
        BM25 and by vectors, out of the top ten."""
        return [d for d in analysis.dates if analysis.named_outlets or (d.end - d.start).days <= 10
                or re.search(r"\b\d{4}\b", d.text)]

    def _best_in_segment(self, snap: Snapshot, segment: Segment, vector: np.ndarray) -> list[int]:
        """The best chunks of the outlet a clause names (and of its date, when one is said:
        the outlet's undated best when it published nothing then). Both searches are
        restricted inside their engines, not filtered afterwards."""
        w = self.weights
        outlets = set(segment.outlets)
        between = None
        if segment.dates:  # a day either side, as DateRange.contains allows
            between = (min(d.start for d in segment.dates) - timedelta(days=1),
                       max(d.end for d in segment.dates) + timedelta(days=1))
        dense = snap.dense_search(vector, 20, outlets=outlets, published_between=between)
        if not dense and between is not None:
            between = None
            dense = snap.dense_search(vector, 20, outlets=outlets)
        if not dense:
            return []
        fused: dict[int, float] = {}
        rrf(dense, w.dense, w.rrf_k, fused)
        lexical = snap.lexical_search(content_terms(segment.text), 20, outlets=outlets, published_between=between)
        rrf(lexical, w.lexical, w.rrf_k, fused)
        return [c for c, _ in sorted(fused.items(), key=lambda item: -item[1])[: w.per_segment]]

    def _assemble(self, fused: dict[int, float], reserved: list[list[int]],
                  metadata: dict[int, tuple[str, str, str | None]], k: int) -> list[int]:
        """Reserved per-outlet passages first, then the fused ranking, with at most
        ``per_article`` chunks of one article so multi-source questions see every source."""
        chosen: list[int] = []
        per_article: dict[str, int] = {}

        def take(chunk_id: int) -> None:
            article = metadata.get(chunk_id, ("?",))[0]
            if chunk_id in chosen or per_article.get(article, 0) >= self.weights.per_article:
                return
            chosen.append(chunk_id)
            per_article[article] = per_article.get(article, 0) + 1

        for group in reserved:
            for chunk_id in group:
                take(chunk_id)
        chosen.sort(key=lambda c: -fused.get(c, 0.0))
        for chunk_id, _ in sorted(fused.items(), key=lambda item: -item[1]):
            if len(chosen) >= k:
                break
            take(chunk_id)
        return chosen[:k]
