"""The FAISS side of the store: an id-mapped inner-product index and its checkpoint file.

Usage::

    from index.vectors import VectorIndex
    vectors = VectorIndex.create(dim=384)
    vectors.add(np.array([7, 8]), matrix)              # ids are chunk row ids
    scores, ids = vectors.search(query_vector, k=10)
    vectors.save(path)                                  # temp file, fsync, rename
    vectors = VectorIndex.load(path)

The index is derived data: SQLite holds every vector, so a lost or damaged checkpoint
is rebuilt from there, and a checkpoint only saves the time of that rebuild.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np


class VectorIndexCorruptError(RuntimeError):
    pass


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file, fsync, rename, fsync the folder: readers see the old or the new file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class VectorIndex:
    index: faiss.Index

    @classmethod
    def create(cls, dim: int) -> VectorIndex:
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                    np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> int:
        if not len(ids):
            return 0
        return int(self.index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64)))

    def search(self, query: np.ndarray, k: int, within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` by inner product; ``within`` limits the search to those ids."""
        if self.ntotal == 0 or k <= 0 or (within is not None and not len(within)):
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        params = None
        if within is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.ascontiguousarray(within, dtype=np.int64)))
        scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32),
                                        min(k, self.ntotal), params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def to_bytes(self) -> bytes:
        return faiss.serialize_index(self.index).tobytes()

    def save(self, path: Path) -> int:
        """Writes the checkpoint; returns its CRC-32 for the caller's records."""
        data = self.to_bytes()
        write_atomically(path, data)
        return zlib.crc32(data)

    @classmethod
    def load(cls, path: Path, expected_crc: int | None = None) -> VectorIndex:
        data = path.read_bytes()
        if expected_crc is not None and zlib.crc32(data) != expected_crc:
            raise VectorIndexCorruptError(f"{path.name}: checksum mismatch (damaged or truncated)")
        try:
            index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except RuntimeError as exc:
            raise VectorIndexCorruptError(f"{path.name}: not a readable FAISS index ({exc})") from exc
        return cls(index)
