"""The company index as a store enricher: extraction and rows computed before the
article's write transaction, written inside it.

Usage::

    from index.companies.enricher import CompanyIndex
    index = CompanyIndex()                               # spaCy loads on the first ingest
    kb = EmbeddedKnowledgeBase.open(data_dir, embedder, enrichers=[index])
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
from collections.abc import Sequence

from index.companies.extractor import EntityExtractor
from index.companies.rows import analyse
from index.companies.tables import SCHEMA, TABLES, CompanyPayload, write_payload
from index.intake import Article


@functools.cache
def shared_extractor() -> EntityExtractor:
    """One extractor (one spaCy model, loaded on first use) per process."""
    return EntityExtractor()


_EXTRACT_LOCK = threading.Lock()


class CompanyIndex:
    """The :class:`index.store.ArticleEnricher` for companies. Cheap to create: spaCy loads
    only when an ingest first calls :meth:`prepare`."""

    schema = SCHEMA
    tables = TABLES

    def __init__(self, extractor: EntityExtractor | None = None) -> None:
        self._extractor = extractor
        self.seconds = 0.0  # time spent in prepare (extraction and analysis), for reports
        self.articles = 0

    @property
    def extractor(self) -> EntityExtractor:
        if self._extractor is None:
            self._extractor = shared_extractor()
        return self._extractor

    def prepare(self, articles: Sequence[Article],
                sentences: Sequence[Sequence[tuple[int, int]]]) -> list[CompanyPayload]:
        started = time.perf_counter()
        items = [(a.body, [(int(s), int(e)) for s, e in sents], a.outlets)
                 for a, sents in zip(articles, sentences, strict=True)]
        with _EXTRACT_LOCK:
            results = self.extractor.extract_many(items) if items else []
        payloads = [analyse(article, list(item[1]), result)
                    for article, item, result in zip(articles, items, results, strict=True)]
        self.seconds += time.perf_counter() - started
        self.articles += len(articles)
        return payloads

    def pending(self, db: sqlite3.Connection) -> list[str]:
        return [r[0] for r in db.execute(
            "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM company_indexed) ORDER BY rowid")]

    def write(self, db: sqlite3.Connection, article: Article, payload: object) -> None:
        assert isinstance(payload, CompanyPayload)
        write_payload(db, article.id, payload)
