"""Hybrid retrieval: BM25 (SQLite FTS5) and dense (FAISS), fused by reciprocal rank.

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

import re
from dataclasses import dataclass, field

import numpy as np

from index.store import ArticleRow, KnowledgeBase, Snapshot

# Function words carry no topic; dropping them keeps BM25 OR-queries sharp and cheap.
STOPWORDS = frozenset((
    "a about above after again against all also am an and any are aren't as at be because been before being "
    "below between both but by can can't could couldn't did didn't do does doesn't doing don't down during "
    "each either few for from further had hadn't has hasn't have haven't having he her here hers herself him "
    "himself his how i if in into is isn't it it's its itself just let's may me might more most must my "
    "myself neither no nor not of off on once only or other ought our ours ourselves out over own per same "
    "shall she should shouldn't so some such than that that's the their theirs them themselves then there "
    "these they this those through to too under until up upon us very was wasn't we were weren't what "
    "what's when where which while who whom whose why will with within without won't would wouldn't yet you "
    "your yours yourself yourselves according article articles report reports reported reporting published "
    "news source sources say says said tell told regarding based"
).split())
_WORD = re.compile(r"[\w][\w'’.-]*[\w]|[\w]", re.UNICODE)


def content_terms(text: str) -> list[str]:
    """Lower-cased words of ``text`` minus stopwords, possessives folded, in order, unique."""
    terms: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group().lower().replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        word = word.strip("'.-")
        if len(word) < 2 and not word.isdigit():
            continue
        if word in STOPWORDS or word in terms:
            continue
        terms.append(word)
    return terms


def fts_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: any of the terms, each quoted so no input is syntax."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


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


@dataclass
class SearchResult:
    passages: list[Passage]
    query_vector: np.ndarray
    articles: dict[str, ArticleRow] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchWeights:
    """Fusion settings; tuned on the MultiHop-RAG dev questions (see `newsbot eval`)."""

    rrf_k: float = 60.0
    dense: float = 1.0
    lexical: float = 1.0
    candidates: int = 100


class HybridSearcher:
    def __init__(self, kb: KnowledgeBase, weights: SearchWeights | None = None) -> None:
        self.kb = kb
        self.weights = weights or SearchWeights()

    def search(self, snap: Snapshot, question: str, k: int = 10,
               query_vector: np.ndarray | None = None) -> SearchResult:
        import time

        w = self.weights
        timings: dict[str, float] = {}
        started = time.perf_counter()
        if query_vector is None:
            query_vector = self.kb.embedder.encode_queries([question])[0]
        timings["encode"] = time.perf_counter() - started

        started = time.perf_counter()
        dense = snap.dense_search(query_vector, w.candidates)
        lexical = snap.lexical_search(fts_query(content_terms(question)), w.candidates)
        timings["search"] = time.perf_counter() - started

        started = time.perf_counter()
        fused: dict[int, float] = {}
        for rank, (chunk_id, _) in enumerate(dense):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + w.dense / (w.rrf_k + rank + 1)
        for rank, (chunk_id, _) in enumerate(lexical):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + w.lexical / (w.rrf_k + rank + 1)
        top = sorted(fused.items(), key=lambda item: -item[1])[:k]
        dense_scores = dict(dense)
        lexical_scores = dict(lexical)
        rows = snap.chunks([chunk_id for chunk_id, _ in top])
        articles = snap.articles([row.article_id for row in rows.values()])
        passages = []
        for chunk_id, score in top:
            row = rows.get(chunk_id)
            article = articles.get(row.article_id) if row else None
            if row is None or article is None:
                continue
            passages.append(Passage(
                chunk_id, row.article_id, row.start, row.end, article.body[row.start:row.end], score,
                dense_scores.get(chunk_id), lexical_scores.get(chunk_id),
            ))
        timings["fusion"] = time.perf_counter() - started
        return SearchResult(passages, query_vector, articles, timings)
