"""Enrichment of stored articles: each enricher (company mentions, sentence entities) runs
over the articles it has not processed yet, from their stored text and sentence spans, with
no re-embedding. One transaction per batch of articles.

Usage::

    from index.store.embedded.enrich import enrich_pending
    done = enrich_pending(db, enrichers, progress=lambda done, total: print(done, total))
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from index.articles import Article
from index.store.additions import INGEST_BATCH
from index.store.base import ArticleEnricher, Progress
from index.store.embedded.schema import bump_generation, write_transaction
from index.store.tables import ARTICLE_FIELDS


def enrich_pending(db: sqlite3.Connection, enrichers: Sequence[ArticleEnricher],
                   progress: Progress | None = None) -> int:
    """Runs each enricher over its pending articles (writer lock held); returns how many
    articles were enriched."""
    done = 0
    for enricher in enrichers:
        pending = enricher.pending(db)
        for at in range(0, len(pending), INGEST_BATCH):
            ids = pending[at:at + INGEST_BATCH]
            marks = ",".join("?" * len(ids))
            articles = [Article(*r) for r in db.execute(
                f"SELECT {ARTICLE_FIELDS} FROM articles WHERE id IN ({marks})", ids)]
            spans = [[(s, e) for s, e in db.execute(
                'SELECT start, "end" FROM sentences WHERE article_id = ? ORDER BY start', (a.id,))]
                for a in articles]
            payloads = enricher.prepare(articles, spans)
            with write_transaction(db):
                for article, payload in zip(articles, payloads, strict=True):
                    for table in enricher.tables:
                        db.execute(f"DELETE FROM {table} WHERE article_id = ?", (article.id,))
                    enricher.write(db, article, payload)
                bump_generation(db)
            done += len(articles)
            if progress:
                progress(at + len(ids), len(pending))
    return done
