"""The FAISS side of the store: an id-mapped inner-product index, chosen by size, and its
checkpoint file.

Usage::

    from index.store.embedded.vectors import VectorIndex
    vectors = VectorIndex.create(dim=384)               # exact (flat) while small
    vectors.add(np.array([7, 8]), matrix)              # ids are chunk row ids
    scores, ids = vectors.search(query_vector, k=10)
    scores, ids = vectors.search(query_vector, k=10, within=np.array([7]))   # a subset only
    crc = vectors.save(path)                            # temp file, fsync, rename
    stamp = file_stamp(path)                            # recorded beside the CRC
    vectors = VectorIndex.load(path, expected_crc=crc, stamp=stamp)

The index is derived data: SQLite holds every vector, so a lost or damaged checkpoint
is rebuilt from there, and a checkpoint only saves the time of that rebuild.

Loading checks the file against the CRC-32 recorded when it was written, unless it still
has the stamp recorded then (size, modification and change times in ns, inode): anything
that writes, truncates or replaces the file changes the stamp (the change time cannot be set
back), so the CRC pass, 0.8 s of CPU over 1.5 GB at 1M chunks, runs only for a file touched
since. What a stamp cannot see is damage below the file system (a bad disk sector): `newsbot
doctor` still checks the full CRC.

A large IVF checkpoint (``MAP_MIN_BYTES`` and up) is not copied into memory before the first
search: FAISS maps its lists from the file (``IO_FLAG_MMAP_IFC``, 0.1 s at 1M chunks against
1.2 s for a read that allocates and copies 1.5 GB), and a background thread copies them into
memory the index owns (``_Owning``), swapped in at the next call. Mapped lists cannot change
(FAISS aborts the process on a resize), so ``add`` and ``remove`` wait for the copy first; a
search never waits. The copy starts when the owner calls ``own_in_background`` (after its
first read) or at the first change. After the swap nothing refers to the file any more, so
it may be replaced or damaged under a running process without harm.

Index type by size (policy ``auto``, the default; ``NEWSBOT_VECTOR_INDEX`` overrides it).
Figures from ``tests/bench`` (scale), 2 shared cores, vectors drawn around the real ones:

- up to ``FLAT_MAX`` vectors (100,000): exact search, ``IndexIDMap2(IndexFlatIP)``. A query
  scans every vector: 6.7 ms at 100k (59 ms at 1M) on one core.
- above it: ``IndexIVFFlat`` (inner product) with ``nlist`` ≈ 4·√N lists (a power of two,
  at most 4,096; 1,024 when it converts at 100k), k-means trained on 40 vectors per list,
  searched with ``nprobe`` = ``NPROBE`` = 32 lists. Recall@10 against exact search for the
  real dev-question vectors: 0.991 at 100k (nlist 1,024), 0.993 at 1M with nlist 1,024 and
  0.995 with 2,048; search p50 0.3 ms at 100k, 1.7-2.9 ms at 1M. IVF removes ids directly (HNSW
  cannot: it would need a tombstone filter and rebuilds; it also recalled less at equal
  latency, 0.965 at efSearch 64 on 100k), and an add is one assignment to its nearest
  list, so adds stay cheap at any size. A hash-table direct map makes removals and subset
  searches O(ids), not O(N).
- ``auto-sq8``: the same, with 8-bit scalar quantization above ``FLAT_MAX``
  (``IndexIVFScalarQuantizer``, QT_8bit): 411 bytes per chunk instead of 1,563 in the
  checkpoint (3.8× less) for 0.015-0.017 less recall@10 (0.976-0.978). ``flat``, ``ivf``
  and ``ivf-sq8`` force one type.

The conversion from flat to IVF happens when an add crosses ``FLAT_MAX``. Training runs on
a copy in a background thread while the flat index keeps answering (and taking adds and
removals, which are replayed onto the new index when it is swapped in), so no add and no
question waits for it. ``wants_checkpoint`` turns true after a swap, so the owner can
persist the new layout; ``settle()`` waits for a conversion in flight (tests, benchmarks).

A ``within`` subset of up to ``EXACT_SUBSET_MAX`` ids is scored exactly from the IVF's
stored vectors (about 2 µs an id); a larger one goes through the IVF with a selector and
proportionally more lists probed, so about as many of its members are scanned as an
unrestricted search scans vectors. The selector is a bitmap of the ids (``id_bitmap``):
0.5 ms to build for 190k ids of a 1M-chunk store, where FAISS's hash-set ``IDSelectorBatch``
took 6-47 ms (more than the search itself); both keep exactly the same ids.

Searches run FAISS on one OpenMP thread: for one query the second thread costs more than
it gains (flat, same run, quiet machine: 6.7 ms on one thread against 15 ms on FAISS's
default two at 100k, 59 against 134 ms at 1M; on a busy machine 9.4 against 72 ms).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

FLAT_MAX = 100_000          # exact search up to this many vectors
NPROBE = 32                 # IVF lists scanned per query (recall@10 ≥ 0.95 measured in tests/bench)
NLIST_MIN, NLIST_MAX = 16, 4096
TRAIN_PER_LIST = 40         # k-means sample: this many vectors per list
TRAIN_ITERATIONS = 10
EXACT_SUBSET_MAX = 4_096    # a ``within`` subset up to this size is scored exactly on IVF (~2 µs an id;
                            # past it a filtered IVF scan is cheaper: measured at 1M in tests/bench)
SEARCH_THREADS = 1
MAP_MIN_BYTES = 64 << 20    # a checkpoint this big is mapped at load and copied in the background
POLICIES = ("auto", "auto-sq8", "flat", "ivf", "ivf-sq8")
ENV_POLICY = "NEWSBOT_VECTOR_INDEX"


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


def file_crc32(path: Path, block: int = 1 << 22) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            crc = zlib.crc32(chunk, crc)
    return crc


def file_stamp(path: Path) -> list[int]:
    """What changes when anything writes, truncates or replaces a file (see the module docstring)."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def default_policy() -> str:
    policy = os.environ.get(ENV_POLICY, "auto").strip().lower() or "auto"
    if policy not in POLICIES:
        print(f"newsbot: warning: {ENV_POLICY}={policy!r} is not one of {', '.join(POLICIES)}; "
              "using auto", file=sys.stderr)
        return "auto"
    return policy


