"""Checks of a knowledge base's on-disk state, written against SQLite directly so they do
not trust the code they check. Used by the crash, corruption and concurrency tests.

Usage::

    from tests.reliability.kbcheck import check_whole_or_absent, fingerprint
    before = fingerprint(data_dir)                    # a digest of every article and derived row
    state = check_whole_or_absent(data_dir, embedder)  # raises AssertionError saying what is wrong
    assert fingerprint(data_dir) == before and state.articles == 8
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from index.embedding import Embedder
from index.store.embedded import EmbeddedKnowledgeBase
from index.store.embedded.layout import DB_NAME


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
                    'SELECT article_id, ord, start, "end", vector FROM sentences ORDER BY id'):
            for row in db.execute(sql):
                digest.update(repr(row).encode())
        return digest.hexdigest()
    finally:
        db.close()


def check_whole_or_absent(data_dir: Path, embedder: Embedder, bodies: dict[str, str] | None = None) -> KBState:
    """The store loads; every article present has all its chunks, vectors, sentences and
    company rows (and, when ``bodies`` is given, exactly the expected text); nothing derived
    is left without its article; the FAISS index and the lexical (tantivy) index a reader
    syncs hold exactly the chunk ids, and the lexical index records SQLite's state and
    finds each article by a word of its text. Raises AssertionError saying what is wrong."""
    kb = EmbeddedKnowledgeBase.open(data_dir, embedder, lock_timeout=30)
    try:
        db = kb._wdb  # a plain connection; the checks below read in one transaction
        db.execute("BEGIN")
        try:
            state, chunk_ids, sql_state, first_words = _check_sqlite(db, bodies)
        finally:
            db.execute("COMMIT")
        assert state.vectors == state.chunks, f"{state.vectors} stored vectors for {state.chunks} chunk rows"
        with kb.reader() as snap:
            assert snap.chunk_count == state.chunks
            faiss_ids = set(kb._vectors.ids().tolist()) if kb._vectors is not None else set()
            assert len(faiss_ids) == kb._vectors.ntotal == state.chunks, \
                f"FAISS holds {kb._vectors.ntotal} vectors for {state.chunks} chunk rows"
            assert faiss_ids == chunk_ids, "FAISS ids differ from the chunk ids"
            check_lexical(kb, snap, chunk_ids, sql_state, first_words)
        return state
    finally:
        kb.close()


_ORPHANS = {
    "chunks": "SELECT count(*) FROM chunks WHERE article_id NOT IN (SELECT id FROM articles)",
    "vectors": "SELECT count(*) FROM chunk_vectors WHERE chunk_id NOT IN (SELECT id FROM chunks)",
    "sentences": "SELECT count(*) FROM sentences WHERE article_id NOT IN (SELECT id FROM articles)",
}


def _check_sqlite(db: sqlite3.Connection, bodies: dict[str, str] | None) -> tuple[KBState, set[int], tuple, dict]:
    """The SQLite half of check_whole_or_absent, inside the caller's transaction: the state,
    the chunk ids, the (epoch, high, seq) the lexical index must record, a word per article."""
    assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)], "PRAGMA quick_check failed"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    per_article = db.execute(
        "SELECT a.id, a.body, "
        " (SELECT count(*) FROM chunks c WHERE c.article_id = a.id), "
        " (SELECT count(*) FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id WHERE c.article_id = a.id), "
        " (SELECT count(*) FROM sentences s WHERE s.article_id = a.id) "
        "FROM articles a").fetchall()
    for article_id, body, chunks, vectors, sentences in per_article:
        assert chunks > 0, f"{article_id}: no chunks"
        assert vectors == chunks, f"{article_id}: {vectors} vectors for {chunks} chunks"
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
    for label, sql in _ORPHANS.items():
        n = db.execute(sql).fetchone()[0]
        assert n == 0, f"{n} {label} without their article or chunk"
    chunk_ids = {r[0] for r in db.execute("SELECT id FROM chunks")}
    sql_state = (db.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()[0],
                 db.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0],
                 db.execute("SELECT coalesce(max(seq), 0) FROM removed_chunks").fetchone()[0])
    state = KBState(articles=len(per_article), chunks=len(chunk_ids),
                    vectors=db.execute("SELECT count(*) FROM chunk_vectors").fetchone()[0],
                    sentences=db.execute("SELECT count(*) FROM sentences").fetchone()[0])
    return state, chunk_ids, sql_state, {a: _longest_word(body) for a, body, *_ in per_article}


def _longest_word(body: str) -> str:
    return max((w.strip(".,;:!?\"'()") for w in body.split()[:60]), key=len)


def check_lexical(kb: EmbeddedKnowledgeBase, snap, chunk_ids: set[int], sql_state: tuple,
                  words: dict[str, str]) -> None:
    """The tantivy index holds exactly the chunk ids, records SQLite's state, and a word of
    each article's opening finds one of that article's chunks."""
    lexical = kb._lexical
    assert lexical is not None and kb._lexical_usable, "the lexical index is not usable after a sync"
    held = lexical.chunk_ids()
    assert held == chunk_ids, f"lexical index: {len(chunk_ids - held)} chunks missing, {len(held - chunk_ids)} extra"
    state = lexical.state()
    if state is None:  # a new store's empty index has no marker until its first commit
        assert lexical.is_empty and not chunk_ids and sql_state[1] == 0, f"no lexical marker for {sql_state}"
    else:
        assert (state.epoch, state.high, state.seq) == tuple(sql_state), \
            f"lexical marker {state} differs from SQLite {sql_state}"
    for article_id, word in words.items():
        hits = [c for c, _ in snap.lexical_search([word], len(chunk_ids) + 1)]
        found = {row.article_id for row in snap.chunks(hits).values()}
        assert article_id in found, f"{article_id}: the lexical index does not find it by {word!r}"
