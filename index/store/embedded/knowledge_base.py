"""The KnowledgeBase: articles, sentences, chunks, vectors and BM25 under one data dir.

Usage::

    from index.store import KnowledgeBase
    kb = KnowledgeBase.open(Path("~/.local/share/newsbot").expanduser(), embedder)
    report = kb.add_articles(parse_paths([Path("seeds/")]).articles)
    with kb.reader() as snap:                     # one consistent view for one question
        hits = snap.dense_search(vector, k=10)
    kb.remove("a-0123456789abcdef")

The Snapshot surface (engine-neutral: the cluster backend offers the same; no engine query
syntax crosses it)::

    snap.lexical_search(terms, k, *, outlets=None, published_between=None) -> [(chunk_id, score)]
        # terms: plain words; the engine analyses and stems them, a several-word term is a
        # phrase, any term may match; outlets: exact outlet names; published_between:
        # (first, last) inclusive days. Both restrictions run inside the engine.
    snap.dense_search(vector, k, within=None, *, outlets=None, published_between=None)
    snap.dense_scores(vector, chunk_ids); snap.phrase_count(phrase)     # phrase: up to 1000
    snap.restricted_chunks(outlets, published_between); snap.chunks_of_outlets(outlets)
    snap.chunk_metadata(ids); snap.chunks(ids); snap.articles(ids); snap.sentences(article, start, end)
    snap.article_sentences(article); snap.outlets(); snap.latest_year(); snap.memo(key, fn)
    snap.query(sql)                                                     # embedded only

Layout of the data dir:

- ``newsbot.db``: SQLite in WAL mode, the source of truth. One transaction adds a batch
  of articles whole (text, sentences, chunks, vectors) or not at all, so a
  kill at any moment leaves the previous state. Article text lives in its own table,
  apart from every derived row, and ``rebuild`` re-derives everything from it.
- ``vectors-<n>.faiss`` plus ``vectors.json``: a FAISS checkpoint, derived from the
  vectors in SQLite. Adds never rewrite it; a reader loads it and replays the few
  changes made since (chunk ids above its high-water mark, logged removals).
- ``lexical/``: the tantivy BM25 index (``index/store/embedded/lexical.py``), derived from the chunks. Its
  marker document, committed with the documents, records the epoch, highest chunk id and
  removal sequence it holds. The writer applies each SQLite commit to it at once; a reader
  that finds it behind catches it up when no writer holds the lock (and meanwhile drops hits
  of removed chunks); a missing or damaged one (CRC-32 of every segment file, checked once
  per process) is rebuilt from SQLite with a warning. ``rebuild`` builds a new one beside it.
- ``write.lock``: the cross-process writer lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from index.articles import Article
from index.chunking import ChunkPlan, plan_chunks, split_sentences
from index.embedding import Embedder, Window, WindowVectors
from index.store.embedded.lexical import ChunkDoc, LexicalIndex, LexicalIndexError, LexicalState
from index.store.embedded.vectors import VectorIndex, VectorIndexCorruptError, fsync_dir, write_atomically

T = TypeVar("T")
SCHEMA_VERSION = 2
LEXICAL_DIR = "lexical"
DB_NAME = "newsbot.db"
CHECKPOINT_POINTER = "vectors.json"
# Replaying more changes than this at load is slower than reading a fresh checkpoint.
CHECKPOINT_DELTA = 2000
INGEST_BATCH = 24  # articles per transaction: small enough that a kill loses little

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    url TEXT,
    published_at TEXT,
    author TEXT,
    origin TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_body_hash ON articles(body_hash);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published_at);
CREATE TABLE IF NOT EXISTS sentences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_article ON sentences(article_id, start);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS chunk_vectors (chunk_id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS removed_chunks (seq INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id INTEGER NOT NULL);
"""
# Version 1 kept BM25 in an FTS5 table (chunks_fts); version 2 keeps it in the tantivy index.
_MIGRATIONS = {1: "DROP TABLE IF EXISTS chunks_fts;"}


class ArticleEnricher(Protocol):
    """Extra per-article data derived at ingest (e.g. company mentions), written in the
    same transaction as the article, so it is whole or absent with it.

    ``tables`` must each have an ``article_id`` column: removal and replacement delete by it."""

    schema: str
    tables: tuple[str, ...]

    def prepare(self, articles: Sequence[Article], sentences: Sequence[Sequence[tuple[int, int]]]) -> list[object]:
        """Per-article payloads, computed before the transaction (no database access)."""

    def write(self, db: sqlite3.Connection, article: Article, payload: object) -> None:
        """Inserts one article's rows; called inside the write transaction."""

    def pending(self, db: sqlite3.Connection) -> list[str]:
        """Ids of stored articles this enricher has not processed (e.g. added before it existed)."""


class KnowledgeBaseError(RuntimeError):
    """A problem with the data dir that the user must act on; the message says how."""


class ModelMismatchError(KnowledgeBaseError):
    pass


class WriterBusyError(KnowledgeBaseError):
    pass


@dataclass(frozen=True)
class ArticleRow:
    id: str
    title: str
    source: str
    url: str | None
    published_at: str | None
    author: str | None
    origin: str
    added_at: str
    body: str = ""


@dataclass(frozen=True)
class ChunkRow:
    id: int
    article_id: str
    ord: int
    start: int
    end: int


@dataclass(frozen=True)
class SentenceRow:
    id: int
    article_id: str
    start: int
    end: int
    vector: np.ndarray


@dataclass(frozen=True)
class ArticleOutcome:
    id: str
    title: str
    origin: str
    detail: str = ""


@dataclass
class AddReport:
    added: list[ArticleOutcome] = field(default_factory=list)
    replaced: list[ArticleOutcome] = field(default_factory=list)
    skipped: list[ArticleOutcome] = field(default_factory=list)
    chunks_added: int = 0
    seconds: float = 0.0


