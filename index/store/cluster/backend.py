"""The cluster knowledge base: PostgreSQL (psycopg 3) holds the records, Milvus the search
indexes. It satisfies the ``index.store.KnowledgeBase`` seam, with the embedded store's
chunking, embedding, enrichers and duplicate rules (``index.store.additions``) and its record
tables (``index.store.tables``).

Usage::

    from index.store.cluster.backend import ClusterKnowledgeBase
    kb = ClusterKnowledgeBase.open("postgresql://newsbot@db/newsbot", "http://milvus:19530",
                                   embedder, enrichers=[CompanyIndex()])
    kb.add_articles(articles)                 # one transaction per batch, then Milvus catches up
    with kb.reader() as snap:
        snap.lexical_search(["hyundai"], 10)
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import numpy as np
import psycopg
from psycopg import IsolationLevel

from index.chunking import ChunkPlan
from index.embedding import Embedder, WindowVectors
from index.intake import Article
from index.store.additions import BatchedIngest, Plan, pooled_sentence_vectors
from index.store.base import WRITER_BUSY, ArticleEnricher, KnowledgeBaseError, Progress, WriterBusyError, model_mismatch
from index.store.cluster import sync
from index.store.cluster.milvus import ChunkCollection, MilvusUnavailable
from index.store.cluster.schema import INSERT_CHUNK, WRITER_LOCK, chunk_word_columns, create_schema
from index.store.cluster.snapshot import ClusterSnapshot
from index.store.cluster.sqlcompat import SqliteCompat, placeholders
from index.store.enrichment import delete_enricher_rows, enrich_pending
from index.store.records import AddReport, ArticleOutcome, ArticleRow
from index.store.tables import (
    ARTICLE_FIELDS,
    ARTICLE_ROW_FIELDS,
    INSERT_ARTICLE,
    INSERT_SENTENCE,
    article_values,
    sentence_values,
)


def redacted(url: str) -> str:
    """A database URL without its password, for messages and cache keys."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    info.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in sorted(info.items()))


