"""Adding articles, the part both backends share: which articles to write (same id unchanged,
same text under another id, replaced), their chunk plans and model windows, and the loop that
embeds and writes them batch by batch. Each backend supplies only its ``write_batch``; a
backend class that inherits ``BatchedIngest`` gets ``add_articles`` from it.

Usage::

    from index.store.additions import ingest_in_batches, plan_additions, plan_windows, record_additions
    report = AddReport()
    todo = plan_additions(db, articles, report)            # [(article, replaces_a_stored_one)]
    report.chunks_added = ingest_in_batches(
        todo, prepare=lambda batch: plan_windows(embedder, batch), embedder=embedder,
        enrichers=enrichers, write_batch=lambda *rows: store_batch(db, *rows), progress=None)
    record_additions(todo, report)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from functools import partial
from typing import Protocol

import numpy as np

from index.chunking import ChunkPlan, plan_chunks, split_sentences
from index.embedding import Embedder, Window, WindowVectors
from index.intake import Article
from index.store.base import ArticleEnricher, Progress
from index.store.records import AddReport, ArticleOutcome, body_hash

INGEST_BATCH = 24  # articles per transaction: small enough that a kill loses little

Plan = tuple[list[Window], ChunkPlan]  # an article's model windows and the chunks they make
BatchWriter = Callable[[Sequence[tuple[Article, bool]], Sequence[Plan], Sequence[WindowVectors],
                        Sequence[list[object]]], None]


class _Row(Protocol):
    def fetchone(self) -> tuple | None: ...


class Queries(Protocol):
    """A connection that takes SQLite-dialect SQL: sqlite3, or the cluster's SqliteCompat."""

    def execute(self, sql: str, params: Sequence[object] = ...) -> _Row: ...


def plan_additions(db: Queries, articles: Sequence[Article], report: AddReport) -> list[tuple[Article, bool]]:
    """Which articles to write, each with whether it replaces a stored one; duplicates go to
    ``report.skipped`` with their reason. Both backends plan an add this way."""
    todo: list[tuple[Article, bool]] = []
    seen_ids: set[str] = set()
    seen_bodies: dict[str, str] = {}
    for article in articles:
        reason = _skip_reason(db, article, seen_ids, seen_bodies)
        if reason is not None:
            report.skipped.append(ArticleOutcome(article.id, article.title, article.origin, reason))
            continue
        exists = db.execute("SELECT 1 FROM articles WHERE id = ?", (article.id,)).fetchone()
        todo.append((article, exists is not None))
        seen_ids.add(article.id)
        seen_bodies[body_hash(article.body)] = article.id
    return todo


def record_additions(todo: Sequence[tuple[Article, bool]], report: AddReport) -> None:
    """Files each written article under ``report.added`` or ``report.replaced``."""
    for article, replacing in todo:
        (report.replaced if replacing else report.added).append(ArticleOutcome(article.id, article.title,
                                                                               article.origin))


def _skip_reason(db: Queries, article: Article, seen_ids: set[str], seen_bodies: dict[str, str]) -> str | None:
    """Why an article is skipped, or None when it must be written."""
    if article.id in seen_ids:
        return "the same id appears earlier in this add"
    row = db.execute("SELECT content_hash FROM articles WHERE id = ?", (article.id,)).fetchone()
    if row is not None and row[0] == article.content_hash:
        return "already indexed, unchanged"
    digest = body_hash(article.body)
    if digest in seen_bodies:
        return f"same text as {seen_bodies[digest]} earlier in this add"
    twin = db.execute("SELECT id FROM articles WHERE body_hash = ? AND id != ?", (digest, article.id)).fetchone()
    if twin is not None:
        return f"same text as indexed article {twin[0]}"
    return None