def body_hash(body: str) -> str:
    return hashlib.sha256(" ".join(body.split()).casefold().encode("utf-8")).hexdigest()


def _int8(vectors: np.ndarray) -> np.ndarray:
    # Unit vectors have components in [-1, 1]; 127 steps keep cosine error near 1e-4,
    # at a quarter of float32's size (sentences outnumber chunks ten to one).
    return np.clip(np.rint(vectors * 127.0), -127, 127).astype(np.int8)


def _from_int8(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.int8).astype(np.float32) / 127.0


class WriterLock:
    """An exclusive flock on ``write.lock``: one writing process at a time, across processes."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._handle = None

    def __enter__(self) -> WriterLock:
        handle = open(self.path, "a+")
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise WriterBusyError(
                        "another newsbot process is changing this knowledge base; "
                        "try again when it has finished"
                    ) from None
                time.sleep(0.1)
        self._handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def outlet_names(sources: Iterable[str]) -> list[str]:
    """The outlet names in article sources, a source naming several split at commas."""
    return sorted({part.strip() for source in sources for part in source.split(",") if part.strip()})


class SnapshotMemo:
    """What both backends' snapshots share: values derived from the knowledge base, kept
    until it changes (the knowledge base clears ``_snapshot_cache`` on every change)."""

    _kb: Any

    def memo(self, key: object, compute: Callable[[], T]) -> T:
        """A value derived from this snapshot, kept until the knowledge base changes."""
        cache = self._kb._snapshot_cache
        if key not in cache:
            cache[key] = compute()
        return cache[key]


class Snapshot(SnapshotMemo):
    """One consistent read view: the vector index and SQLite agree for its whole life."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._db = kb._db

    @property
    def article_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM articles").fetchone()[0])

    @property
    def chunk_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def dense_search(self, query: np.ndarray, k: int, within: Sequence[int] | None = None, *,
                     outlets: Collection[str] | None = None,
                     published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        """Nearest chunks by inner product. ``within`` (chunk ids), ``outlets`` and
        ``published_between`` (inclusive days) restrict the search; they combine (AND)."""
        subset = None if within is None else np.asarray(within, dtype=np.int64)
        if outlets is not None or published_between is not None:
            restricted = np.asarray(self.restricted_chunks(outlets, published_between), dtype=np.int64)
            subset = restricted if subset is None else np.intersect1d(subset, restricted, assume_unique=True)
        scores, ids = self._kb._vectors.search(query, k, subset)
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def restricted_chunks(self, outlets: Collection[str] | None,
                          published_between: tuple[date, date] | None) -> list[int]:
        """Chunk ids of articles from any of ``outlets`` (None: any outlet) published within
        the inclusive days (None: any day, undated included). Sorted; cached per snapshot."""
        if outlets is not None and not outlets:
            return []
        if published_between is None:
            return self.chunks_of_outlets(sorted(outlets)) if outlets is not None else self.all_chunk_ids()

        def compute() -> list[int]:
            first, last = published_between
            # published_at is ISO text: its first ten characters are the day it was written.
            days = [first.isoformat(), (last + timedelta(days=1)).isoformat()]
            if outlets is None:
                rows = self._db.execute(
                    "SELECT c.id FROM articles a INDEXED BY articles_published CROSS JOIN chunks c "
                    "ON c.article_id = a.id WHERE a.published_at >= ? AND a.published_at < ?", days)
            else:
                clauses = " OR ".join("(',' || replace(a.source, ', ', ',') || ',') LIKE ?" for _ in outlets)
                rows = self._db.execute(
                    f"SELECT c.id FROM articles a INDEXED BY articles_source_day CROSS JOIN chunks c "
                    f"ON c.article_id = a.id WHERE ({clauses}) AND a.published_at >= ? AND a.published_at < ?",
                    [f"%,{o},%" for o in sorted(outlets)] + days)
            return sorted(int(r[0]) for r in rows)

        key = ("restricted_chunks", None if outlets is None else tuple(sorted(outlets)), published_between)
        return self.memo(key, compute)

    def all_chunk_ids(self) -> list[int]:
        return self.memo("all_chunk_ids", lambda: [int(r[0]) for r in self._db.execute("SELECT id FROM chunks")])

    def outlets(self) -> list[str]:
        """Every outlet name in the knowledge base (multi-outlet sources split)."""
        return self.memo("outlets", lambda: outlet_names(
            source for (source,) in self._db.execute("SELECT DISTINCT source FROM articles")))

    def latest_year(self) -> int | None:
        def compute() -> int | None:
            row = self._db.execute("SELECT max(published_at) FROM articles").fetchone()
            return int(row[0][:4]) if row and row[0] else None

        return self.memo("latest_year", compute)

    def chunk_metadata(self, chunk_ids: Sequence[int]) -> dict[int, tuple[str, str, str | None]]:
        """chunk id → (article id, source, published_at), for metadata-aware ranking."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        # CROSS JOIN keeps chunks as the outer loop and INDEXED BY the covering index: left to
        # itself, SQLite may scan every article against a long IN list (unfinished after 15 min at 1M chunks).
        rows = self._db.execute(
            f"SELECT c.id, c.article_id, a.source, a.published_at FROM chunks c CROSS JOIN articles a "
            f"INDEXED BY articles_meta ON a.id = c.article_id WHERE c.id IN ({marks})", list(chunk_ids)).fetchall()
        return {int(r[0]): (r[1], r[2], r[3]) for r in rows}

    def chunks_of_outlets(self, outlets: Sequence[str]) -> list[int]:
        """Chunk ids of articles from any of the outlets (an exact name within the source)."""
        if not outlets:
            return []

        def compute() -> list[int]:
            clauses = " OR ".join("(',' || replace(a.source, ', ', ',') || ',') LIKE ?" for _ in outlets)
            params = [f"%,{o},%" for o in outlets]
            rows = self._db.execute(
                f"SELECT c.id FROM articles a INDEXED BY articles_source CROSS JOIN chunks c "
                f"ON c.article_id = a.id WHERE {clauses}", params)
            return sorted(int(r[0]) for r in rows)

        return self.memo(("chunks_of_outlets", tuple(sorted(outlets))), compute)

    def dense_scores(self, query: np.ndarray, chunk_ids: Sequence[int]) -> dict[int, float]:
        """Exact scores for chosen chunks (e.g. lexical hits the dense top-k missed)."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._db.execute(
            f"SELECT chunk_id, vector FROM chunk_vectors WHERE chunk_id IN ({marks})", list(chunk_ids)
        ).fetchall()
        return {int(cid): float(np.frombuffer(blob, dtype=np.float32) @ query) for cid, blob in rows}

    def lexical_search(self, terms: Sequence[str], k: int, *, outlets: Collection[str] | None = None,
                       published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        """BM25 over chunk text (weight 1), title and outlet/date words (0.5 each), best first.
        ``terms`` are plain words (analysed and stemmed by the engine; a term of several
        words matches as a phrase; any term may match). ``outlets`` and ``published_between``
        restrict inside the engine, as in ``dense_search``."""
        lexical, stale = self._kb._lexical_view()
        if lexical is None or not terms:
            return []
        hits = lexical.search(terms, k + len(stale), outlets=outlets, published_between=published_between)
        return [hit for hit in hits if hit[0] not in stale][:k]

    def phrase_count(self, phrase: str) -> int:
        """How many chunks contain the phrase (in their text or title), up to 1000."""
        lexical, _ = self._kb._lexical_view()
        return 0 if lexical is None else lexical.phrase_count(phrase)

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]:
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._db.execute(
            f'SELECT id, article_id, ord, start, "end" FROM chunks WHERE id IN ({marks})', list(chunk_ids)
        ).fetchall()
        return {int(r[0]): ChunkRow(int(r[0]), r[1], int(r[2]), int(r[3]), int(r[4])) for r in rows}

    def articles(self, article_ids: Sequence[str], with_body: bool = True) -> dict[str, ArticleRow]:
        return self._kb._articles(list(dict.fromkeys(article_ids)), with_body)

    def sentences(self, article_id: str, start: int, end: int) -> list[SentenceRow]:
        rows = self._db.execute(
            'SELECT id, start, "end", vector FROM sentences '
            'WHERE article_id = ? AND start >= ? AND "end" <= ? ORDER BY start',
            (article_id, start, end),
        ).fetchall()
        return [SentenceRow(int(i), article_id, int(s), int(e), _from_int8(v)) for i, s, e, v in rows]

    def article_sentences(self, article_id: str) -> list[SentenceRow]:
        return self.sentences(article_id, 0, 1 << 62)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        """Read-only SQL within this snapshot, for modules that own extra tables."""
        return self._db.execute(sql, params).fetchall()


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