class ClusterKnowledgeBase(BatchedIngest):
    """Thread-safe like the embedded store: readers share one connection in turn; one writer
    per process (a thread lock) and per cluster (a PostgreSQL advisory lock)."""

    def __init__(self, database_url: str, milvus_uri: str, embedder: Embedder, lock_timeout: float,
                 enrichers: Sequence[ArticleEnricher]) -> None:
        self.database_url, self.milvus_uri = database_url, milvus_uri
        self.location = f"{redacted(database_url)} milvus={milvus_uri}"
        self.embedder = embedder
        self.enrichers = tuple(enrichers)
        self._lock_timeout = lock_timeout
        self._rdb = psycopg.connect(database_url)
        self._rdb.isolation_level = IsolationLevel.REPEATABLE_READ
        self._rdb.read_only = True
        self._wdb = psycopg.connect(database_url, autocommit=True)
        self._sdb = psycopg.connect(database_url, autocommit=True)  # the Milvus sync's own session
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._snapshot_cache: dict[object, object] = {}
        self._state: tuple[str, str] = ("", "")
        self._collection = self._connect_collection()

    @classmethod
    def open(cls, database_url: str, milvus_uri: str, embedder: Embedder, *, lock_timeout: float = 120.0,
             check_model: bool = True, enrichers: Sequence[ArticleEnricher] = ()) -> ClusterKnowledgeBase:
        try:
            with psycopg.connect(database_url, autocommit=True, connect_timeout=10) as conn:
                create_schema(conn, enrichers)
            kb = cls(database_url, milvus_uri, embedder, lock_timeout, enrichers)
        except psycopg.Error as exc:
            raise KnowledgeBaseError(f"cannot use the PostgreSQL database {redacted(database_url)}: "
                                     f"{str(exc).strip().splitlines()[0]}") from exc
        except MilvusUnavailable as exc:
            raise KnowledgeBaseError(str(exc)) from exc
        if check_model:
            kb.check_model()
        return kb

    def _connect_collection(self) -> ChunkCollection:
        name = sync.meta_value(self._sdb, "collection") or "newsbot_chunks"
        dim = int(sync.meta_value(self._sdb, "dim") or 0)
        return ChunkCollection.connect(self.milvus_uri, name, dim or None)

    def close(self) -> None:
        with self._lock, self._write_lock:
            for conn in (self._rdb, self._wdb, self._sdb):
                conn.close()

    # ------------------------------------------------------------------ model

    @property
    def model_name(self) -> str | None:
        with self._lock:
            return sync.meta_value(self._sdb, "model")

    def check_model(self) -> None:
        with self._lock:
            stored, dim = sync.meta_value(self._sdb, "model"), sync.meta_value(self._sdb, "dim")
        if stored is not None and stored != self.embedder.name:
            raise model_mismatch(stored, dim, self.embedder.name)

    # ------------------------------------------------------------------ Milvus

    def sync_milvus(self) -> int:
        """Applies PostgreSQL's change log to Milvus; returns the entries applied."""
        with self._lock:
            dim = int(sync.meta_value(self._sdb, "dim") or 0)
            name = sync.meta_value(self._sdb, "collection") or self._collection.name
            if name != self._collection.name:
                self._collection = ChunkCollection(self._collection.client, name)
            if not dim:
                return 0
            return sync.catch_up(self._sdb, self._collection, dim)

    def restore_milvus(self) -> int:
        """Refills Milvus from PostgreSQL (``index rebuild`` on the cluster); returns chunks written."""
        with self._lock:
            return sync.restore(self._sdb, self._collection, int(sync.meta_value(self._sdb, "dim") or 0))

    def compare(self) -> sync.Comparison:
        """PostgreSQL against Milvus, for ``doctor``."""
        with self._lock:
            return sync.compare(self._sdb, self._collection)

    def checkpoint(self) -> None:
        self.sync_milvus()

    # ------------------------------------------------------------------ reading

    @staticmethod
    def _articles(db: psycopg.Connection, ids: list[str], with_body: bool) -> dict[str, ArticleRow]:
        if not ids:
            return {}
        body = "body" if with_body else "''"
        rows = db.execute(f"SELECT {ARTICLE_ROW_FIELDS}, {body} FROM articles WHERE id = ANY(%s)", (ids,)).fetchall()
        return {r[0]: ArticleRow(*r) for r in rows}

    @contextlib.contextmanager
    def _read(self) -> Iterator[psycopg.Connection]:
        with self._lock:
            try:
                yield self._rdb
            finally:
                self._rdb.rollback()

    def get_article(self, article_id: str) -> ArticleRow | None:
        with self._read() as db:
            return self._articles(db, [article_id], True).get(article_id)

    def list_articles(self, *, limit: int | None = None, offset: int = 0) -> list[ArticleRow]:
        with self._read() as db:
            rows = db.execute(f"SELECT {ARTICLE_ROW_FIELDS}, '' FROM articles ORDER BY coalesce(published_at, "
                              "added_at) DESC, id LIMIT %s OFFSET %s", (limit, offset)).fetchall()
        return [ArticleRow(*r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._read() as db:
            return {t: int(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                    for t in ("articles", "chunks", "sentences")}

    def is_empty(self) -> bool:
        with self._read() as db:
            return db.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None

    @contextlib.contextmanager
    def reader(self) -> Iterator[ClusterSnapshot]:
        """Milvus is first caught up (a crash between the two stores is repaired here), then
        one PostgreSQL snapshot serves the whole question."""
        with self._lock:
            state = sync.sync_state(self._sdb, self._collection)
            if state.behind:
                self.sync_milvus()
            # Bounded is safe when Milvus has had no write for longer than its staleness
            # bound: PostgreSQL is the source of truth, and the catch-up above has run.
            self._collection.consistency = "Bounded" if state.quiet else "Strong"
            with self._read() as db:
                state = tuple(r[0] for r in db.execute(
                    "SELECT value FROM meta WHERE key IN ('epoch', 'generation') ORDER BY key"))
                if state != self._state:
                    self._snapshot_cache.clear()
                    self._state = state
                yield ClusterSnapshot(self)

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _writing(self) -> Iterator[SqliteCompat]:
        with self._write_lock:
            deadline = time.monotonic() + self._lock_timeout
            while not self._wdb.execute("SELECT pg_try_advisory_lock(%s)", (WRITER_LOCK,)).fetchone()[0]:
                if time.monotonic() >= deadline:
                    raise WriterBusyError(WRITER_BUSY)
                time.sleep(0.1)
            try:
                yield SqliteCompat(self._wdb)
            finally:
                self._wdb.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK,))

    def _write_batch(self, db: SqliteCompat, batch: Sequence[tuple[Article, bool]], plans: Sequence[Plan],
                     vectors: Sequence[WindowVectors], extras: Sequence[list[object]], *, log: bool = True) -> None:
        """One transaction; ``log=False`` (a rebuild): no change-log rows and no Milvus sync."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        conn = db.conn
        position = 0
        with conn.transaction():
            conn.execute("INSERT INTO meta(key, value) VALUES ('model', %s), ('dim', %s) ON CONFLICT DO NOTHING",
                         (self.embedder.name, str(self.embedder.dim)))
            for index, ((article, replacing), (windows, plan)) in enumerate(zip(batch, plans, strict=True)):
                if replacing:
                    self._delete_article_rows(db, article.id)
                self._insert_article(conn, article, plan, vectors[position:position + len(windows)], now)
                for enricher, payloads in zip(self.enrichers, extras, strict=True):
                    enricher.write(db, article, payloads[index])
                if log:
                    conn.execute("INSERT INTO change_log(article_id, op) VALUES (%s, 'upsert')", (article.id,))
                position += len(windows)
            sync.bump_generation(conn)
        if log:
            self.sync_milvus()

    @staticmethod
    def _insert_article(conn: psycopg.Connection, article: Article, plan: ChunkPlan,
                        vectors: Sequence[WindowVectors], now: str) -> None:
        conn.execute(placeholders(INSERT_ARTICLE), article_values(article, now))
        chunk_rows = [(article.id, ord_, chunk.start, chunk.end, result.window.astype(np.float32).tobytes(),
                       *chunk_word_columns(article.body[chunk.start:chunk.end], article.title, article.source,
                                           article.published_at))
                      for ord_, (chunk, result) in enumerate(zip(plan.chunks, vectors, strict=True))]
        with conn.cursor() as cursor:
            cursor.executemany(placeholders(INSERT_CHUNK), chunk_rows)
            cursor.executemany(placeholders(INSERT_SENTENCE),
                               sentence_values(article.id, [(s.start, s.end) for s in plan.sentences],
                                               pooled_sentence_vectors(plan, vectors)))

    def _delete_article_rows(self, db: SqliteCompat, article_id: str) -> None:
        delete_enricher_rows(db, article_id, self.enrichers)
        for table in ("chunks", "sentences"):
            db.conn.execute(f"DELETE FROM {table} WHERE article_id = %s", (article_id,))
        db.conn.execute("DELETE FROM articles WHERE id = %s", (article_id,))

    def remove(self, article_id: str) -> bool:
        with self._writing() as db:
            with db.conn.transaction():
                if db.conn.execute("SELECT 1 FROM articles WHERE id = %s", (article_id,)).fetchone() is None:
                    return False
                self._delete_article_rows(db, article_id)
                db.conn.execute("INSERT INTO change_log(article_id, op) VALUES (%s, 'delete')", (article_id,))
                sync.bump_generation(db.conn)
            self.sync_milvus()
        return True

    def enrich(self, progress: Progress | None = None) -> int:
        """Runs each enricher over the stored articles it has not processed (no re-embedding)."""
        with self._writing() as db:
            return enrich_pending(db, self.enrichers, progress, transaction=db.conn.transaction,
                                  bump_generation=lambda: sync.bump_generation(db.conn), article_order="ORDER BY rowid")

    def rebuild(self, progress: Progress | None = None) -> AddReport:
        """Re-derives every sentence, chunk, vector and enricher row from the stored text in one
        PostgreSQL transaction (a kill loses nothing), then refills Milvus into a new collection."""
        started = time.perf_counter()
        with self._writing() as db:
            conn = db.conn
            with conn.transaction():
                articles = [Article(*r) for r in conn.execute(
                    f"SELECT {ARTICLE_FIELDS} FROM articles ORDER BY rowid")]
                report = AddReport(added=[ArticleOutcome(a.id, a.title, a.origin) for a in articles])
                for article in articles:
                    self._delete_article_rows(db, article.id)
                conn.execute("DELETE FROM meta WHERE key IN ('model', 'dim')")
                epoch = conn.execute("SELECT md5(random()::text)").fetchone()[0]
                for key, value in (("epoch", epoch), ("collection", f"newsbot_{epoch[:16]}"), ("milvus_seq", -1)):
                    sync.set_meta_value(conn, key, value)
                report.chunks_added = self._ingest(db, [(a, False) for a in articles], progress, log=False)
            old = self._collection
            self.sync_milvus()  # milvus_seq -1: a full restore into the new collection
            if old.name != self._collection.name:
                with contextlib.suppress(Exception):
                    old.drop()
        report.seconds = time.perf_counter() - started
        return report
