"""Checks of a knowledge base's on-disk state, written against SQLite directly so they do
not trust the code they check. Used by the crash, corruption and concurrency tests."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from index.embedding import Embedder
from index.store import DB_NAME, KnowledgeBase


@dataclass(frozen=True)
class KBState:
    articles: int
    chunks: int
    vectors: int
    sentences: int


def fingerprint(data_dir: Path) -> str:
    """A digest of every article and derived row: equal digests mean an unchanged knowledge base."""
    db = sqlite3.connect(f"file:{data_dir / DB_NAME}?mode=ro", uri=True)
    try:
        digest = hashlib.sha256()
        for sql in ("SELECT id, title, body, source, url, published_at, author, content_hash FROM articles ORDER BY id",
                    'SELECT id, article_id, ord, start, "end" FROM chunks ORDER BY id',
                    "SELECT chunk_id, vector FROM chunk_vectors ORDER BY chunk_id",
                    'SELECT article_id, ord, start, "end", vector FROM sentences ORDER BY id',
                    "SELECT rowid, text, title, meta FROM chunks_fts ORDER BY rowid"):
            for row in db.execute(sql):
                digest.update(repr(row).encode())
        return digest.hexdigest()
    finally:
        db.close()


def check_whole_or_absent(data_dir: Path, embedder: Embedder, bodies: dict[str, str] | None = None) -> KBState:
    """The store loads; every article present has all its chunks, vectors, text-index rows,
    sentences and company rows (and, when ``bodies`` is given, exactly the expected text);
    nothing derived is left without its article; the FAISS index a reader syncs holds
    exactly the chunk rows. Raises AssertionError saying what is wrong."""
    kb = KnowledgeBase.open(data_dir, embedder, lock_timeout=30)
    try:
        db = kb._wdb  # a plain connection; the checks below read in one transaction
        db.execute("BEGIN")
        try:
            assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)], "PRAGMA quick_check failed"
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
            per_article = db.execute(
                "SELECT a.id, a.body, "
                " (SELECT count(*) FROM chunks c WHERE c.article_id = a.id), "
                " (SELECT count(*) FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id WHERE c.article_id = a.id), "
                " (SELECT count(*) FROM chunks_fts f JOIN chunks c ON c.id = f.rowid WHERE c.article_id = a.id), "
                " (SELECT count(*) FROM sentences s WHERE s.article_id = a.id) "
                "FROM articles a").fetchall()
            for article_id, body, chunks, vectors, fts, sentences in per_article:
                assert chunks > 0, f"{article_id}: no chunks"
                assert vectors == chunks, f"{article_id}: {vectors} vectors for {chunks} chunks"
                assert fts == chunks, f"{article_id}: {fts} text-index rows for {chunks} chunks"
                assert sentences > 0, f"{article_id}: no sentences"
                if bodies is not None:
                    assert article_id in bodies, f"{article_id}: not an article of this test"
                    assert body == bodies[article_id], f"{article_id}: stored text differs from the source"
            if "company_indexed" in tables:
                missing = db.execute("SELECT count(*) FROM articles WHERE id NOT IN "
                                     "(SELECT article_id FROM company_indexed)").fetchone()[0]
                stray = db.execute("SELECT count(*) FROM company_indexed WHERE article_id NOT IN "
                                   "(SELECT id FROM articles)").fetchone()[0]
                assert missing == 0 and stray == 0, f"company rows: {missing} articles without, {stray} stray"
            orphans = {
                "chunks": "SELECT count(*) FROM chunks WHERE article_id NOT IN (SELECT id FROM articles)",
                "vectors": "SELECT count(*) FROM chunk_vectors WHERE chunk_id NOT IN (SELECT id FROM chunks)",
                "text-index rows": "SELECT count(*) FROM chunks_fts WHERE rowid NOT IN (SELECT id FROM chunks)",
                "sentences": "SELECT count(*) FROM sentences WHERE article_id NOT IN (SELECT id FROM articles)",
            }
            for label, sql in orphans.items():
                n = db.execute(sql).fetchone()[0]
                assert n == 0, f"{n} {label} without their article or chunk"
            chunk_ids = {r[0] for r in db.execute("SELECT id FROM chunks")}
            state = KBState(
                articles=len(per_article), chunks=len(chunk_ids),
                vectors=db.execute("SELECT count(*) FROM chunk_vectors").fetchone()[0],
                sentences=db.execute("SELECT count(*) FROM sentences").fetchone()[0])
        finally:
            db.execute("COMMIT")
        assert state.vectors == state.chunks, f"{state.vectors} stored vectors for {state.chunks} chunk rows"
        with kb.reader() as snap:
            assert snap.chunk_count == state.chunks
            faiss_ids = set(kb._vectors.ids().tolist()) if kb._vectors is not None else set()
            assert len(faiss_ids) == kb._vectors.ntotal == state.chunks, \
                f"FAISS holds {kb._vectors.ntotal} vectors for {state.chunks} chunk rows"
            assert faiss_ids == chunk_ids, "FAISS ids differ from the chunk ids"
        return state
    finally:
        kb.close()
