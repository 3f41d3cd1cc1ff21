"""The FAISS index of the embedded store, kept in step with SQLite: loaded once from its
checkpoint (``vectors-<n>.faiss`` named by ``vectors.json``), then brought to each reader's
snapshot by replaying the removals and new chunks since; a fresh checkpoint is written when
the replay grows long, and a missing or damaged one is rebuilt from the vectors in SQLite.
The pointer records the checkpoint's CRC-32 and its file stamp (``vectors.file_stamp``): a
file that kept its stamp is loaded without the CRC pass.

Usage::

    from index.store.embedded.vector_sync import VectorSync
    vectors = VectorSync(data_dir, model_name="all-MiniLM-L6-v2", policy=None, on_change=cache.clear)
    db.execute("BEGIN")
    vectors.sync(db)                          # inside the reader's transaction
    vectors.index.search(query, 10, None)     # (scores, chunk ids)
    vectors.write_checkpoint()                # the next start replays nothing
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np

from index.store.base import KnowledgeBaseError
from index.store.embedded.layout import CHECKPOINT_POINTER, warn
from index.store.embedded.schema import meta
from index.store.embedded.vectors import VectorIndex, VectorIndexCorruptError, file_stamp, write_atomically

# Replaying more changes than this at load is slower than reading a fresh checkpoint.
CHECKPOINT_DELTA = 2000
NO_STATE = ("", -1, 0, 0)  # epoch, generation, max chunk id, removal seq
NEVER_MAP = 1 << 62       # map_min_bytes that reads a checkpoint into memory whatever its size


def _nothing_since(db: sqlite3.Connection, high: int, removal: int) -> bool:
    """Whether SQLite holds no chunk and no removal past a checkpoint's marks (two key lookups)."""
    return db.execute("SELECT 1 FROM chunk_vectors WHERE chunk_id > ? LIMIT 1", (high,)).fetchone() is None \
        and db.execute("SELECT 1 FROM removed_chunks WHERE seq > ? LIMIT 1", (removal,)).fetchone() is None