def _pow2_floor(x: float) -> int:
    return 2 ** math.floor(math.log2(max(x, 1.0)))


def nlist_for(n: int) -> int:
    """Lists for an IVF over ``n`` vectors: a power of two near 4·√n, within bounds, and
    never more than k-means can train well from ``n`` vectors (39 per list)."""
    return int(max(1, min(NLIST_MAX, _pow2_floor(4.0 * math.sqrt(max(n, 1))), _pow2_floor(n / 39))))


def min_ivf_size() -> int:
    """Fewer vectors than this stay exact: too few to train ``NLIST_MIN`` lists."""
    return 39 * NLIST_MIN


def new_flat(dim: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def new_ivf(dim: int, nlist: int, compressed: bool) -> faiss.IndexIVF:
    quantizer = faiss.IndexFlatIP(dim)
    if compressed:
        index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.own_fields = True
    quantizer.this.disown()
    index.cp.niter = TRAIN_ITERATIONS
    index.cp.seed = 1234
    index.cp.max_points_per_centroid = TRAIN_PER_LIST
    return index


def build_ivf(vectors: np.ndarray, ids: np.ndarray, *, nlist: int | None = None, compressed: bool = False,
              seed: int = 1234) -> faiss.IndexIVF:
    """A trained IVF holding ``vectors`` under ``ids`` (the conversion, and the benchmark)."""
    n, dim = vectors.shape
    nlist = nlist or nlist_for(n)
    index = new_ivf(dim, nlist, compressed)
    sample_size = min(n, TRAIN_PER_LIST * nlist)
    if sample_size < n:
        rng = np.random.default_rng(seed)
        sample = vectors[np.sort(rng.choice(n, sample_size, replace=False))]
    else:
        sample = vectors
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    index.set_direct_map_type(faiss.DirectMap.Hashtable)
    for start in range(0, n, 65536):
        index.add_with_ids(np.ascontiguousarray(vectors[start:start + 65536], dtype=np.float32),
                           np.ascontiguousarray(ids[start:start + 65536], dtype=np.int64))
    return index


def kind_of(index: faiss.Index) -> str:
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexIVFScalarQuantizer):
        return "ivf-sq8"
    if isinstance(index, faiss.IndexIVF):
        return "ivf"
    return "flat"


