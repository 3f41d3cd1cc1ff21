"""The KnowledgeBase: articles, sentences, chunks, vectors and BM25 under one data dir.

Usage::

    from index.store import KnowledgeBase
    kb = KnowledgeBase.open(Path("~/.local/share/newsbot").expanduser(), embedder)
    report = kb.add_articles(parse_paths([Path("seeds/")]).articles)
    with kb.reader() as snap:                     # one consistent view for one question
        hits = snap.dense_search(vector, k=10)
    kb.remove("a-0123456789abcdef")

Layout of the data dir:

- ``newsbot.db``: SQLite in WAL mode, the source of truth. One transaction adds a batch
  of articles whole (text, sentences, chunks, vectors, FTS5 rows) or not at all, so a
  kill at any moment leaves the previous state. Article text lives in its own table,
  apart from every derived row, and ``rebuild`` re-derives everything from it.
- ``vectors-<n>.faiss`` plus ``vectors.json``: a FAISS checkpoint, derived from the
  vectors in SQLite. Adds never rewrite it; a reader loads it and replays the few
  changes made since (chunk ids above its high-water mark, logged removals).
- ``write.lock``: the cross-process writer lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from index.articles import Article
from index.chunking import ChunkPlan, plan_chunks, split_sentences
from index.embedding import Embedder, Window, WindowVectors
from index.vectors import VectorIndex, VectorIndexCorruptError, fsync_dir, write_atomically

T = TypeVar("T")
SCHEMA_VERSION = 1
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
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, title, meta, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""

_MONTHS = ("January February March April May June July August September October November December").split()


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


def metadata_terms(source: str, published_at: str | None) -> str:
    """Words a question may use for an article's outlet and date ("TechCrunch", "October 7, 2023")."""
    parts = [source]
    if published_at:
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(published_at)
            parts.append(f"{_MONTHS[when.month - 1]} {when.day} {when.year}")
    return " ".join(p for p in parts if p)


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


class Snapshot:
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

    def dense_search(self, query: np.ndarray, k: int, within: Sequence[int] | None = None
                     ) -> list[tuple[int, float]]:
        """Nearest chunks by inner product; ``within`` restricts the search to those chunk ids."""
        subset = None if within is None else np.asarray(within, dtype=np.int64)
        scores, ids = self._kb._vectors.search(query, k, subset)
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def memo(self, key: object, compute: Callable[[], T]) -> T:
        """A value derived from this snapshot, kept until the knowledge base changes."""
        cache = self._kb._snapshot_cache
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def outlets(self) -> list[str]:
        """Every outlet name in the knowledge base (multi-outlet sources split)."""
        def compute() -> list[str]:
            names: set[str] = set()
            for (source,) in self._db.execute("SELECT DISTINCT source FROM articles"):
                names.update(part.strip() for part in source.split(",") if part.strip())
            return sorted(names)

        return self.memo("outlets", compute)

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

    def lexical_search(self, match: str, k: int, weights: tuple[float, float, float] = (1.0, 0.5, 0.5)
                       ) -> list[tuple[int, float]]:
        """FTS5 BM25 over chunk text, title and outlet/date terms; higher is better."""
        if not match:
            return []
        try:
            rows = self._db.execute(
                "SELECT rowid, -bm25(chunks_fts, ?, ?, ?) AS score FROM chunks_fts "
                "WHERE chunks_fts MATCH ? ORDER BY score DESC LIMIT ?",
                (*weights, match, k),
            ).fetchall()
        except sqlite3.OperationalError:
            return []  # a query FTS5 cannot parse finds nothing rather than failing the question
        return [(int(r), float(s)) for r, s in rows]

    def phrase_count(self, phrase: str) -> int:
        """How many chunks contain the phrase (in their text or title), up to 1000."""
        quoted = '"' + phrase.replace('"', '""') + '"'
        try:
            row = self._db.execute(
                "SELECT count(*) FROM (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT 1000)",
                ("{text title} : " + quoted,)).fetchone()
        except sqlite3.OperationalError:
            return 0
        return int(row[0])

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
    elif version != SCHEMA_VERSION:
        raise KnowledgeBaseError(
            f"the knowledge base has schema version {version}; this newsbot reads version {SCHEMA_VERSION}")
    # Covering indexes for the per-question metadata reads (outlets, chunk metadata, per-outlet
    # chunk lists): the body sits before source and published_at in an article row, so without
    # them each of those reads walks bodies' overflow pages. Built once on an older store.
    for name, columns in _COVERING_INDEXES.items():
        db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON articles({columns})")


_COVERING_INDEXES = {"articles_source": "source, id", "articles_meta": "id, source, published_at"}


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

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, data_dir: Path, embedder: Embedder, *, lock_timeout: float = 120.0,
             check_model: bool = True, enrichers: Sequence[ArticleEnricher] = (),
             vector_policy: str | None = None) -> KnowledgeBase:
        """Opens (creating if needed) the knowledge base in ``data_dir``. ``check_model=False``
        is for `index rebuild`, which exists to replace vectors of another model;
        ``vector_policy`` picks the FAISS layout (``index.vectors.POLICIES``)."""
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
            report.chunks_added = self._ingest(db, todo, progress)
            for article, replacing in todo:
                outcome = ArticleOutcome(article.id, article.title, article.origin)
                (report.replaced if replacing else report.added).append(outcome)
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

    def remove(self, article_id: str) -> bool:
        with self._writing() as db, self._write_transaction(db):
            if db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is None:
                return False
            self._delete_article_rows(db, article_id)
            self._bump_generation(db)
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
        with self._lock:
            self._vectors = None
            self._vector_state = ("", -1, 0, 0)
        self.checkpoint()
        report.seconds = time.perf_counter() - started
        return report


def _warn(message: str) -> None:
    print(f"newsbot: warning: {message}", file=sys.stderr)


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
    """Chunks with their vectors and FTS rows, and sentences with the vector pooled in the
    first window that holds them."""
    sentence_vectors: dict[int, np.ndarray] = {}
    meta = metadata_terms(article.source, article.published_at)
    for ord_, (chunk, result) in enumerate(zip(plan.chunks, vectors, strict=True)):
        for offset, index in enumerate(range(chunk.first_sentence, chunk.last_sentence + 1)):
            sentence_vectors.setdefault(index, result.spans[offset])
        chunk_id = db.execute('INSERT INTO chunks(article_id, ord, start, "end") VALUES (?,?,?,?)',
                              (article.id, ord_, chunk.start, chunk.end)).lastrowid
        db.execute("INSERT INTO chunk_vectors(chunk_id, vector) VALUES (?, ?)",
                   (chunk_id, result.window.astype(np.float32).tobytes()))
        db.execute("INSERT INTO chunks_fts(rowid, text, title, meta) VALUES (?,?,?,?)",
                   (chunk_id, article.body[chunk.start:chunk.end], article.title, meta))
    db.executemany(
        'INSERT INTO sentences(article_id, ord, start, "end", vector) VALUES (?,?,?,?,?)',
        [(article.id, i, s.start, s.end, _int8(sentence_vectors[i]).tobytes())
         for i, s in enumerate(plan.sentences) if i in sentence_vectors],
    )


def _delete_article_rows(db: sqlite3.Connection, article_id: str) -> None:
    chunk_ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]
    db.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(c,) for c in chunk_ids])
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
    fsync_dir(data_dir)
