"""The seam: what the rest of newsbot uses of a knowledge base, whichever backend holds it.

Two backends satisfy these protocols: the embedded store (``index.store.embedded``: SQLite,
FAISS and tantivy under one data dir) and the cluster backend (``index.store.cluster``:
PostgreSQL and Milvus). Code outside ``index/store/`` types its arguments with
``KnowledgeBase`` and ``Snapshot`` and never learns which backend it talks to. No engine query
syntax crosses the seam: lexical terms are plain words, restrictions are outlet names and days.

Usage::

    from index.store import KnowledgeBase, Snapshot

    def best_chunks(kb: KnowledgeBase, vector: np.ndarray) -> list[tuple[int, float]]:
        with kb.reader() as snap:                  # one consistent view for one question
            return snap.dense_search(vector, 10, outlets={"Reuters"})
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Protocol, TypeVar

import numpy as np

from index.embedding import Embedder
from index.intake import Article
from index.store.records import AddReport, ArticleRow, ChunkRow, SentenceRow

T = TypeVar("T")
Progress = Callable[[int, int], None]  # (done, total)
WRITER_BUSY = "another newsbot process is changing this knowledge base; try again when it has finished"


class KnowledgeBaseError(RuntimeError):
    """A problem with the data dir that the user must act on; the message says how."""


class ModelMismatchError(KnowledgeBaseError):
    pass


class WriterBusyError(KnowledgeBaseError):
    pass


def model_mismatch(stored: str, dim: str | None, configured: str) -> ModelMismatchError:
    """The error for a knowledge base built with another model than the configured one."""
    return ModelMismatchError(
        f"this knowledge base was built with the model {stored!r} ({dim} dimensions), but the "
        f"configured model is {configured!r}; run `newsbot index rebuild` to re-embed every "
        "article with the configured model, or configure the old one again")


class ArticleEnricher(Protocol):
    """Extra per-article data derived at ingest (e.g. company mentions), written in the
    same transaction as the article, so it is whole or absent with it.

    ``tables`` must each have an ``article_id`` column: removal and replacement delete by it.
    An enricher may also keep tables of counts over its rows (``derived_tables``, checked
    to exist at open like ``tables``), with a ``forget(db, article_id)`` method that takes
    an article out of them; it is called before the article's rows are deleted
    (``index.store.enrichment.delete_enricher_rows``).
    ``db`` is a SQLite connection, or on the cluster backend a connection that speaks the
    same dialect (``index.store.cluster.sqlcompat.SqliteCompat``)."""

    schema: str
    tables: tuple[str, ...]

    def prepare(self, articles: Sequence[Article], sentences: Sequence[Sequence[tuple[int, int]]]) -> list[object]:
        """Per-article payloads, computed before the transaction (no database access)."""

    def write(self, db: sqlite3.Connection, article: Article, payload: object) -> None:
        """Inserts one article's rows; called inside the write transaction."""

    def pending(self, db: sqlite3.Connection) -> list[str]:
        """Ids of stored articles this enricher has not processed (e.g. added before it existed)."""


class SnapshotMemo:
    """What both backends' snapshots share: values derived from the knowledge base, kept
    until it changes (the knowledge base clears the cache it hands in on every change)."""

    def __init__(self, cache: dict[object, object]) -> None:
        self._memo_cache = cache

    def memo(self, key: object, compute: Callable[[], T]) -> T:
        """A value derived from this snapshot, kept until the knowledge base changes."""
        cache = self._memo_cache
        if key not in cache:
            cache[key] = compute()
        return cache[key]  # type: ignore[return-value]


class Snapshot(Protocol):
    """One consistent read view: search indexes and records agree for its whole life."""

    @property
    def article_count(self) -> int: ...

    @property
    def chunk_count(self) -> int: ...

    def dense_search(self, query: np.ndarray, k: int, within: Sequence[int] | None = None, *,
                     outlets: Collection[str] | None = None,
                     published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        """Nearest chunks by inner product, best first. ``within`` (chunk ids), ``outlets``
        (exact names) and ``published_between`` (inclusive days) combine (AND)."""

    def lexical_search(self, terms: Sequence[str], k: int, *, outlets: Collection[str] | None = None,
                       published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        """BM25 over chunk text, title and outlet/date words, best first. ``terms`` are plain
        words (the engine analyses and stems them; several words are a phrase; any may match)."""

    def dense_scores(self, query: np.ndarray, chunk_ids: Sequence[int]) -> dict[int, float]:
        """Exact scores for chosen chunks (e.g. lexical hits the dense top-k missed)."""

    def phrase_count(self, phrase: str) -> int:
        """How many chunks contain the phrase (in their text or title), up to 1000."""

    def restricted_chunks(self, outlets: Collection[str] | None,
                          published_between: tuple[date, date] | None) -> list[int]:
        """Sorted chunk ids of articles from any of ``outlets`` (None: any) published within
        the inclusive days (None: any day, undated included)."""

    def chunks_of_outlets(self, outlets: Sequence[str]) -> list[int]:
        """Sorted chunk ids of articles from any of the outlets (an exact name within the source)."""

    def all_chunk_ids(self) -> list[int]: ...

    def chunk_metadata(self, chunk_ids: Sequence[int]) -> dict[int, tuple[str, str, str | None]]:
        """chunk id → (article id, source, published_at), for metadata-aware ranking."""

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]: ...

    def articles(self, article_ids: Sequence[str], with_body: bool = True) -> dict[str, ArticleRow]: ...

    def sentences(self, article_id: str, start: int, end: int) -> list[SentenceRow]:
        """The article's sentences lying within [start, end), in order."""

    def article_sentences(self, article_id: str) -> list[SentenceRow]: ...

    def outlets(self) -> list[str]:
        """Every outlet name in the knowledge base (multi-outlet sources split)."""

    def latest_year(self) -> int | None: ...

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        """Read-only SQL (SQLite dialect) within this snapshot, for modules that own extra tables."""

    def memo(self, key: object, compute: Callable[[], T]) -> T:
        """A value derived from this snapshot, kept until the knowledge base changes."""


class KnowledgeBase(Protocol):
    """A knowledge base of either backend. Thread-safe: writers and readers take turns."""

    embedder: Embedder
    enrichers: tuple[ArticleEnricher, ...]

    @property
    def model_name(self) -> str | None:
        """The embedding model the stored vectors were made with (None while empty)."""

    def check_model(self) -> None:
        """Raises ModelMismatchError when the configured model is not the stored vectors' model."""

    def close(self) -> None: ...

    def reader(self) -> AbstractContextManager[Snapshot]:
        """One consistent read view, for one question."""

    def get_article(self, article_id: str) -> ArticleRow | None: ...

    def list_articles(self, *, limit: int | None = None, offset: int = 0) -> list[ArticleRow]:
        """Newest first: by publication date where known, then by when it was added."""

    def counts(self) -> dict[str, int]:
        """Rows of articles, chunks and sentences."""

    def is_empty(self) -> bool: ...

    def add_articles(self, articles: Sequence[Article], progress: Progress | None = None) -> AddReport:
        """Adds new articles, replaces changed ones, skips exact and same-text duplicates."""

    def remove(self, article_id: str) -> bool:
        """Removes an article and everything derived from it; False when there is no such article."""

    def enrich(self, progress: Progress | None = None) -> int:
        """Runs each enricher over the stored articles it has not processed; returns how many."""

    def rebuild(self, progress: Progress | None = None) -> AddReport:
        """Re-derives every sentence, chunk, vector and index from the stored article text."""

    def checkpoint(self) -> None:
        """Brings the derived search indexes up to date now, so the next start replays nothing."""