def id_bitmap(ids: np.ndarray) -> tuple[faiss.IDSelectorBitmap, np.ndarray]:
    """A selector of exactly ``ids`` (non-negative), and the bitmap behind it, which the
    caller keeps alive while the selector is used (FAISS does not copy it)."""
    ids = np.asarray(ids, dtype=np.int64)
    ids = ids[ids >= 0]  # never an index's id; a negative one would index the bitmap from its end
    bits = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=bool)
    bits[ids] = True
    packed = np.packbits(bits, bitorder="little")  # id i is bit i % 8 of byte i // 8, as FAISS reads it
    return faiss.IDSelectorBitmap(len(packed), faiss.swig_ptr(packed)), packed


class _OneThread:
    """FAISS on one OpenMP thread for this block, in this thread only (OpenMP's setting is per thread)."""

    def __enter__(self) -> None:
        self.previous = faiss.omp_get_max_threads()
        if SEARCH_THREADS and self.previous != SEARCH_THREADS:
            faiss.omp_set_num_threads(SEARCH_THREADS)

    def __exit__(self, *exc: object) -> None:
        if faiss.omp_get_max_threads() != self.previous:
            faiss.omp_set_num_threads(self.previous)


@dataclass
class _Conversion:
    thread: threading.Thread
    pending: list[tuple[str, np.ndarray, np.ndarray | None]] = field(default_factory=list)
    result: faiss.Index | None = None
    error: BaseException | None = None


def _read_ahead(path: Path, block: int = 1 << 23) -> None:
    """Reads a mapped file once, sequentially, so its pages are in the cache before the copy
    touches them: left to page faults, copying a 1.5 GB checkpoint that was not in the cache
    took 16-17 s on this machine, against 1.6 s for this pass and then 1.5 s for the copy
    (posix_fadvise WILLNEED changed nothing)."""
    with contextlib.suppress(OSError), open(path, "rb", buffering=0) as handle:
        while handle.read(block):
            pass


@dataclass
class _Owning:
    """The copy of a mapped IVF's lists and quantizer into owned memory, made in a thread."""

    thread: threading.Thread
    started: bool = False
    lists: faiss.ArrayInvertedLists | None = None
    quantizer: faiss.IndexFlat | None = None
    error: BaseException | None = None


def _owned_parts(ivf: faiss.IndexIVF) -> tuple[faiss.ArrayInvertedLists, faiss.IndexFlat]:
    """Copies of a mapped IVF's inverted lists (same order and offsets, so its direct map
    stays valid) and of its quantizer's centroids."""
    mapped = faiss.downcast_InvertedLists(ivf.invlists)
    lists = faiss.ArrayInvertedLists(mapped.nlist, mapped.code_size)
    for number in range(mapped.nlist):
        size = mapped.list_size(number)
        if size:
            lists.add_entries(number, size, mapped.get_ids(number), mapped.get_codes(number))
    old = faiss.downcast_index(ivf.quantizer)
    quantizer = faiss.IndexFlat(int(old.d), int(old.metric_type))
    if old.ntotal:
        quantizer.add(old.reconstruct_n(0, old.ntotal))
    return lists, quantizer


