"""The tantivy index of the embedded store, kept in step with SQLite.

The index's marker document, committed with the documents, records the epoch, highest chunk
id and removal sequence it holds. The writer applies each SQLite commit to it at once
(``apply``); a reader that finds it behind catches it up when no writer holds the lock, and
meanwhile drops hits of removed chunks (``sync``); a missing or damaged one (CRC-32 of every
segment file, checked once per process; a file that passed in an earlier process and kept
its stamp, listed in ``lexical.checked.json``, is not read again) is rebuilt from SQLite with
a warning. ``rebuild`` builds a new one beside the old and swaps it in by rename.

Usage::

    from index.store.embedded.lexical_sync import LexicalSync
    lexical = LexicalSync(data_dir, swap_lock=reader_lock, try_writing=kb_try_writing)
    db.execute("BEGIN")
    lexical.sync(db)                           # a reader, inside its transaction
    index, stale = lexical.view()              # index None: answer lexical questions with nothing
    lexical.apply(wdb)                         # the writer, after a commit, with the writer lock
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from index.store.embedded.layout import LEXICAL_CHECKED, LEXICAL_DIR, warn
from index.store.embedded.lexical import ChunkDoc, LexicalIndex, LexicalIndexError, LexicalState
from index.store.embedded.schema import meta
from index.store.embedded.vectors import fsync_dir, write_atomically


def chunk_docs(db: sqlite3.Connection, after: int, upto: int) -> Iterator[ChunkDoc]:
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


def sql_state(db: sqlite3.Connection) -> LexicalState:
    """What the index must hold to match this SQLite snapshot."""
    return LexicalState(
        meta(db, "epoch") or "",
        int(db.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0]),
        int(db.execute("SELECT coalesce(max(seq), 0) FROM removed_chunks").fetchone()[0]))


class LexicalSync:
    """The open tantivy index and what this process knows of it. ``swap_lock`` is the
    reader lock (a rebuilt index is swapped in under it); ``try_writing`` takes the writer
    locks if they are free at once."""

    def __init__(self, data_dir: Path, *, swap_lock: threading.RLock,
                 try_writing: Callable[[], AbstractContextManager[bool]]) -> None:
        self.data_dir = data_dir
        self.index: LexicalIndex | None = None
        self.usable = False               # False: this view answers lexical questions with nothing
        self.repairs: list[str] = []      # rebuilds of a missing or damaged index, for doctor
        self._swap_lock = swap_lock
        self._try_writing = try_writing
        self._key: tuple[str, int] | None = None  # (epoch, generation) last synced
        self._stale: frozenset[int] = frozenset()  # removed in SQLite, not yet in the index

    def open_new(self) -> None:
        """A new store: an empty index, when none exists yet."""
        if not (self.data_dir / LEXICAL_DIR).exists():
            with contextlib.suppress(LexicalIndexError):
                self.index = LexicalIndex.open(self.data_dir / LEXICAL_DIR)

    def view(self) -> tuple[LexicalIndex | None, frozenset[int]]:
        """The index a snapshot may search (None when unusable) and the chunks it must drop."""
        return (self.index if self.usable else None), self._stale

    def _problem(self, db: sqlite3.Connection, want: LexicalState) -> tuple[str | None, bool]:
        """(why the index must be rebuilt, or None; whether it is merely behind SQLite)."""
        try:
            if self.index is None:
                path = self.data_dir / LEXICAL_DIR
                if not path.exists() and want.high == 0:
                    self.index = LexicalIndex.open(path)  # a new store: nothing to rebuild
                else:
                    opened = LexicalIndex.open(path, create=False)
                    self._verify(opened)  # once per process: segment files never change once written
                    self.index = opened
            self.index.refresh()
            have = self._have(want)
        except LexicalIndexError as exc:
            self.index = None
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
            if self.index.doc_count != count:
                return f"the lexical index holds {self.index.doc_count} chunks for {count}", False
        return None, False

    def _verify(self, index: LexicalIndex) -> None:
        """``index.verify``, skipping the files that passed in an earlier process and kept
        their stamps (0.7 s of CRC over 520 MB at 1M chunks); the stamps of the files that
        pass are saved for the next process (best effort: a read-only dir checks every time)."""
        record = self.data_dir / LEXICAL_CHECKED
        try:
            checked = json.loads(record.read_text())
        except (OSError, ValueError):
            checked = {}
        passed = index.verify(checked if isinstance(checked, dict) else {})
        if passed != checked:
            with contextlib.suppress(OSError):
                write_atomically(record, json.dumps(passed).encode())

    def _have(self, want: LexicalState) -> LexicalState | None:
        """The index's marker; an empty index (a new store's) holds nothing of this epoch yet."""
        have = self.index.state() if self.index is not None else None
        if have is None and self.index is not None and self.index.is_empty:
            return LexicalState(want.epoch, 0, 0)
        return have

    def sync(self, db: sqlite3.Connection) -> None:
        """Brings the index to the reader's snapshot: nothing to do when SQLite has not
        changed; else apply the changes since the index's marker (when no writer is at
        work: it applies its own), or rebuild a missing or damaged index from SQLite."""
        key = (meta(db, "epoch") or "", int(meta(db, "generation") or 0))
        if self._key == key and self.index is not None:
            return
        want = sql_state(db)
        problem, behind = self._problem(db, want)
        if problem is not None or behind:
            with self._try_writing() as locked:
                if locked:
                    self._update(db, want, problem)
                    problem, behind = None, False
                elif problem is not None:
                    warn(f"{problem}; another process is writing, so this answer uses dense search alone "
                         "and the writer rebuilds the lexical index")
        self.usable = problem is None and self.index is not None
        stale: set[int] = set()
        if self.usable and behind:
            have = self._have(want)
            stale = {int(r[0]) for r in db.execute(
                "SELECT chunk_id FROM removed_chunks WHERE seq > ?", (have.seq if have else 0,))}
        self._stale = frozenset(stale)
        self._key = key if self.usable and not behind else None

    def _update(self, db: sqlite3.Connection, want: LexicalState, problem: str | None) -> None:
        """With the writer locks held: catch the index up to ``want``, or rebuild it."""
        if problem is None and self.index is not None:
            have = self._have(want)
            if have is not None and have.epoch == want.epoch:
                removed = [int(r[0]) for r in db.execute(
                    "SELECT chunk_id FROM removed_chunks WHERE seq > ? AND chunk_id <= ?", (have.seq, have.high))]
                with self.index.writer() as writer:
                    writer.delete(removed)
                    writer.add(chunk_docs(db, have.high, want.high))
                    writer.commit(LexicalState(want.epoch, max(want.high, have.high), want.seq))
                self.index.refresh()
                return
            problem = "the lexical index is behind"
        count = int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])
        if count:
            message = f"{problem}; rebuilding it from the database ({count:,} chunks)"
            self.repairs.append(message)
            warn(message)
        self._rebuild(db, want)

    def _rebuild(self, db: sqlite3.Connection, want: LexicalState) -> None:
        """A fresh index of every chunk. Built beside the old one and swapped in by rename,
        so a kill mid-way leaves the old index (which the next reader finds out of date)."""
        path = self.data_dir / LEXICAL_DIR
        fresh_path = self.data_dir / f"{LEXICAL_DIR}.new"
        fresh = LexicalIndex.recreate(fresh_path)
        with fresh.writer(threads=2, heap=256_000_000) as writer:
            writer.add(chunk_docs(db, 0, want.high))
            writer.commit(want)
        del fresh
        old_path = self.data_dir / f"{LEXICAL_DIR}.old"
        with self._swap_lock:
            self.index = None
            if old_path.exists():
                shutil.rmtree(old_path)
            if path.exists():
                path.rename(old_path)
            fresh_path.rename(path)
            fsync_dir(self.data_dir)
            self.index = LexicalIndex.open(path, create=False)
        if old_path.exists():
            shutil.rmtree(old_path, ignore_errors=True)

    def apply(self, db: sqlite3.Connection, *, rebuild: bool = False) -> None:
        """After a committed write (writer locks held): the index takes the change at once.
        If that fails (disk full, say), the write stands and the next reader catches up."""
        db.execute("BEGIN")
        try:
            want = sql_state(db)
            if rebuild:
                self._rebuild(db, want)
            else:
                problem, _ = self._problem(db, want)
                self._update(db, want, problem)
        except (LexicalIndexError, OSError) as exc:
            warn(f"the lexical index could not take the change ({exc}); the next question catches it up")
        finally:
            db.execute("COMMIT")

    def report(self, sql_ids: set[int]) -> dict[str, object]:
        """For `newsbot doctor`: what the index holds against SQLite's chunk ids."""
        lexical, _ = self.view()
        state = lexical.state() if lexical else None
        held = lexical.chunk_ids() if lexical else set()
        damage = None
        if lexical is not None:
            try:
                lexical.verify()
            except LexicalIndexError as exc:
                damage = str(exc)
        return {"usable": lexical is not None, "damage": damage, "repairs": list(self.repairs),
                "path": str(self.data_dir / LEXICAL_DIR),
                "state": None if state is None else state.__dict__,
                "missing": len(sql_ids - held), "extra": len(held - sql_ids),
                "bytes": lexical.size_bytes() if lexical else 0}
