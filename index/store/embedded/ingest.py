"""Writing articles into the embedded store's SQLite file: one batch in one transaction
(the article, its chunks with their vectors, its sentences with theirs, the enrichers' rows),
and removing an article with everything derived from it (logged for the indexes to replay).
Which articles to write, and their vectors, come from ``index.store.additions``.

Usage::

    from index.store.embedded.ingest import delete_article, write_batch
    write_batch(db, batch, plans, vectors, extras, embedder=embedder, enrichers=enrichers)
    with write_transaction(db):
        delete_article(db, "a-0123456789abcdef", enrichers)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from index.chunking import ChunkPlan
from index.embedding import Embedder, WindowVectors
from index.intake import Article
from index.store.additions import Plan, pooled_sentence_vectors
from index.store.base import ArticleEnricher
from index.store.embedded.schema import bump_generation, meta, set_meta, write_transaction
from index.store.enrichment import delete_enricher_rows
from index.store.tables import INSERT_ARTICLE, INSERT_SENTENCE, article_values, sentence_values


def write_batch(db: sqlite3.Connection, batch: Sequence[tuple[Article, bool]], plans: Sequence[Plan],
                vectors: Sequence[WindowVectors], extras: Sequence[list[object]], *, embedder: Embedder,
                enrichers: Sequence[ArticleEnricher]) -> None:
    """One transaction: each article (replacing its stored version where marked), its derived
    rows and its enrichers' rows; the first write records the model."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    position = 0
    with write_transaction(db):
        if meta(db, "model") is None:
            set_meta(db, "model", embedder.name)
            set_meta(db, "dim", embedder.dim)
        for index, ((article, replacing), (article_windows, plan)) in enumerate(zip(batch, plans, strict=True)):
            if replacing:
                delete_article(db, article.id, enrichers)
            db.execute(INSERT_ARTICLE, article_values(article, now))
            _insert_derived(db, article, plan, vectors[position:position + len(article_windows)])
            for enricher, payloads in zip(enrichers, extras, strict=True):
                enricher.write(db, article, payloads[index])
            position += len(article_windows)
        bump_generation(db)


def _insert_derived(db: sqlite3.Connection, article: Article, plan: ChunkPlan,
                    vectors: Sequence[WindowVectors]) -> None:
    """Chunks with their vectors, and sentences with the vector pooled in the
    first window that holds them."""
    for ord_, (chunk, result) in enumerate(zip(plan.chunks, vectors, strict=True)):
        chunk_id = db.execute('INSERT INTO chunks(article_id, ord, start, "end") VALUES (?,?,?,?)',
                              (article.id, ord_, chunk.start, chunk.end)).lastrowid
        db.execute("INSERT INTO chunk_vectors(chunk_id, vector) VALUES (?, ?)",
                   (chunk_id, result.window.astype(np.float32).tobytes()))
    db.executemany(INSERT_SENTENCE, sentence_values(article.id, [(s.start, s.end) for s in plan.sentences],
                                                    pooled_sentence_vectors(plan, vectors)))


def delete_article(db: sqlite3.Connection, article_id: str, enrichers: Sequence[ArticleEnricher]) -> None:
    """Deletes the article's rows and its enrichers' rows, logging its chunks as removed (the
    FAISS checkpoint and the lexical index replay the log). Inside a write transaction."""
    chunk_ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]
    db.executemany("DELETE FROM chunk_vectors WHERE chunk_id = ?", [(c,) for c in chunk_ids])
    db.executemany("INSERT INTO removed_chunks(chunk_id) VALUES (?)", [(c,) for c in chunk_ids])
    db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
    db.execute("DELETE FROM sentences WHERE article_id = ?", (article_id,))
    db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
    delete_enricher_rows(db, article_id, enrichers)


def remove_article(db: sqlite3.Connection, article_id: str, enrichers: Sequence[ArticleEnricher]) -> bool:
    """Removes one article in its own transaction; False when there is no such article."""
    with write_transaction(db):
        if db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is None:
            return False
        delete_article(db, article_id, enrichers)
        bump_generation(db)
    return True