def plan_windows(embedder: Embedder, articles: Sequence[Article]) -> list[Plan]:
    """Chunk plans and model windows for a batch: tokenised once, no I/O."""
    tokens = embedder.tokenize_many([a.body for a in articles])
    titles = embedder.tokenize_many([a.title + "." for a in articles])
    prepared = []
    for article, article_tokens, title_tokens in zip(articles, tokens, titles, strict=True):
        # The title rides along as context, but never takes more than a fifth of the window.
        prefix = title_tokens.ids[: embedder.max_tokens // 5]
        plan = plan_chunks(article.body, split_sentences(article.body), article_tokens,
                           max_tokens=embedder.max_tokens - len(prefix), max_chars=1500)
        windows = [
            Window(article_tokens.ids[chunk.token_start:chunk.token_end],
                   [(s.token_start - chunk.token_start, s.token_end - chunk.token_start)
                    for s in plan.sentences[chunk.first_sentence:chunk.last_sentence + 1]],
                   prefix)
            for chunk in plan.chunks
        ]
        prepared.append((windows, plan))
    return prepared


def ingest_in_batches(todo: Sequence[tuple[Article, bool]], *, prepare: Callable[[list[Article]], list[Plan]],
                      embedder: Embedder, enrichers: Sequence[ArticleEnricher], write_batch: BatchWriter,
                      progress: Progress | None) -> int:
    """Plans every article first (so progress knows the total), then embeds and writes
    batch by batch; ``write_batch`` makes each batch one transaction, so each article is
    whole or absent. ``progress(done, total)`` counts embedded chunks. Returns the total."""
    prepared = prepare([a for a, _ in todo])
    total = sum(len(windows) for windows, _ in prepared)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    advance(0)
    for batch_start in range(0, len(todo), INGEST_BATCH):
        batch = todo[batch_start:batch_start + INGEST_BATCH]
        plans = prepared[batch_start:batch_start + INGEST_BATCH]
        windows = [w for ws, _ in plans for w in ws]
        vectors = embedder.encode_windows(windows, progress=advance)
        sentences = [[(s.start, s.end) for s in plan.sentences] for _, plan in plans]
        extras = [e.prepare([a for a, _ in batch], sentences) for e in enrichers]
        write_batch(batch, plans, vectors, extras)
    return total


def pooled_sentence_vectors(plan: ChunkPlan, vectors: Sequence[WindowVectors]) -> dict[int, np.ndarray]:
    """Sentence index → its vector, pooled in the first window that holds the sentence."""
    sentence_vectors: dict[int, np.ndarray] = {}
    for chunk, result in zip(plan.chunks, vectors, strict=True):
        for offset, index in enumerate(range(chunk.first_sentence, chunk.last_sentence + 1)):
            sentence_vectors.setdefault(index, result.spans[offset])
    return sentence_vectors


class BatchedIngest:
    """``add_articles`` for a backend class that supplies ``_writing()`` (the writer locks,
    yielding its connection), ``_write_batch(db, batch, plans, vectors, extras, **options)``
    (one transaction) and ``check_model()``. ``_prepare`` and ``_write_batch`` are looked up
    on the instance at each call, so the benchmarks can time each stage."""

    embedder: Embedder
    enrichers: tuple[ArticleEnricher, ...]

    def _writing(self) -> AbstractContextManager[Queries]:
        raise NotImplementedError

    def _write_batch(self, db: Queries, batch: Sequence[tuple[Article, bool]], plans: Sequence[Plan],
                     vectors: Sequence[WindowVectors], extras: Sequence[list[object]]) -> None:
        raise NotImplementedError

    def check_model(self) -> None:
        raise NotImplementedError

    def add_articles(self, articles: Sequence[Article], progress: Progress | None = None) -> AddReport:
        """Adds new articles, replaces changed ones, skips exact and same-text duplicates.
        ``progress(done, total)`` counts embedded chunks."""
        started = time.perf_counter()
        report = AddReport()
        with self._writing() as db:
            self.check_model()
            todo = plan_additions(db, articles, report)
            report.chunks_added = self._ingest(db, todo, progress)
            record_additions(todo, report)
        report.seconds = time.perf_counter() - started
        return report

    def _prepare(self, articles: Sequence[Article]) -> list[Plan]:
        return plan_windows(self.embedder, articles)

    def _ingest(self, db: Queries, todo: Sequence[tuple[Article, bool]], progress: Progress | None,
                **write_options: object) -> int:
        return ingest_in_batches(todo, prepare=self._prepare, embedder=self.embedder, enrichers=self.enrichers,
                                 write_batch=partial(self._write_batch, db, **write_options), progress=progress)
