"""The vector index: exact while small, IVF past the threshold (converted in the background
without losing the adds and removals made meanwhile), subsets, removals and checkpoints."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from index.store.embedded import vectors as vectors_module
from index.store.embedded.vectors import VectorIndex, VectorIndexCorruptError, file_stamp, nlist_for

DIM = 32


def clustered(n: int, seed: int = 0, centres: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((centres, DIM)).astype(np.float32)
    x = base[rng.integers(0, centres, n)] + 0.5 * rng.standard_normal((n, DIM)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def exact_top(matrix: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = matrix @ query
    return [int(ids[i]) for i in np.argsort(-scores, kind="stable")[:k]]


def test_flat_add_search_remove_and_subset() -> None:
    index = VectorIndex.create(DIM, policy="auto")
    data = clustered(500)
    ids = np.arange(10, 510)
    index.add(ids, data)
    assert index.kind == "flat" and index.ntotal == 500
    scores, found = index.search(data[7], 5)
    assert found[0] == 17 and scores[0] == pytest.approx(1.0, abs=1e-5)
    _, within = index.search(data[7], 3, within=np.array([100, 200, 300]))
    assert set(within) == {100, 200, 300}
    assert index.remove(np.array([17, 9999])) == 1
    assert 17 not in set(index.search(data[7], 5)[1])
    assert index.search(data[7], 5, within=np.array([], dtype=np.int64))[1].size == 0


@pytest.mark.parametrize(("policy", "kind"), [("flat", "flat"), ("auto", "ivf")])
def test_a_subset_search_keeps_exactly_the_ids_asked_for(policy: str, kind: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # The selector is a bitmap of the ids: a negative id (never an index's) must not wrap
    # round to select the bitmap's last id, and ids past every stored one select nothing.
    monkeypatch.setattr(vectors_module, "EXACT_SUBSET_MAX", 2)  # IVF: through the selector, not exactly
    data = clustered(3000, seed=3)
    index = VectorIndex.create(DIM, policy=policy, flat_max=1500, background=False)
    index.add(np.arange(1, 3001), data)
    index.settle()
    assert index.kind == kind
    asked = np.array([-2, 3, 30])   # a bitmap of ids up to 30: -2 read from its end is id 29
    _, found = index.search(data[28], 5, within=asked)  # data[28] is id 29's own vector
    assert set(found.tolist()) == {3, 30}
    assert index.search(data[28], 5, within=np.array([-1, 10_000_000]))[1].size == 0


@pytest.mark.parametrize("background", [True, False])
@pytest.mark.parametrize(("policy", "kind"), [("auto", "ivf"), ("auto-sq8", "ivf-sq8")])
def test_crossing_the_threshold_converts_to_ivf_and_keeps_every_change(background: bool, policy: str,
                                                                       kind: str) -> None:
    data = clustered(3000, seed=1)
    ids = np.arange(1, 3001)
    index = VectorIndex.create(DIM, policy=policy, flat_max=1500, background=background)
    index.add(ids[:1400], data[:1400])
    assert index.kind == "flat"
    index.add(ids[1400:1600], data[1400:1600])      # crosses the threshold
    index.add(ids[1600:], data[1600:])              # lands while it may still be training
    index.remove(np.array([5, 1700]))
    index.settle()
    assert index.kind == kind and not index.converting and index.wants_checkpoint
    assert index.ntotal == 2998
    assert set(index.ids()) == set(ids) - {5, 1700}
    # Recall against exact search on the same data stays high (nprobe is a fraction of nlist).
    keep = np.isin(ids, [5, 1700], invert=True)
    hits = 0
    for q in range(0, 3000, 60):
        truth = exact_top(data[keep], ids[keep], data[q], 10)
        hits += len(set(truth) & set(index.search(data[q], 10)[1].tolist()))
    assert hits / (10 * 50) >= 0.9
    # Subsets: a small one is scored exactly, a large one through the IVF with more probes.
    small = np.array([3, 30, 300, 1700, 2999])
    scores, found = index.search(data[29], 10, within=small)
    assert found[0] == 30 and set(found) == {3, 30, 300, 2999}
    assert list(scores) == sorted(scores, reverse=True)
    old_max = vectors_module.EXACT_SUBSET_MAX
    vectors_module.EXACT_SUBSET_MAX = 10
    try:
        big = ids[::2]
        _, found = index.search(data[29], 10, within=big)
        assert len(found) == 10 and set(found) <= set(big)
    finally:
        vectors_module.EXACT_SUBSET_MAX = old_max
    index.remove(np.array([30]))
    assert 30 not in set(index.search(data[29], 10)[1])


def test_checkpoints_round_trip_and_detect_damage(tmp_path: Path) -> None:
    data = clustered(2000, seed=2)
    for policy in ("auto", "auto-sq8"):
        index = VectorIndex.create(DIM, policy=policy, flat_max=1000, background=False)
        index.add(np.arange(2000), data)
        path = tmp_path / f"{policy}.faiss"
        crc = index.save(path)
        assert not index.wants_checkpoint
        loaded = VectorIndex.load(path, expected_crc=crc)
        assert loaded.kind == index.kind and loaded.ntotal == 2000
        assert loaded.describe()["nlist"] == nlist_for(2000)
        assert np.array_equal(loaded.search(data[5], 5)[1], index.search(data[5], 5)[1])
        loaded.remove(np.array([5]))                # needs the direct map back after loading
        assert loaded.ntotal == 1999
        raw = bytearray(path.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        path.write_bytes(bytes(raw))
        with pytest.raises(VectorIndexCorruptError):
            VectorIndex.load(path, expected_crc=crc)
    (tmp_path / "junk.faiss").write_bytes(b"not an index")
    with pytest.raises(VectorIndexCorruptError):
        VectorIndex.load(tmp_path / "junk.faiss")


def test_the_policy_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NEWSBOT_VECTOR_INDEX", "auto-sq8")
    assert VectorIndex.create(DIM).policy == "auto-sq8"
    monkeypatch.setenv("NEWSBOT_VECTOR_INDEX", "bogus")
    assert VectorIndex.create(DIM).policy == "auto"
    assert "NEWSBOT_VECTOR_INDEX" in capsys.readouterr().err


def test_a_checkpoint_that_kept_its_stamp_skips_the_crc_and_any_write_brings_it_back(tmp_path: Path) -> None:
    data = clustered(2000, seed=3)
    index = VectorIndex.create(DIM, policy="auto", flat_max=1000, background=False)
    index.add(np.arange(2000), data)
    path = tmp_path / "vectors.faiss"
    crc = index.save(path)
    stamp = file_stamp(path)
    # The stamp vouches for the file: a wrong CRC is not even computed (the 1M-chunk open
    # skips 0.8 s of CRC this way).
    assert VectorIndex.load(path, expected_crc=crc ^ 1, stamp=stamp).ntotal == 2000
    # One bit flipped through the file system, even with the times set back: the change time
    # moves, so the stamp no longer matches and the CRC finds the damage.
    times = path.stat()
    time.sleep(0.05)  # file times come from a coarse clock (a few ms): let it move past the save's
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    with open(path, "r+b") as handle:
        handle.write(bytes(raw))
    os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert file_stamp(path) != stamp
    with pytest.raises(VectorIndexCorruptError):
        VectorIndex.load(path, expected_crc=crc, stamp=stamp)
    with pytest.raises(VectorIndexCorruptError):  # a garbled stamp leaves it to the CRC too
        VectorIndex.load(path, expected_crc=crc, stamp="garbled")  # type: ignore[arg-type]


def _mapped(path: Path) -> bool:
    return str(path) in Path("/proc/self/maps").read_text()


@pytest.mark.parametrize("policy", ["ivf", "ivf-sq8"])
def test_a_large_checkpoint_is_mapped_at_load_then_owned_and_never_written(tmp_path: Path, policy: str) -> None:
    data = clustered(2000, seed=4)
    index = VectorIndex.create(DIM, policy=policy, background=False)
    index.add(np.arange(1, 2001), data)
    path = tmp_path / "vectors.faiss"
    index.save(path)
    saved = path.read_bytes()
    loaded = VectorIndex.load(path, map_min_bytes=0)  # as a 1M-chunk checkpoint is
    assert _mapped(path) and loaded.kind == index.kind
    assert np.array_equal(loaded.search(data[5], 10)[1], index.search(data[5], 10)[1])
    assert np.array_equal(loaded.search(data[5], 5, within=np.arange(1, 300))[1],
                          index.search(data[5], 5, within=np.arange(1, 300))[1])
    loaded.add(np.array([5000]), data[7:8])   # waits for the owned copy: mapped lists cannot grow
    assert not _mapped(path), "the file is still mapped after the copy was swapped in"
    assert loaded.remove(np.array([6, 5000])) == 2 and loaded.ntotal == 1999
    assert 6 not in set(loaded.search(data[5], 10)[1])
    assert path.read_bytes() == saved
    again = VectorIndex.load(path, map_min_bytes=0)
    again.settle()                            # what a benchmark or a test waits on
    assert not _mapped(path) and again.ntotal == 2000
    os.truncate(path, 0)                      # harmless once owned
    assert np.array_equal(again.search(data[5], 10)[1], index.search(data[5], 10)[1])