def _create_schema(db: sqlite3.Connection, enrichers: Sequence[ArticleEnricher] = ()) -> None:
    for enricher in enrichers:
        db.executescript(enricher.schema)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == 0:
        db.executescript(_SCHEMA)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('epoch', ?)", (uuid.uuid4().hex,))
    elif version in _MIGRATIONS:
        db.executescript(_MIGRATIONS[version])
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    elif version != SCHEMA_VERSION:
        raise KnowledgeBaseError(
            f"the knowledge base has schema version {version}; this newsbot reads version {SCHEMA_VERSION}")
    # Covering indexes for the per-question metadata reads (outlets, chunk metadata, per-outlet
    # chunk lists): the body sits before source and published_at in an article row, so without
    # them each of those reads walks bodies' overflow pages. Built once on an older store.
    for name, columns in _COVERING_INDEXES.items():
        db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON articles({columns})")


_COVERING_INDEXES = {"articles_source": "source, id", "articles_meta": "id, source, published_at",
                     "articles_source_day": "source, published_at, id",
                     # A fetched page is a duplicate when another article has its canonical URL.
                     "articles_url": "url"}


def _schema_is_current(db: sqlite3.Connection, enrichers: Sequence[ArticleEnricher] = ()) -> bool:
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        return False
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type IN ('table', 'index')")}
    wanted = [*_COVERING_INDEXES, *(table for enricher in enrichers for table in enricher.tables)]
    return all(name in names for name in wanted)


def _damaged(path: Path, exc: sqlite3.DatabaseError) -> KnowledgeBaseError:
    return KnowledgeBaseError(
        f"the knowledge base file {path} is damaged or not a newsbot database ({exc}); "
        "run `newsbot doctor` for a diagnosis and `newsbot index rebuild` to recover")


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) \
        or "malformed" in str(exc) or "vtable constructor failed" in str(exc)


def _meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _set_meta(db: sqlite3.Connection, key: str, value: object) -> None:
    db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, str(value)))


