"""Enrichment of stored articles, the same on both backends: each enricher (company mentions,
sentence entities) runs over the articles it has not processed yet, from their stored text
and sentence spans, with no re-embedding; one transaction per batch of articles.

Usage::

    from index.store.enrichment import enrich_pending
    with kb._writing() as db:                     # the writer locks; db speaks SQLite's dialect
        done = enrich_pending(db, enrichers, progress, transaction=lambda: write_transaction(db),
                              bump_generation=lambda: bump_generation(db))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from index.intake import Article
from index.store.additions import INGEST_BATCH, Queries
from index.store.base import ArticleEnricher, Progress
from index.store.tables import ARTICLE_FIELDS


def delete_enricher_rows(db: Queries, article_id: str, enrichers: Sequence[ArticleEnricher]) -> None:
    """Deletes one article's rows from the enrichers' tables, after taking it out of any
    counts an enricher keeps over them (its ``forget``). Inside the caller's transaction."""
    for enricher in enrichers:
        forget = getattr(enricher, "forget", None)
        if forget is not None:
            forget(db, article_id)
        for table in enricher.tables:
            db.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))


def enrich_pending(db: Queries, enrichers: Sequence[ArticleEnricher], progress: Progress | None, *,
                   transaction: Callable[[], AbstractContextManager[object]], bump_generation: Callable[[], None],
                   article_order: str = "") -> int:
    """Runs each enricher over its pending articles (writer locks held); returns how many
    articles were enriched. ``article_order``: an ORDER BY for each batch's article rows."""
    done = 0
    for enricher in enrichers:
        pending = enricher.pending(db)
        for at in range(0, len(pending), INGEST_BATCH):
            ids = pending[at:at + INGEST_BATCH]
            marks = ",".join("?" * len(ids))
            articles = [Article(*r) for r in db.execute(
                f"SELECT {ARTICLE_FIELDS} FROM articles WHERE id IN ({marks}) {article_order}", ids)]
            spans = [[(s, e) for s, e in db.execute(
                'SELECT start, "end" FROM sentences WHERE article_id = ? ORDER BY start', (a.id,))]
                for a in articles]
            payloads = enricher.prepare(articles, spans)
            with transaction():
                for article, payload in zip(articles, payloads, strict=True):
                    delete_enricher_rows(db, article.id, [enricher])
                    enricher.write(db, article, payload)
                bump_generation()
            done += len(articles)
            if progress:
                progress(at + len(ids), len(pending))
    return done
