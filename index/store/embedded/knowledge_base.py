"""The embedded knowledge base: articles, sentences, chunks, vectors and BM25 under one data
dir (see ``layout.py`` for its files). It puts together the modules beside it: the SQLite
schema, the writer lock, the snapshot, ingest, enrichment, rebuild, and the syncs that keep
the FAISS and tantivy indexes in step with SQLite.

Usage::

    from index.store.embedded import EmbeddedKnowledgeBase
    kb = EmbeddedKnowledgeBase.open(Path("~/.local/share/newsbot").expanduser(), embedder)
    report = kb.add_articles(parse_paths([Path("seeds/")]).articles)
    with kb.reader() as snap:                     # one consistent view for one question
        hits = snap.dense_search(vector, k=10)
    kb.remove("a-0123456789abcdef")
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from index.embedding import Embedder, WindowVectors
from index.intake import Article
from index.store.additions import BatchedIngest, Plan
from index.store.base import ArticleEnricher, KnowledgeBaseError, Progress, model_mismatch
from index.store.embedded import ingest, schema
from index.store.embedded.layout import DB_NAME
from index.store.embedded.lexical import LexicalIndex
from index.store.embedded.lexical_sync import LexicalSync
from index.store.embedded.rebuild import rebuild_into
from index.store.embedded.snapshot import EmbeddedSnapshot, read_articles
from index.store.embedded.vector_sync import VectorSync
from index.store.embedded.vectors import VectorIndex
from index.store.embedded.writer_lock import try_writer_lock, writer_lock
from index.store.enrichment import enrich_pending
from index.store.records import AddReport, ArticleRow
from index.store.tables import ARTICLE_ROW_FIELDS


class EmbeddedKnowledgeBase(BatchedIngest):
    """Owns the data dir. Thread-safe: writers and readers in one process take turns.
    ``add_articles`` comes from ``BatchedIngest``, which calls ``_write_batch`` here."""

    def __init__(self, data_dir: Path, embedder: Embedder, lock_timeout: float,
                 enrichers: Sequence[ArticleEnricher] = (), vector_policy: str | None = None) -> None:
        self.vector_policy = vector_policy
        self.data_dir = data_dir
        self.embedder = embedder
        self.enrichers = tuple(enrichers)
        # Readers and the writer use separate connections, so a long add (most of it spent
        # embedding, outside any transaction) never holds questions up.
        self._db = schema.connect(data_dir / DB_NAME)
        self._wdb = schema.connect(data_dir / DB_NAME)
        self._lock = threading.RLock()        # guards self._db and the vector index
        self._write_lock = threading.Lock()   # guards self._wdb; the file lock guards other processes
        self._lock_timeout = lock_timeout
        self._snapshot_cache: dict[object, object] = {}  # Snapshot.memo values for the synced state
        self._vector_sync = VectorSync(data_dir, model_name=embedder.name, policy=vector_policy,
                                       on_change=self._snapshot_cache.clear)
        self._lexical_sync = LexicalSync(data_dir, swap_lock=self._lock, try_writing=self._try_writing)

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, data_dir: Path, embedder: Embedder, *, lock_timeout: float = 120.0,
             check_model: bool = True, enrichers: Sequence[ArticleEnricher] = (),
             vector_policy: str | None = None) -> EmbeddedKnowledgeBase:
        """Opens (creating if needed) the knowledge base in ``data_dir``. ``check_model=False``
        is for `index rebuild`, which exists to replace vectors of another model;
        ``vector_policy`` picks the FAISS layout (``index.store.embedded.vectors.POLICIES``)."""
        data_dir = Path(data_dir).expanduser()
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise KnowledgeBaseError(f"cannot create the data dir {data_dir}: {exc.strerror}") from exc
        path = data_dir / DB_NAME
        try:
            _ensure_schema(data_dir, enrichers, lock_timeout)
            kb = cls(data_dir, embedder, lock_timeout, enrichers, vector_policy)
            kb._db.execute("SELECT count(*) FROM articles").fetchone()
            if kb._db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is None:
                kb._lexical_sync.open_new()
        except sqlite3.DatabaseError as exc:
            raise schema.damaged(path, exc) from exc
        if check_model:
            kb.check_model()
        return kb

    def close(self) -> None:
        with self._lock, self._write_lock:
            self._db.close()
            self._wdb.close()

    @property
    def model_name(self) -> str | None:
        with self._lock:
            return schema.meta(self._db, "model")

    def check_model(self) -> None:
        with self._lock:
            stored, dim = schema.meta(self._db, "model"), schema.meta(self._db, "dim")
        if stored is not None and stored != self.embedder.name:
            raise model_mismatch(stored, dim, self.embedder.name)

    # ------------------------------------------------------------------ reading

    def get_article(self, article_id: str) -> ArticleRow | None:
        with self._lock:
            return read_articles(self._db, [article_id], True).get(article_id)

    def list_articles(self, *, limit: int | None = None, offset: int = 0) -> list[ArticleRow]:
        """Newest first: by publication date where known, then by when it was added."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {ARTICLE_ROW_FIELDS}, '' FROM articles "
                "ORDER BY coalesce(published_at, added_at) DESC, id LIMIT ? OFFSET ?",
                (-1 if limit is None else limit, offset),
            ).fetchall()
        return [ArticleRow(*r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {
                table: int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in ("articles", "chunks", "sentences")
            }

    def is_empty(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None

    @contextlib.contextmanager
    def reader(self) -> Iterator[EmbeddedSnapshot]:
        """A read transaction with the vector and lexical indexes brought up to the same state."""
        with self._lock:
            self._db.execute("BEGIN")
            finished = False
            try:
                self._vector_sync.sync(self._db)
                self._lexical_sync.sync(self._db)
                yield EmbeddedSnapshot(self._db, self._vector_sync.index, self._lexical_sync.view(),
                                       self._snapshot_cache)
                finished = True
            except sqlite3.DatabaseError as exc:
                if schema.is_damage(exc):
                    raise schema.damaged(self.data_dir / DB_NAME, exc) from exc
                raise
            finally:
                try:
                    self._db.execute("COMMIT")
                except sqlite3.DatabaseError as exc:  # after damage, even ending the read can fail
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                    if finished:
                        raise schema.damaged(self.data_dir / DB_NAME, exc) from exc

    # The derived indexes as this process holds them (None before the first read), for
    # doctor and the reliability checks.
    @property
    def _vectors(self) -> VectorIndex | None:
        return self._vector_sync.index

    @property
    def _lexical(self) -> LexicalIndex | None:
        return self._lexical_sync.index

    @property
    def _lexical_usable(self) -> bool:
        return self._lexical_sync.usable

    @property
    def lexical_repairs(self) -> list[str]:
        """Rebuilds of a missing or damaged lexical index in this process, for doctor."""
        return self._lexical_sync.repairs

    def checkpoint(self) -> None:
        """Writes a fresh vector checkpoint now, so the next start replays nothing."""
        with self.reader():
            self._vector_sync.write_checkpoint()

    def lexical_report(self) -> dict[str, object]:
        """For `newsbot doctor`: what the lexical index holds against SQLite, chunk by chunk."""
        with self.reader() as snap:
            return self._lexical_sync.report(set(snap.all_chunk_ids()))

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock, writer_lock(self.data_dir, self._lock_timeout):
            yield self._wdb

    @contextlib.contextmanager
    def _try_writing(self) -> Iterator[bool]:
        """The writer locks if they are free at once; False when a writer holds them."""
        if not self._write_lock.acquire(blocking=False):
            yield False
            return
        try:
            with try_writer_lock(self.data_dir) as locked:
                yield locked
        finally:
            self._write_lock.release()

    def _write_batch(self, db: sqlite3.Connection, batch: Sequence[tuple[Article, bool]], plans: Sequence[Plan],
                     vectors: Sequence[WindowVectors], extras: Sequence[list[object]]) -> None:
        ingest.write_batch(db, batch, plans, vectors, extras, embedder=self.embedder, enrichers=self.enrichers)
        if db is self._wdb:  # not the scratch database of a rebuild
            self._lexical_sync.apply(db)

    def remove(self, article_id: str) -> bool:
        with self._writing() as db:
            if not ingest.remove_article(db, article_id, self.enrichers):
                return False
            self._lexical_sync.apply(db)
        return True

    def enrich(self, progress: Progress | None = None) -> int:
        """Runs each enricher over the stored articles it has not processed, from their stored
        text and sentence spans (no re-embedding). Returns how many articles were enriched."""
        with self._writing() as db:
            return enrich_pending(db, self.enrichers, progress, transaction=lambda: schema.write_transaction(db),
                                  bump_generation=lambda: schema.bump_generation(db))

    def rebuild(self, progress: Progress | None = None) -> AddReport:
        """Re-derives every sentence, chunk, vector and lexical document from the stored article
        text with the configured model (see ``rebuild.py``: a kill at any point loses nothing)."""
        started = time.perf_counter()
        with self._writing() as live:
            report = rebuild_into(live, self.data_dir, self.enrichers,
                                  lambda scratch, todo: self._ingest(scratch, todo, progress))
            self._lexical_sync.apply(live, rebuild=True)
        with self._lock:
            self._vector_sync.reset()
        self.checkpoint()
        report.seconds = time.perf_counter() - started
        return report


def _ensure_schema(data_dir: Path, enrichers: Sequence[ArticleEnricher], lock_timeout: float) -> None:
    """Creates or migrates the schema when it is not current; only that needs the writer lock."""
    path = data_dir / DB_NAME
    db = schema.connect(path)
    try:
        current = schema.schema_is_current(db, enrichers)
    finally:
        db.close()
    if not current:
        with writer_lock(data_dir, lock_timeout):
            db = schema.connect(path)
            schema.create_schema(db, enrichers)
            db.close()