class KnowledgeBase:
    """Owns the data dir. Thread-safe: writers and readers in one process take turns."""

    def __init__(self, data_dir: Path, embedder: Embedder, lock_timeout: float,
                 enrichers: Sequence[ArticleEnricher] = (), vector_policy: str | None = None) -> None:
        self.vector_policy = vector_policy
        self.data_dir = data_dir
        self.embedder = embedder
        self.enrichers = tuple(enrichers)
        # Readers and the writer use separate connections, so a long add (most of it spent
        # embedding, outside any transaction) never holds questions up.
        self._db = _connect(data_dir / DB_NAME)
        self._wdb = _connect(data_dir / DB_NAME)
        self._lock = threading.RLock()        # guards self._db and the vector index
        self._write_lock = threading.Lock()   # guards self._wdb; the flock guards other processes
        self._lock_timeout = lock_timeout
        self._vectors: VectorIndex | None = None
        self._vector_state = ("", -1, 0, 0)  # epoch, generation, max chunk id, removal seq
        self._snapshot_cache: dict[object, Any] = {}  # Snapshot.memo values for that state
        self._checkpoint_unusable = False  # a bad checkpoint was found: save a good one after the replay
        self._lexical: LexicalIndex | None = None
        self._lexical_key: tuple[str, int] | None = None  # (epoch, generation) last synced
        self._lexical_usable = False      # False: this view answers lexical questions with nothing
        self._lexical_stale: frozenset[int] = frozenset()  # removed in SQLite, not yet in the index
        self.lexical_repairs: list[str] = []  # rebuilds of a missing or damaged index, for doctor

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, data_dir: Path, embedder: Embedder, *, lock_timeout: float = 120.0,
             check_model: bool = True, enrichers: Sequence[ArticleEnricher] = (),
             vector_policy: str | None = None) -> KnowledgeBase:
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
            db = _connect(path)
            try:
                current = _schema_is_current(db, enrichers)
            finally:
                db.close()
            if not current:  # only creating or migrating the schema needs the writer lock
                with WriterLock(data_dir / "write.lock", lock_timeout):
                    db = _connect(path)
                    _create_schema(db, enrichers)
                    db.close()
            kb = cls(data_dir, embedder, lock_timeout, enrichers, vector_policy)
            kb._db.execute("SELECT count(*) FROM articles").fetchone()
            fresh = kb._db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is None
            if fresh and not (data_dir / LEXICAL_DIR).exists():
                with contextlib.suppress(LexicalIndexError):
                    kb._lexical = LexicalIndex.open(data_dir / LEXICAL_DIR)  # a new store: an empty index
        except sqlite3.DatabaseError as exc:
            raise KnowledgeBaseError(
                f"the knowledge base file {path} is damaged or not a newsbot database ({exc}); "
                "run `newsbot doctor` for a diagnosis and `newsbot index rebuild` to recover"
            ) from exc
        if check_model:
            kb.check_model()
        return kb

    def close(self) -> None:
        with self._lock, self._write_lock:
            self._db.close()
            self._wdb.close()

    def _meta(self, key: str) -> str | None:
        return _meta(self._db, key)

    @property
    def model_name(self) -> str | None:
        with self._lock:
            return self._meta("model")

    def check_model(self) -> None:
        with self._lock:
            stored, dim = self._meta("model"), self._meta("dim")
        if stored is not None and stored != self.embedder.name:
            raise ModelMismatchError(
                f"this knowledge base was built with the model {stored!r} "
                f"({dim} dimensions), but the configured model is "
                f"{self.embedder.name!r}; run `newsbot index rebuild` to re-embed every article "
                "with the configured model, or configure the old one again"
            )

    @staticmethod
    def _bump_generation(db: sqlite3.Connection) -> None:
        _set_meta(db, "generation", int(_meta(db, "generation") or 0) + 1)

    @staticmethod
    @contextlib.contextmanager
    def _write_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    # ------------------------------------------------------------------ reading

    def _articles(self, ids: list[str], with_body: bool) -> dict[str, ArticleRow]:
        if not ids:
            return {}
        body = "body" if with_body else "''"
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            f"SELECT id, title, source, url, published_at, author, origin, added_at, {body} "
            f"FROM articles WHERE id IN ({marks})", ids,
        ).fetchall()
        return {r[0]: ArticleRow(*r) for r in rows}

    def get_article(self, article_id: str) -> ArticleRow | None:
        with self._lock:
            return self._articles([article_id], True).get(article_id)

    def list_articles(self, *, limit: int | None = None, offset: int = 0) -> list[ArticleRow]:
        """Newest first: by publication date where known, then by when it was added."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, title, source, url, published_at, author, origin, added_at, '' FROM articles "
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
    def reader(self) -> Iterator[Snapshot]:
        """A read transaction with the vector index brought up to the same state."""
        with self._lock:
            self._db.execute("BEGIN")
            finished = False
            try:
                self._sync_vectors()
                self._sync_lexical()
                yield Snapshot(self)
                finished = True
            except sqlite3.DatabaseError as exc:
                if _is_damage(exc):
                    raise _damaged(self.data_dir / DB_NAME, exc) from exc
                raise
            finally:
                try:
                    self._db.execute("COMMIT")
                except sqlite3.DatabaseError as exc:  # after damage, even ending the read can fail
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                    if finished:
                        raise _damaged(self.data_dir / DB_NAME, exc) from exc

    # ------------------------------------------------------------------ vector index

    def _read_checkpoint_info(self) -> dict | None:
        try:
            return json.loads((self.data_dir / CHECKPOINT_POINTER).read_text())
        except (OSError, ValueError):
            return None

    def _load_checkpoint(self, epoch: str, dim: int) -> tuple[VectorIndex, int, int] | None:
        info = self._read_checkpoint_info()
        if not info or info.get("epoch") != epoch or info.get("dim") != dim:
            return None
        try:
            index = VectorIndex.load(self.data_dir / info["file"], expected_crc=int(info["crc32"]))
            if index.ntotal != int(info["ntotal"]):
                raise VectorIndexCorruptError("vector count differs from the checkpoint's record")
        except (OSError, KeyError, ValueError, VectorIndexCorruptError) as exc:
            _warn(f"the vector index checkpoint is unusable ({exc}); rebuilding it from the "
                  "vectors stored in the database")
            self._checkpoint_unusable = True
            return None
        return index, int(info["max_chunk_id"]), int(info["removal_seq"])

    def _sync_vectors(self, _retry: bool = False) -> None:
        """Brings the in-memory index to the reader connection's snapshot: load the
        checkpoint once, then replay removals and new chunks since the last sync."""
        db = self._db
        epoch = self._meta("epoch") or ""
        generation = int(self._meta("generation") or 0)
        if self._vectors is not None and self._vector_state[:2] == (epoch, generation):
            if self._vectors.wants_checkpoint:  # a flat → IVF conversion finished: persist it once
                self._write_checkpoint()
            return
        dim = int(self._meta("dim") or 0)
        if self._vectors is None or self._vector_state[0] != epoch:
            loaded = self._load_checkpoint(epoch, dim) if dim else None
            if loaded is None:
                self._vectors, high, removal = VectorIndex.create(dim or 1, policy=self.vector_policy), 0, 0
            else:
                self._vectors, high, removal = loaded
        else:
            _, _, high, removal = self._vector_state
        removed = np.array([r[0] for r in db.execute(
            "SELECT chunk_id FROM removed_chunks WHERE seq > ? AND chunk_id <= ?", (removal, high))],
            dtype=np.int64)
        replayed = self._vectors.remove(removed)
        removal = int(db.execute("SELECT coalesce(max(seq), 0) FROM removed_chunks").fetchone()[0])
        cursor = db.execute(
            "SELECT chunk_id, vector FROM chunk_vectors WHERE chunk_id > ? ORDER BY chunk_id", (high,))
        while batch := cursor.fetchmany(4096):
            ids = np.array([r[0] for r in batch], dtype=np.int64)
            matrix = np.frombuffer(b"".join(r[1] for r in batch), dtype=np.float32).reshape(len(batch), -1)
            if self._vectors.ntotal == 0 and self._vectors.dim != matrix.shape[1]:
                self._vectors = VectorIndex.create(matrix.shape[1], policy=self.vector_policy)
            self._vectors.add(ids, matrix)
            high = int(ids[-1])
            replayed += len(batch)
        self._vector_state = (epoch, generation, high, removal)
        self._snapshot_cache.clear()
        chunk_rows = int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])
        if self._vectors.ntotal != chunk_rows:
            if _retry:  # rebuilt from SQLite and still different: SQLite itself disagrees
                count = self._vectors.ntotal
                self._vectors, self._vector_state = None, ("", -1, 0, 0)
                raise KnowledgeBaseError(
                    f"the knowledge base is inconsistent: {chunk_rows} chunks but {count} stored vectors; "
                    "run `newsbot doctor`, then `newsbot index rebuild`")
            # Only a damaged checkpoint that passed its checks, or tampering, gets here.
            _warn(f"the vector index holds {self._vectors.ntotal} vectors for {chunk_rows} chunks; "
                  "rebuilding it from the vectors stored in the database")
            self._vectors = None
            self._vector_state = ("", -1, 0, 0)
            with contextlib.suppress(OSError):
                (self.data_dir / CHECKPOINT_POINTER).unlink()
            self._sync_vectors(_retry=True)
            return
        if replayed > CHECKPOINT_DELTA or self._checkpoint_unusable or self._vectors.wants_checkpoint:
            self._checkpoint_unusable = False
            self._write_checkpoint()

    def _write_checkpoint(self) -> None:
        """Best effort: a reader that cannot write (read-only dir) just replays next time."""
        if self._vectors is None or self._vectors.ntotal == 0:
            return
        epoch, _, high, removal = self._vector_state
        old = self._read_checkpoint_info()
        name = f"vectors-{epoch[:8]}-{high}-{removal}.faiss"
        try:
            crc = self._vectors.save(self.data_dir / name)
            info = {"file": name, "crc32": crc, "ntotal": self._vectors.ntotal, "max_chunk_id": high,
                    "removal_seq": removal, "epoch": epoch, "model": self.embedder.name,
                    "dim": self._vectors.dim}
            write_atomically(self.data_dir / CHECKPOINT_POINTER, json.dumps(info).encode())
        except OSError as exc:
            _warn(f"could not save the vector index checkpoint: {exc}")
            self._vectors.wants_checkpoint = False  # not again on every question; the next big replay retries
            return
        if old and old.get("file") != name:
            with contextlib.suppress(OSError, KeyError):
                (self.data_dir / old["file"]).unlink()

    def checkpoint(self) -> None:
        """Writes a fresh vector checkpoint now, so the next start replays nothing."""
        with self.reader():
            self._write_checkpoint()

    # ------------------------------------------------------------------ lexical index

    def _lexical_view(self) -> tuple[LexicalIndex | None, frozenset[int]]:
        return (self._lexical if self._lexical_usable else None), self._lexical_stale

    def _sql_lexical_state(self, db: sqlite3.Connection) -> LexicalState:
        return LexicalState(
            _meta(db, "epoch") or "",
            int(db.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0]),
            int(db.execute("SELECT coalesce(max(seq), 0) FROM removed_chunks").fetchone()[0]))

    def _lexical_problem(self, db: sqlite3.Connection, want: LexicalState) -> tuple[str | None, bool]:
        """(why the index must be rebuilt, or None; whether it is merely behind SQLite)."""
        try:
            if self._lexical is None:
                path = self.data_dir / LEXICAL_DIR
                if not path.exists() and want.high == 0:
                    self._lexical = LexicalIndex.open(path)  # a new store: nothing to rebuild
                else:
                    opened = LexicalIndex.open(path, create=False)
                    opened.verify()  # once per process: segment files never change once written
                    self._lexical = opened
            self._lexical.refresh()
            have = self._lexical_have(want)
        except LexicalIndexError as exc:
            self._lexical = None
            missing = not (self.data_dir / LEXICAL_DIR).exists()
            return ("the lexical index is missing" if missing else f"{exc}"), False
        if have is None:
            why = "the lexical index has no record of what it holds (an interrupted build, or an older format)"
            return (why if want.high else None), False
        if have.epoch != want.epoch:
            return "the lexical index belongs to an earlier build of the knowledge base", False
        if have.high < want.high or have.seq < want.seq:
            return None, True
        if have == want:
            count = int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])
            if self._lexical.doc_count != count:
                return f"the lexical index holds {self._lexical.doc_count} chunks for {count}", False
        return None, False

    def _lexical_have(self, want: LexicalState) -> LexicalState | None:
        """The index's marker; an empty index (a new store's) holds nothing of this epoch yet."""
        have = self._lexical.state() if self._lexical is not None else None
        if have is None and self._lexical is not None and self._lexical.is_empty:
            return LexicalState(want.epoch, 0, 0)
        return have

    def _sync_lexical(self) -> None:
        """Brings the tantivy index to the reader's snapshot: nothing to do when SQLite has
        not changed; else apply the changes since the index's marker (when no writer is at
        work: it applies its own), or rebuild a missing or damaged index from SQLite."""
        db = self._db
        key = (self._meta("epoch") or "", int(self._meta("generation") or 0))
        if self._lexical_key == key and self._lexical is not None:
            return
        want = self._sql_lexical_state(db)
        problem, behind = self._lexical_problem(db, want)
        if problem is not None or behind:
            with self._try_writing() as locked:
                if locked:
                    self._update_lexical(db, want, problem)
                    problem, behind = None, False
                elif problem is not None:
                    _warn(f"{problem}; another process is writing, so this answer uses dense search alone "
                          "and the writer rebuilds the lexical index")
        self._lexical_usable = problem is None and self._lexical is not None
        stale: set[int] = set()
        if self._lexical_usable and behind:
            have = self._lexical_have(want)
            stale = {int(r[0]) for r in db.execute(
                "SELECT chunk_id FROM removed_chunks WHERE seq > ?", (have.seq if have else 0,))}
        self._lexical_stale = frozenset(stale)
        self._lexical_key = key if self._lexical_usable and not behind else None

    @contextlib.contextmanager
    def _try_writing(self) -> Iterator[bool]:
        """The writer locks if they are free at once; False when a writer holds them."""
        if not self._write_lock.acquire(blocking=False):
            yield False
            return
        try:
            try:
                lock = WriterLock(self.data_dir / "write.lock", 0.0).__enter__()
            except (WriterBusyError, OSError):
                yield False
                return
            try:
                yield True
            finally:
                lock.__exit__()
        finally:
            self._write_lock.release()

    def _update_lexical(self, db: sqlite3.Connection, want: LexicalState, problem: str | None) -> None:
        """With the writer locks held: catch the index up to ``want``, or rebuild it."""
        if problem is None and self._lexical is not None:
            have = self._lexical_have(want)
            if have is not None and have.epoch == want.epoch:
                removed = [int(r[0]) for r in db.execute(
                    "SELECT chunk_id FROM removed_chunks WHERE seq > ? AND chunk_id <= ?", (have.seq, have.high))]
                with self._lexical.writer() as writer:
                    writer.delete(removed)
                    writer.add(_chunk_docs(db, have.high, want.high))
                    writer.commit(LexicalState(want.epoch, max(want.high, have.high), want.seq))
                self._lexical.refresh()
                return
            problem = "the lexical index is behind"
        count = int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])
        if count:
            message = f"{problem}; rebuilding it from the database ({count:,} chunks)"
            self.lexical_repairs.append(message)
            _warn(message)
        self._rebuild_lexical(db, want)

    def _rebuild_lexical(self, db: sqlite3.Connection, want: LexicalState) -> None:
        """A fresh index of every chunk. Built beside the old one and swapped in by rename,
        so a kill mid-way leaves the old index (which the next reader finds out of date)."""
        path = self.data_dir / LEXICAL_DIR
        fresh_path = self.data_dir / f"{LEXICAL_DIR}.new"
        fresh = LexicalIndex.recreate(fresh_path)
        with fresh.writer(threads=2, heap=256_000_000) as writer:
            writer.add(_chunk_docs(db, 0, want.high))
            writer.commit(want)
        del fresh
        old_path = self.data_dir / f"{LEXICAL_DIR}.old"
        with self._lock:
            self._lexical = None
            if old_path.exists():
                shutil.rmtree(old_path)
            if path.exists():
                path.rename(old_path)
            fresh_path.rename(path)
            fsync_dir(self.data_dir)
            self._lexical = LexicalIndex.open(path, create=False)
        if old_path.exists():
            shutil.rmtree(old_path, ignore_errors=True)

    def _apply_lexical(self, db: sqlite3.Connection, *, rebuild: bool = False) -> None:
        """After a committed write (writer locks held): the index takes the change at once.
        If that fails (disk full, say), the write stands and the next reader catches up."""
        db.execute("BEGIN")
        try:
            want = self._sql_lexical_state(db)
            if rebuild:
                self._rebuild_lexical(db, want)
            else:
                problem, _ = self._lexical_problem(db, want)
                self._update_lexical(db, want, problem)
        except (LexicalIndexError, OSError) as exc:
            _warn(f"the lexical index could not take the change ({exc}); the next question catches it up")
        finally:
            db.execute("COMMIT")

    def lexical_report(self) -> dict[str, object]:
        """For `newsbot doctor`: what the lexical index holds against SQLite, chunk by chunk."""
        with self.reader() as snap:
            lexical, _ = self._lexical_view()
            state = lexical.state() if lexical else None
            sql_ids = set(snap.all_chunk_ids())
            held = lexical.chunk_ids() if lexical else set()
            damage = None
            if lexical is not None:
                try:
                    lexical.verify()
                except LexicalIndexError as exc:
                    damage = str(exc)
            return {"usable": lexical is not None, "damage": damage, "repairs": list(self.lexical_repairs),
                    "path": str(self.data_dir / LEXICAL_DIR),
                    "state": None if state is None else state.__dict__,
                    "missing": len(sql_ids - held), "extra": len(held - sql_ids),
                    "bytes": lexical.size_bytes() if lexical else 0}

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock, WriterLock(self.data_dir / "write.lock", self._lock_timeout):
            yield self._wdb

    def add_articles(self, articles: Sequence[Article],
                     progress: Callable[[int, int], None] | None = None) -> AddReport:
        """Adds new articles, replaces changed ones, skips exact and same-text duplicates.
        ``progress(done, total)`` counts embedded chunks of the current batch."""
        started = time.perf_counter()
        report = AddReport()
        with self._writing() as db:
            self.check_model()
            todo = plan_additions(db, articles, report)
            report.chunks_added = self._ingest(db, todo, progress)
            record_additions(todo, report)
        report.seconds = time.perf_counter() - started
        return report

    def _prepare(self, articles: Sequence[Article]) -> list[tuple[list[Window], ChunkPlan]]:
        """Chunk plans and model windows for a batch: tokenised once, no I/O."""
        embedder = self.embedder
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

    def _ingest(self, db: sqlite3.Connection, todo: Sequence[tuple[Article, bool]],
                progress: Callable[[int, int], None] | None) -> int:
        """Plans every article first (so progress knows the total), then embeds and writes
        batch by batch; each batch is one transaction, so each article is whole or absent."""
        prepared = self._prepare([a for a, _ in todo])
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
            vectors = self.embedder.encode_windows(windows, progress=advance)
            sentences = [[(s.start, s.end) for s in plan.sentences] for _, plan in plans]
            extras = [e.prepare([a for a, _ in batch], sentences) for e in self.enrichers]
            self._write_batch(db, batch, plans, vectors, extras)
        return total

    def _write_batch(self, db: sqlite3.Connection, batch: Sequence[tuple[Article, bool]],
                     plans: Sequence[tuple[list[Window], ChunkPlan]], vectors: Sequence[WindowVectors],
                     extras: Sequence[list[object]]) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        position = 0
        with self._write_transaction(db):
            if _meta(db, "model") is None:
                _set_meta(db, "model", self.embedder.name)
                _set_meta(db, "dim", self.embedder.dim)
            for index, ((article, replacing), (article_windows, plan)) in enumerate(zip(batch, plans, strict=True)):
                if replacing:
                    self._delete_article_rows(db, article.id)
                _insert_article(db, article, now)
                _insert_derived(db, article, plan, vectors[position:position + len(article_windows)])
                for enricher, payloads in zip(self.enrichers, extras, strict=True):
                    enricher.write(db, article, payloads[index])
                position += len(article_windows)
            self._bump_generation(db)
        if db is self._wdb:  # not the scratch database of a rebuild
            self._apply_lexical(db)

    def remove(self, article_id: str) -> bool:
        with self._writing() as db:
            with self._write_transaction(db):
                if db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is None:
                    return False
                self._delete_article_rows(db, article_id)
                self._bump_generation(db)
            self._apply_lexical(db)
        return True

    def _delete_article_rows(self, db: sqlite3.Connection, article_id: str) -> None:
        _delete_article_rows(db, article_id)
        for enricher in self.enrichers:
            for table in enricher.tables:
                db.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))

    def enrich(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Runs each enricher over the stored articles it has not processed, from their stored
        text and sentence spans (no re-embedding). Returns how many articles were enriched."""
        done = 0
        with self._writing() as db:
            for enricher in self.enrichers:
                pending = enricher.pending(db)
                for at in range(0, len(pending), INGEST_BATCH):
                    ids = pending[at:at + INGEST_BATCH]
                    marks = ",".join("?" * len(ids))
                    articles = [Article(*r) for r in db.execute(
                        f"SELECT id, title, body, source, url, published_at, author, origin FROM articles "
                        f"WHERE id IN ({marks})", ids)]
                    spans = [[(s, e) for s, e in db.execute(
                        'SELECT start, "end" FROM sentences WHERE article_id = ? ORDER BY start', (a.id,))]
                        for a in articles]
                    payloads = enricher.prepare(articles, spans)
                    with self._write_transaction(db):
                        for article, payload in zip(articles, payloads, strict=True):
                            for table in enricher.tables:
                                db.execute(f"DELETE FROM {table} WHERE article_id = ?", (article.id,))
                            enricher.write(db, article, payload)
                        self._bump_generation(db)
                    done += len(articles)
                    if progress:
                        progress(at + len(ids), len(pending))
        return done

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> AddReport:
        """Re-derives every sentence, chunk, vector and FTS row from the stored article text
        with the configured model. The work happens in a scratch database that replaces the
        live one in a single SQLite transaction, so a kill at any point loses nothing."""
        started = time.perf_counter()
        scratch_path = self.data_dir / "rebuild.db"
        with self._writing() as live:
            articles = _salvage_articles(live)
            expected = _count_articles(live)
            if expected and not articles:
                raise KnowledgeBaseError(
                    f"none of the {expected} articles in {self.data_dir / DB_NAME} can be read back, so the "
                    "rebuild changed nothing; restore newsbot.db from a backup, or move it aside and add the "
                    "articles again with `newsbot index add`")
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{scratch_path}{suffix}").unlink()
            scratch = _connect(scratch_path)
            try:
                _create_schema(scratch, self.enrichers)
                with self._write_transaction(scratch):
                    try:
                        generation = int(_meta(live, "generation") or 0)
                    except (sqlite3.DatabaseError, ValueError):
                        generation = 0  # a damaged meta table; the new epoch makes every reader reload
                    _set_meta(scratch, "generation", generation + 1)
                report = AddReport(added=[ArticleOutcome(a.id, a.title, a.origin) for a in articles])
                report.chunks_added = self._ingest(scratch, [(a, False) for a in articles], progress)
                scratch.backup(live)
            finally:
                scratch.close()
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        Path(f"{scratch_path}{suffix}").unlink()
            self._apply_lexical(live, rebuild=True)
        with self._lock:
            self._vectors = None
            self._vector_state = ("", -1, 0, 0)
        self.checkpoint()
        report.seconds = time.perf_counter() - started
        return report