@dataclass
class VectorIndex:
    index: faiss.Index
    policy: str = field(default_factory=default_policy)
    nprobe: int = field(default_factory=lambda: NPROBE)        # read at creation, so settings can change
    flat_max: int = field(default_factory=lambda: FLAT_MAX)
    background: bool = True           # convert flat → IVF in a thread (False: inside add())
    wants_checkpoint: bool = False    # set when the layout changed; cleared by save()
    _conversion: _Conversion | None = field(default=None, repr=False)
    mapped_at_load: bool = False      # read from a mapped checkpoint (for describe and the tests)
    _owning: _Owning | None = field(default=None, repr=False)   # a mapped checkpoint being copied in

    @classmethod
    def create(cls, dim: int, *, policy: str | None = None, flat_max: int | None = None,
               background: bool = True) -> VectorIndex:
        policy = policy or default_policy()
        if policy not in POLICIES:
            raise ValueError(f"unknown vector index policy {policy!r}")
        # Every policy starts exact: an IVF needs training data, so it comes with the adds.
        return cls(new_flat(dim), policy=policy, flat_max=FLAT_MAX if flat_max is None else flat_max,
                   nprobe=NPROBE, background=background)

    # ------------------------------------------------------------------ facts

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    @property
    def kind(self) -> str:
        return kind_of(self.index)

    @property
    def converting(self) -> bool:
        return self._conversion is not None

    def describe(self) -> dict:
        """Type and parameters, for reports and `doctor`."""
        info: dict = {"kind": self.kind, "policy": self.policy, "ntotal": self.ntotal, "dim": self.dim}
        ivf = self._ivf()
        if ivf is not None:
            info.update(nlist=int(ivf.nlist), nprobe=min(self.nprobe, int(ivf.nlist)),
                        mapped_at_load=self.mapped_at_load)
        return info

    def _ivf(self) -> faiss.IndexIVF | None:
        index = faiss.downcast_index(self.index)
        return index if isinstance(index, faiss.IndexIVF) else None

    def _target_kind(self) -> str:
        if self.policy == "flat":
            return "flat"
        if self.policy in ("ivf", "ivf-sq8"):
            return self.policy
        if self.ntotal <= self.flat_max:
            return "flat"
        return "ivf-sq8" if self.policy == "auto-sq8" else "ivf"

    # ------------------------------------------------------------------ changes

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not len(ids):
            return
        self._own()
        self._poll()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        self.index.add_with_ids(vectors, ids)
        if self._conversion is not None:
            self._conversion.pending.append(("add", ids, vectors))
        self._maybe_convert()

    def remove(self, ids: np.ndarray) -> int:
        if not len(ids):
            return 0
        self._own()
        self._poll()
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        removed = int(self.index.remove_ids(ids))
        if self._conversion is not None:
            self._conversion.pending.append(("remove", ids, None))
        return removed

    def _maybe_convert(self) -> None:
        target = self._target_kind()
        if self._conversion is not None or target == self.kind or self.kind != "flat":
            return
        if self.ntotal < min_ivf_size():
            return  # too few vectors to train on; stays exact until there are enough
        vectors, ids = self._flat_contents()  # a copy, taken while the caller holds its lock
        compressed = target == "ivf-sq8"
        if not self.background:
            self.index = build_ivf(vectors, ids, compressed=compressed)
            self.wants_checkpoint = True
            return
        conversion = _Conversion(threading.Thread(target=lambda: None))

        def work() -> None:
            try:
                conversion.result = build_ivf(vectors, ids, compressed=compressed)
            except BaseException as exc:  # reported at the swap; the flat index keeps working
                conversion.error = exc

        conversion.thread = threading.Thread(target=work, name="vector-index-convert", daemon=True)
        self._conversion = conversion
        conversion.thread.start()

    def _flat_contents(self) -> tuple[np.ndarray, np.ndarray]:
        flat = faiss.downcast_index(self.index.index)
        n = self.ntotal
        vectors = faiss.rev_swig_ptr(flat.get_xb(), n * self.dim).reshape(n, self.dim).copy()
        ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        return vectors, ids

    def _start_owning(self, path: Path) -> None:
        owning = _Owning(threading.Thread(target=lambda: None))
        ivf = self.index

        def work() -> None:
            try:
                _read_ahead(path)
                owning.lists, owning.quantizer = _owned_parts(ivf)
            except BaseException as exc:  # reported at the swap; the mapped lists keep answering
                owning.error = exc

        owning.thread = threading.Thread(target=work, name="vector-index-own", daemon=True)
        self._owning = owning  # started by own_in_background, or by the first change

    def own_in_background(self) -> None:
        """Starts copying a mapped checkpoint into owned memory. The owner calls it once its
        first read is done: the copy's sequential read of the file, started at load, slowed
        that read's own SQLite and tantivy reads from 0.9 to 2.1 s when nothing was cached."""
        owning = self._owning
        if owning is not None and not owning.started:
            owning.started = True
            owning.thread.start()

    def _own(self, wait: bool = True) -> None:
        """Swaps the owned copy of a mapped checkpoint in (waiting for it unless ``wait`` is
        False). The caller holds its lock, so no search reads the mapped lists meanwhile."""
        owning = self._owning
        if owning is None or (not wait and (not owning.started or owning.thread.is_alive())):
            return
        self.own_in_background()
        owning.thread.join()
        self._owning = None
        if owning.error is not None or owning.lists is None or owning.quantizer is None:
            owning.lists, owning.quantizer = _owned_parts(self.index)  # once more, here: it must be owned
        ivf = self.index
        ivf.replace_invlists(owning.lists, True)      # frees the mapped lists
        owning.lists.this.disown()
        old = ivf.quantizer
        ivf.quantizer = owning.quantizer             # own_fields is set by read_index: freed with the index
        owning.quantizer.this.disown()
        old.this.acquire()                            # the mapped quantizer: freed with its proxy
        del old

    def _poll(self) -> None:
        """Swaps in a finished conversion, replaying the changes made while it trained, and
        a finished copy of a mapped checkpoint."""
        self._own(wait=False)
        conversion = self._conversion
        if conversion is None or conversion.thread.is_alive():
            return
        self._conversion = None
        if conversion.error is not None or conversion.result is None:
            return  # stays flat and correct; the next add past the threshold tries again
        new = conversion.result
        for op, ids, vectors in conversion.pending:
            if op == "add":
                new.add_with_ids(vectors, ids)
            else:
                new.remove_ids(ids)
        self.index = new
        self.wants_checkpoint = True

    def settle(self, timeout: float | None = None) -> None:
        """Waits for a conversion or a copy in flight and swaps it in (the caller holds its lock)."""
        self._own()
        if self._conversion is not None:
            self._conversion.thread.join(timeout)
            self._poll()

    # ------------------------------------------------------------------ search

    def search(self, query: np.ndarray, k: int, within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` by inner product; ``within`` limits the search to those ids."""
        self._poll()
        if self.ntotal == 0 or k <= 0 or (within is not None and not len(within)):
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        k = min(k, self.ntotal)
        ivf = self._ivf()
        with _OneThread():
            if ivf is None:
                params = bitmap = None
                if within is not None:
                    selector, bitmap = id_bitmap(within)
                    params = faiss.SearchParameters(sel=selector)
                scores, ids = self.index.search(query, k, params=params)
                del bitmap  # only now: the search read it
            elif within is None:
                scores, ids = ivf.search(query, k, params=faiss.SearchParametersIVF(nprobe=self.nprobe))
            elif len(within) <= EXACT_SUBSET_MAX:
                return self._exact_within(ivf, query[0], k, np.unique(np.asarray(within, dtype=np.int64)))
            else:
                # A large subset: probe proportionally more lists, so about as many of its
                # members are scanned as an unrestricted search scans vectors.
                nprobe = min(int(ivf.nlist), math.ceil(self.nprobe * self.ntotal / len(within)))
                selector, bitmap = id_bitmap(within)
                scores, ids = ivf.search(query, k, params=faiss.SearchParametersIVF(nprobe=nprobe, sel=selector))
                del bitmap  # only now: the search read it
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def _exact_within(self, ivf: faiss.IndexIVF, query: np.ndarray, k: int, within: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        try:
            matrix = ivf.reconstruct_batch(within)
            present = within
        except RuntimeError:  # some ids are not in the index: the slow path, one by one
            rows, kept = [], []
            for chunk_id in within:
                try:
                    rows.append(ivf.reconstruct(int(chunk_id)))
                    kept.append(chunk_id)
                except RuntimeError:
                    continue
            if not rows:
                return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
            matrix, present = np.vstack(rows), np.asarray(kept, dtype=np.int64)
        scores = matrix @ query
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((present[top], -scores[top]))]
        return scores[top].astype(np.float32), present[top]

    def ids(self) -> np.ndarray:
        ivf = self._ivf()
        if ivf is None:
            return faiss.vector_to_array(self.index.id_map).astype(np.int64)
        lists = ivf.invlists
        parts = []
        for number in range(ivf.nlist):
            size = lists.list_size(number)
            if size:
                parts.append(faiss.rev_swig_ptr(lists.get_ids(number), size).copy())
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------ files

    def to_bytes(self) -> bytes:
        return faiss.serialize_index(self.index).tobytes()

    def save(self, path: Path) -> int:
        """Writes the checkpoint (temp file, fsync, rename); returns its CRC-32 for the
        caller's records. FAISS writes the file itself, so no copy of the index is made."""
        self._poll()
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            faiss.write_index(self.index, str(tmp))
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            crc = file_crc32(tmp)
            os.replace(tmp, path)
        except RuntimeError as exc:
            tmp.unlink(missing_ok=True)
            raise OSError(f"cannot write {path.name}: {exc}") from exc
        fsync_dir(path.parent)
        self.wants_checkpoint = False
        return crc

    @classmethod
    def load(cls, path: Path, expected_crc: int | None = None, stamp: list[int] | None = None,
             map_min_bytes: int | None = None) -> VectorIndex:
        """Reads a checkpoint; ``expected_crc`` is checked unless the file still has ``stamp``.
        An IVF of ``map_min_bytes`` (default ``MAP_MIN_BYTES``) or more is mapped, then copied
        in the background (see the module docstring)."""
        if not path.is_file():
            raise FileNotFoundError(path)
        unchanged = isinstance(stamp, list) and file_stamp(path) == stamp  # a garbled pointer: the CRC decides
        if expected_crc is not None and not unchanged and file_crc32(path) != expected_crc:
            raise VectorIndexCorruptError(f"{path.name}: checksum mismatch (damaged or truncated)")
        mapped = path.stat().st_size >= (MAP_MIN_BYTES if map_min_bytes is None else map_min_bytes)
        try:
            index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC if mapped else 0)
            if mapped and not isinstance(index, faiss.IndexIVF):  # flat: small; its codes would be mapped too
                index, mapped = faiss.read_index(str(path)), False
        except RuntimeError as exc:
            raise VectorIndexCorruptError(f"{path.name}: not a readable FAISS index ({exc})") from exc
        # read_index returns the concrete class, and owns it: keep that object (a downcast
        # proxy does not own the index, and would dangle once the owner is collected).
        if isinstance(index, faiss.IndexIVF) and index.direct_map.type != faiss.DirectMap.Hashtable:
            index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reads the lists, changes none
        loaded = cls(index)
        if mapped:
            loaded.mapped_at_load = True
            loaded._start_owning(path)
        return loaded