class VectorSync:
    """The in-memory vector index and the SQLite state it holds. Not thread-safe on its
    own: the knowledge base calls it under its reader lock."""

    def __init__(self, data_dir: Path, *, model_name: str, policy: str | None,
                 on_change: Callable[[], None]) -> None:
        self.data_dir = data_dir
        self.model_name = model_name
        self.policy = policy
        self.index: VectorIndex | None = None
        self.state = NO_STATE
        self._on_change = on_change           # the index moved to a new SQLite state
        self._checkpoint_unusable = False     # a bad checkpoint was found: save a good one after the replay

    def reset(self) -> None:
        """Forgets the index (after a rebuild): the next sync loads the new checkpoint."""
        self.index, self.state = None, NO_STATE

    def _read_checkpoint_info(self) -> dict | None:
        try:
            return json.loads((self.data_dir / CHECKPOINT_POINTER).read_text())
        except (OSError, ValueError):
            return None

    def _load_checkpoint(self, db: sqlite3.Connection, epoch: str, dim: int) -> tuple[VectorIndex, int, int] | None:
        info = self._read_checkpoint_info()
        if not info or info.get("epoch") != epoch or info.get("dim") != dim:
            return None
        try:
            # Mapped (and copied in the background) only when nothing is to be replayed onto
            # it: a replay changes the lists, so it would wait for the copy (4.0 s at 1M
            # chunks for one new chunk, against 1.3 s for reading the file into memory).
            current = _nothing_since(db, int(info["max_chunk_id"]), int(info["removal_seq"]))
            index = VectorIndex.load(self.data_dir / info["file"], expected_crc=int(info["crc32"]),
                                     stamp=info.get("stamp"), map_min_bytes=None if current else NEVER_MAP)
            if index.ntotal != int(info["ntotal"]):
                raise VectorIndexCorruptError("vector count differs from the checkpoint's record")
        except (OSError, KeyError, ValueError, VectorIndexCorruptError) as exc:
            warn(f"the vector index checkpoint is unusable ({exc}); rebuilding it from the "
                 "vectors stored in the database")
            self._checkpoint_unusable = True
            return None
        return index, int(info["max_chunk_id"]), int(info["removal_seq"])

    def sync(self, db: sqlite3.Connection, _retry: bool = False) -> None:
        """Brings the index to the snapshot of ``db`` (in a read transaction): load the
        checkpoint once, then replay removals and new chunks since the last sync."""
        epoch = meta(db, "epoch") or ""
        generation = int(meta(db, "generation") or 0)
        if self.index is not None and self.state[:2] == (epoch, generation):
            if self.index.wants_checkpoint:  # a flat → IVF conversion finished: persist it once
                self.write_checkpoint()
            return
        high, removal = self._starting_point(db, epoch, int(meta(db, "dim") or 0))
        high, removal, replayed = self._replay(db, high, removal)
        self.state = (epoch, generation, high, removal)
        self._on_change()
        if not self._agrees_with(db, _retry):
            self.sync(db, _retry=True)
            return
        if replayed > CHECKPOINT_DELTA or self._checkpoint_unusable or self.index.wants_checkpoint:
            self._checkpoint_unusable = False
            self.write_checkpoint()
        self.index.own_in_background()  # a mapped checkpoint: copied in now that this read is done

    def _starting_point(self, db: sqlite3.Connection, epoch: str, dim: int) -> tuple[int, int]:
        """Loads the checkpoint (or an empty index) when there is none of this epoch in
        memory; returns the highest chunk id and removal sequence the index holds."""
        if self.index is not None and self.state[0] == epoch:
            return self.state[2], self.state[3]
        loaded = self._load_checkpoint(db, epoch, dim) if dim else None
        if loaded is None:
            self.index = VectorIndex.create(dim or 1, policy=self.policy)
            return 0, 0
        self.index, high, removal = loaded
        return high, removal

    def _replay(self, db: sqlite3.Connection, high: int, removal: int) -> tuple[int, int, int]:
        """Applies removals past ``removal`` and adds chunks above ``high``; returns the new
        marks and how many changes were replayed."""
        removed = np.array([r[0] for r in db.execute(
            "SELECT chunk_id FROM removed_chunks WHERE seq > ? AND chunk_id <= ?", (removal, high))],
            dtype=np.int64)
        replayed = self.index.remove(removed)
        removal = int(db.execute("SELECT coalesce(max(seq), 0) FROM removed_chunks").fetchone()[0])
        cursor = db.execute(
            "SELECT chunk_id, vector FROM chunk_vectors WHERE chunk_id > ? ORDER BY chunk_id", (high,))
        while batch := cursor.fetchmany(4096):
            ids = np.array([r[0] for r in batch], dtype=np.int64)
            matrix = np.frombuffer(b"".join(r[1] for r in batch), dtype=np.float32).reshape(len(batch), -1)
            if self.index.ntotal == 0 and self.index.dim != matrix.shape[1]:
                self.index = VectorIndex.create(matrix.shape[1], policy=self.policy)
            self.index.add(ids, matrix)
            high = int(ids[-1])
            replayed += len(batch)
        return high, removal, replayed

    def _agrees_with(self, db: sqlite3.Connection, retried: bool) -> bool:
        """Whether the index holds a vector for every chunk row. When not, the checkpoint
        is dropped (False: sync again from SQLite); if that was already done, SQLite itself
        disagrees and the user is told to rebuild."""
        chunk_rows = int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])
        if self.index.ntotal == chunk_rows:
            return True
        if retried:  # rebuilt from SQLite and still different: SQLite itself disagrees
            count = self.index.ntotal
            self.reset()
            raise KnowledgeBaseError(
                f"the knowledge base is inconsistent: {chunk_rows} chunks but {count} stored vectors; "
                "run `newsbot doctor`, then `newsbot index rebuild`")
        # Only a damaged checkpoint that passed its checks, or tampering, gets here.
        warn(f"the vector index holds {self.index.ntotal} vectors for {chunk_rows} chunks; "
             "rebuilding it from the vectors stored in the database")
        self.reset()
        with contextlib.suppress(OSError):
            (self.data_dir / CHECKPOINT_POINTER).unlink()
        return False

    def write_checkpoint(self) -> None:
        """Best effort: a reader that cannot write (read-only dir) just replays next time."""
        if self.index is None or self.index.ntotal == 0:
            return
        epoch, _, high, removal = self.state
        old = self._read_checkpoint_info()
        name = f"vectors-{epoch[:8]}-{high}-{removal}.faiss"
        try:
            crc = self.index.save(self.data_dir / name)
            info = {"file": name, "crc32": crc, "stamp": file_stamp(self.data_dir / name), "ntotal": self.index.ntotal,
                    "max_chunk_id": high, "removal_seq": removal, "epoch": epoch, "model": self.model_name,
                    "dim": self.index.dim}
            write_atomically(self.data_dir / CHECKPOINT_POINTER, json.dumps(info).encode())
        except OSError as exc:
            warn(f"could not save the vector index checkpoint: {exc}")
            self.index.wants_checkpoint = False  # not again on every question; the next big replay retries
            return
        if old and old.get("file") != name:
            with contextlib.suppress(OSError, KeyError):
                (self.data_dir / old["file"]).unlink()