def _warn(message: str) -> None:
    print(f"newsbot: warning: {message}", file=sys.stderr)


def plan_additions(db: Any, articles: Sequence[Article], report: AddReport) -> list[tuple[Article, bool]]:
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
    for article, replacing in todo:
        (report.replaced if replacing else report.added).append(ArticleOutcome(article.id, article.title,
                                                                               article.origin))


def _skip_reason(db: sqlite3.Connection, article: Article, seen_ids: set[str],
                 seen_bodies: dict[str, str]) -> str | None:
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


def _insert_article(db: sqlite3.Connection, article: Article, now: str) -> None:
    db.execute(
        "INSERT INTO articles(id, title, body, source, url, published_at, author, origin, "
        "content_hash, body_hash, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (article.id, article.title, article.body, article.source, article.url, article.published_at,
         article.author, article.origin, article.content_hash, body_hash(article.body), now),
    )


def _insert_derived(db: sqlite3.Connection, article: Article, plan: ChunkPlan,
                    vectors: Sequence[WindowVectors]) -> None:
    """Chunks with their vectors, and sentences with the vector pooled in the
    first window that holds them."""
    sentence_vectors: dict[int, np.ndarray] = {}
    for ord_, (chunk, result) in enumerate(zip(plan.chunks, vectors, strict=True)):
        for offset, index in enumerate(range(chunk.first_sentence, chunk.last_sentence + 1)):
            sentence_vectors.setdefault(index, result.spans[offset])
        chunk_id = db.execute('INSERT INTO chunks(article_id, ord, start, "end") VALUES (?,?,?,?)',
                              (article.id, ord_, chunk.start, chunk.end)).lastrowid
        db.execute("INSERT INTO chunk_vectors(chunk_id, vector) VALUES (?, ?)",
                   (chunk_id, result.window.astype(np.float32).tobytes()))
    db.executemany(
        'INSERT INTO sentences(article_id, ord, start, "end", vector) VALUES (?,?,?,?,?)',
        [(article.id, i, s.start, s.end, _int8(sentence_vectors[i]).tobytes())
         for i, s in enumerate(plan.sentences) if i in sentence_vectors],
    )


def _chunk_docs(db: sqlite3.Connection, after: int, upto: int) -> Iterator[ChunkDoc]:
    """The lexical documents of chunks with ids in (after, upto], read article by article
    (one body read per article, not per chunk)."""
    rows = db.execute('SELECT article_id, id, start, "end" FROM chunks WHERE id > ? AND id <= ? '
                      'ORDER BY article_id, id', (after, upto)).fetchall()
    at = 0
    while at < len(rows):
        article_id = rows[at][0]
        end = at
        while end < len(rows) and rows[end][0] == article_id:
            end += 1
        article = db.execute("SELECT title, body, source, published_at FROM articles WHERE id = ?",
                             (article_id,)).fetchone()
        if article is not None:
            title, body, source, published_at = article
            for _, chunk_id, start, stop in rows[at:end]:
                yield ChunkDoc(int(chunk_id), body[start:stop], title, source, published_at)
        at = end


def _delete_article_rows(db: sqlite3.Connection, article_id: str) -> None:
    chunk_ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]
    db.executemany("DELETE FROM chunk_vectors WHERE chunk_id = ?", [(c,) for c in chunk_ids])
    db.executemany("INSERT INTO removed_chunks(chunk_id) VALUES (?)", [(c,) for c in chunk_ids])
    db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
    db.execute("DELETE FROM sentences WHERE article_id = ?", (article_id,))
    db.execute("DELETE FROM articles WHERE id = ?", (article_id,))


def _salvage_articles(db: sqlite3.Connection) -> list[Article]:
    """Every article row that can still be read, one row at a time, so that damage to some
    pages of a database loses only the rows on them."""
    articles: list[Article] = []
    rowids: list[int] = []
    for sql in ("SELECT rowid FROM articles ORDER BY rowid",
                # the table's b-tree is unreadable: its primary-key index still lists the rows
                "SELECT rowid FROM articles INDEXED BY sqlite_autoindex_articles_1"):
        try:
            rowids = sorted(r[0] for r in db.execute(sql))
            break
        except sqlite3.DatabaseError:
            continue
    dropped = []
    for rowid in rowids:
        try:
            row = db.execute(
                "SELECT id, title, body, source, url, published_at, author, origin FROM articles "
                "WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            dropped.append(rowid)
            continue
        if row is not None:
            articles.append(Article(*row))
    if dropped:
        _warn(f"{len(dropped)} article rows are unreadable and were dropped (rowids {dropped[:20]}"
              f"{' ...' if len(dropped) > 20 else ''})")
    return articles


def _count_articles(db: sqlite3.Connection) -> int | None:
    """How many articles the database says it holds (through an index), or None."""
    try:
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.DatabaseError:
        return None


def remove_data_files(data_dir: Path) -> None:
    """Deletes newsbot's own files in a data dir, and nothing else."""
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", CHECKPOINT_POINTER, "write.lock"):
        with contextlib.suppress(FileNotFoundError):
            (data_dir / name).unlink()
    for path in data_dir.glob("vectors-*.faiss"):
        path.unlink()
    for name in (LEXICAL_DIR, f"{LEXICAL_DIR}.new", f"{LEXICAL_DIR}.old"):
        shutil.rmtree(data_dir / name, ignore_errors=True)
    fsync_dir(data_dir)
