"""3. Scale of the search stage: synthetic knowledge bases of 100k and 1M chunk vectors
(see ``synthetic.py`` for how they are drawn), searched through ``index.store.embedded.vectors.VectorIndex``
as the store searches them (one query at a time, on one FAISS thread).

For each size: exact flat search (the ground truth, and its latency), IVF-Flat at the
production parameters with an nprobe sweep, IVF-SQ8 (the compressed option) with the same
sweep, and HNSW for comparison (100k only in full mode: building it at 1M takes longer
than the whole suite may). Recall@10 is against exact search on the same vectors, for
real dev-question vectors (full mode) and synthetic queries drawn like the data. Memory
per chunk is the index's size in its checkpoint file and the growth of this process's RSS.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tests.bench.common import BenchResult, LoadMeter, at_least, at_most, log, percentiles, rss_mib
from tests.bench.context import Context
from tests.bench.synthetic import NOISE, base_vectors, synthetic_vectors

GOAL_RECALL = 0.95
SEARCH_GOAL_MS = 100.0  # the end-to-end goal at 1M; the search stage must be a small part of it
K = 10
K_CANDIDATES = 200      # what HybridSearcher asks the dense index for


def recall(found: list[np.ndarray], truth: np.ndarray, k: int) -> float:
    hits = sum(len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in zip(found, truth, strict=True))
    return hits / (k * len(found))


def time_queries(search, queries: np.ndarray, k: int) -> tuple[list[np.ndarray], list[float]]:
    found, times = [], []
    for q in queries:
        started = time.perf_counter()
        _, ids = search(q, k)
        times.append((time.perf_counter() - started) * 1000.0)
        found.append(np.asarray(ids))
    return found, times


def index_file_bytes(index, path: Path) -> int:
    import faiss

    faiss.write_index(index, str(path))
    size = path.stat().st_size
    path.unlink()
    return size


class Memory:
    def __enter__(self) -> Memory:
        gc.collect()
        self.before = rss_mib() or 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        gc.collect()
        self.after = rss_mib() or 0.0
        self.delta_mib = self.after - self.before


def query_sets(ctx: Context, base: np.ndarray, n_synthetic: int, real: bool) -> dict[str, np.ndarray]:
    sets = {"synthetic": synthetic_vectors(base, n_synthetic, seed=99, uniform_share=0.0)}
    if real and ctx.full_data:
        sets["real questions"] = ctx.embedder.encode_queries(ctx.questions())
    return sets


def exact_truth(xb: np.ndarray, ids: np.ndarray, all_queries: np.ndarray) -> np.ndarray:
    """Ground truth: the exact top-200 ids for every query (batched, all threads)."""
    import faiss

    exact = faiss.IndexFlatIP(xb.shape[1])
    exact.add(xb)
    _, truth_rows = exact.search(all_queries, K_CANDIDATES)
    return ids[truth_rows]


def recalls_against(truth: np.ndarray, queries: dict[str, np.ndarray],
                    labels: list[str]) -> Callable[..., dict[str, float]]:
    """A function giving recall@k against ``truth`` over all queries and per query set."""
    def recalls(found: list[np.ndarray], k: int = K) -> dict[str, float]:
        out = {"all": round(recall(found, truth, k), 4)}
        for name in queries:
            rows = [i for i, label in enumerate(labels) if label == name]
            out[name] = round(recall([found[i] for i in rows], truth[rows], k), 4)
        return out
    return recalls


def flat_figures(xb: np.ndarray, ids: np.ndarray, latency_queries: np.ndarray, tmp: Path) -> dict:
    """Exact flat, as the store holds it below the threshold: latency, file size and RSS per chunk."""
    from index.store.embedded import vectors as vmod
    from index.store.embedded.vectors import VectorIndex

    n = len(ids)
    with Memory() as mem:
        flat = VectorIndex.create(xb.shape[1], policy="flat")
        flat.add(ids, xb)
    _, times = time_queries(flat.search, latency_queries, K)
    _, times200 = time_queries(flat.search, latency_queries[:30], K_CANDIDATES)
    old_threads = vmod.SEARCH_THREADS
    vmod.SEARCH_THREADS = 0  # FAISS's default thread count, for comparison in the same run
    try:
        _, times_mt = time_queries(flat.search, latency_queries[:30], K)
    finally:
        vmod.SEARCH_THREADS = old_threads
    return {"latency_ms_k10": percentiles(times, (50, 95)),
            "latency_ms_k200": percentiles(times200, (50, 95)),
            "latency_ms_k10_default_threads": percentiles(times_mt, (50, 95)),
            "file_bytes_per_chunk": round(index_file_bytes(flat.index, tmp) / n, 1),
            "rss_bytes_per_chunk": round(mem.delta_mib * 2**20 / n, 1)}


def ivf_nlists(n: int) -> list[int]:
    """The production nlist for ``n``, and at 1M also the one a conversion at the threshold gives."""
    from index.store.embedded import vectors as vmod
    from index.store.embedded.vectors import nlist_for

    nlists = [nlist_for(n)]
    if n > 4 * vmod.FLAT_MAX and nlist_for(vmod.FLAT_MAX + 1) not in nlists:
        nlists.append(nlist_for(vmod.FLAT_MAX + 1))
    return nlists


def ivf_entry(xb: np.ndarray, ids: np.ndarray, nlist: int, compressed: bool, all_queries: np.ndarray,
              latency_queries: np.ndarray, recalls: Callable[..., dict[str, float]], tmp: Path,
              with_subsets: bool) -> dict:
    """One IVF index (flat or SQ8 lists): build cost, size, and recall/latency over the nprobe sweep."""
    from index.store.embedded import vectors as vmod
    from index.store.embedded.vectors import VectorIndex, build_ivf

    n = len(ids)
    with Memory() as mem, LoadMeter() as build:
        index = VectorIndex(build_ivf(xb, ids, nlist=nlist, compressed=compressed))
    entry: dict = {"nlist": nlist, "build_s": build.to_dict()["wall_s"],
                   "file_bytes_per_chunk": round(index_file_bytes(index.index, tmp) / n, 1),
                   "rss_bytes_per_chunk": round(mem.delta_mib * 2**20 / n, 1), "nprobe": {}}
    sweep = [4, 8, 16, 32, 64, 128]
    for nprobe in sweep:
        index.nprobe = nprobe
        found, _ = time_queries(index.search, all_queries, K)
        _, times = time_queries(index.search, latency_queries, K)
        entry["nprobe"][nprobe] = {"recall_at_10": recalls(found), "latency_ms": percentiles(times, (50, 95))}
    index.nprobe = vmod.NPROBE
    found200, times200 = time_queries(index.search, all_queries, K_CANDIDATES)
    entry["default_nprobe"] = vmod.NPROBE
    entry["recall_at_200_default"] = recalls(found200, K_CANDIDATES)
    entry["latency_ms_k200_default"] = percentiles(times200, (50, 95))
    chosen = next((p for p in sweep if min(entry["nprobe"][p]["recall_at_10"].values()) >= GOAL_RECALL), None)
    entry["smallest_nprobe_for_goal"] = chosen
    if with_subsets:
        entry["subsets"] = subset_searches(index, xb, ids, all_queries[:40])
    return entry


def measure_size(ctx: Context, n: int, base: np.ndarray, queries: dict[str, np.ndarray],
                 result: BenchResult) -> dict:
    """Flat, IVF (flat and SQ8 lists) and, when small enough, HNSW on ``n`` synthetic vectors."""
    tmp = ctx.scratch(f"scale-{n}") / "index.faiss"
    log(f"scale: drawing {n:,} vectors")
    xb = synthetic_vectors(base, n, seed=n)
    ids = np.arange(1, n + 1, dtype=np.int64)
    all_queries = np.vstack(list(queries.values()))
    labels = [name for name, q in queries.items() for _ in range(len(q))]
    recalls = recalls_against(exact_truth(xb, ids, all_queries), queries, labels)

    figures: dict = {"n": n, "queries": {k: len(v) for k, v in queries.items()}}
    latency_queries = all_queries[: 60 if n >= 500_000 else 150]
    figures["flat"] = flat_figures(xb, ids, latency_queries, tmp)
    gc.collect()

    # IVF at the production parameters (and, at 1M, with the lists a conversion at the
    # threshold gives), then the compressed variant.
    nlists = ivf_nlists(n)
    for compressed in (False, True):
        for nlist in nlists if not compressed else nlists[:1]:
            name = f"ivf{'-sq8' if compressed else ''}-{nlist}"
            log(f"scale: {n:,} {name}: training and adding")
            figures[name] = ivf_entry(xb, ids, nlist, compressed, all_queries, latency_queries, recalls, tmp,
                                      with_subsets=not compressed and nlist == nlists[0])
            gc.collect()

    if n <= ctx.options.get("hnsw_max", 100_000 if not ctx.quick else 50_000):
        figures["hnsw-32"] = hnsw(xb, ids, all_queries, latency_queries, recalls, tmp)
    del xb
    gc.collect()
    return figures


def subset_searches(index, xb: np.ndarray, ids: np.ndarray, queries: np.ndarray) -> dict:
    """``within`` searches (the per-outlet slots): a 1 % subset (scored exactly) and a
    10 % subset (through the IVF when it is over the exact-subset limit)."""
    rng = np.random.default_rng(5)
    out = {}
    for share in (0.01, 0.10):
        chosen = np.sort(rng.choice(len(ids), max(20, int(share * len(ids))), replace=False))
        within = ids[chosen]
        sub = xb[chosen]
        found, times = time_queries(lambda q, k, w=within: index.search(q, k, within=w), queries, K)
        truth = [within[np.argsort(-(sub @ q))[:K]] for q in queries]
        hits = sum(len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True))
        out[f"{share:.0%}"] = {"size": len(within), "recall_at_10": round(hits / (K * len(queries)), 4),
                               "latency_ms": percentiles(times, (50, 95))}
    return out


def hnsw(xb, ids, all_queries, latency_queries, recalls, tmp) -> dict:
    import faiss

    log(f"scale: {len(xb):,} HNSW M=32: building")
    with Memory() as mem, LoadMeter() as build:
        index = faiss.IndexHNSWFlat(xb.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
        index.add(xb)
    entry: dict = {"M": 32, "efConstruction": 40, "build_s": build.to_dict()["wall_s"],
                   "file_bytes_per_chunk": round(index_file_bytes(index, tmp) / len(xb), 1),
                   "rss_bytes_per_chunk": round(mem.delta_mib * 2**20 / len(xb), 1), "efSearch": {},
                   "note": "no remove_ids: removals would need a tombstone IDSelector and periodic rebuilds"}
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        for ef in (16, 32, 64, 128):
            params = faiss.SearchParametersHNSW(efSearch=ef)

            def search(q, k, params=params):
                _, rows = index.search(q.reshape(1, -1), k, params=params)
                return None, ids[rows[0][rows[0] >= 0]]

            found, _ = time_queries(search, all_queries, K)
            _, times = time_queries(search, latency_queries, K)
            entry["efSearch"][ef] = {"recall_at_10": recalls(found), "latency_ms": percentiles(times, (50, 95))}
    finally:
        faiss.omp_set_num_threads(previous)
    return entry


def run(ctx: Context) -> BenchResult:
    from index.store.embedded import vectors as vmod

    result = BenchResult("scale", "3. Scale: vector search at 100k and 1M chunks (synthetic vectors)")
    sizes = ctx.options.get("scale_sizes") or ([20_000] if ctx.quick else [100_000, 1_000_000])
    base, described = base_vectors(None if ctx.quick else ctx.kb609)
    queries = query_sets(ctx, base, 40 if ctx.quick else 100, real=described.startswith("the "))
    result.notes.append(
        f"Vectors: drawn around {described}: 80 % base + Gaussian noise of norm {NOISE}, 10 % blends of "
        "two base vectors + noise, 10 % uniform random unit vectors. Queries: "
        + ", ".join(f"{len(v)} {k}" for k, v in queries.items()) + f". Search on {vmod.SEARCH_THREADS} FAISS thread.")
    with LoadMeter() as load:
        for n in sizes:
            result.figures[str(n)] = measure_size(ctx, n, base, queries, result)
    result.load = load.to_dict()
    result.figures["policy"] = {"flat_max": vmod.FLAT_MAX, "nprobe": vmod.NPROBE,
                                "exact_subset_max": vmod.EXACT_SUBSET_MAX}
    for n in sizes:
        f = result.figures[str(n)]
        kind = "flat" if n <= vmod.FLAT_MAX else "ivf"
        ivf_name = next(k for k in f if k.startswith("ivf-") and not k.startswith("ivf-sq8"))
        sq8_name = next(k for k in f if k.startswith("ivf-sq8"))
        ivf, sq8 = f[ivf_name], f[sq8_name]
        at = vmod.NPROBE
        r_ivf = ivf["nprobe"][at]["recall_at_10"]
        r_sq8 = sq8["nprobe"][at]["recall_at_10"]
        label = f"{n:,}"
        result.row(f"{label}: index type (policy auto)",
                   f"{kind}" + ("" if kind == "flat" else f" (nlist {ivf['nlist']}, nprobe {at})"))
        result.row(f"{label}: flat search p50 / p95 (k=10)",
                   f"{f['flat']['latency_ms_k10']['p50']} / {f['flat']['latency_ms_k10']['p95']}", "ms")
        result.row(f"{label}: IVF recall@10 (min over query sets)", min(r_ivf.values()), "",
                   f"≥ {GOAL_RECALL}", at_least(min(r_ivf.values()), GOAL_RECALL))
        lat = ivf["nprobe"][at]["latency_ms"]
        result.row(f"{label}: IVF search p50 / p95 (k=10)", f"{lat['p50']} / {lat['p95']}", "ms")
        lat200 = ivf["latency_ms_k200_default"]
        result.row(f"{label}: IVF search p50 / p95 (k=200, as the searcher asks)",
                   f"{lat200['p50']} / {lat200['p95']}", "ms", f"≪ {SEARCH_GOAL_MS:g} (e2e)",
                   at_most(lat200["p95"], SEARCH_GOAL_MS / 4))
        result.row(f"{label}: memory per chunk flat / IVF / IVF-SQ8 (file)",
                   f"{f['flat']['file_bytes_per_chunk']:.0f} / {ivf['file_bytes_per_chunk']:.0f} / "
                   f"{sq8['file_bytes_per_chunk']:.0f}", "bytes")
        result.row(f"{label}: IVF-SQ8 recall@10 (cost vs IVF-Flat)",
                   f"{min(r_sq8.values()):.4f} ({min(r_sq8.values()) - min(r_ivf.values()):+.4f})")
        if "hnsw-32" in f:
            h = f["hnsw-32"]["efSearch"][64]
            result.row(f"{label}: HNSW M=32 ef=64 recall@10 / p50 / build",
                       f"{min(h['recall_at_10'].values()):.4f} / {h['latency_ms']['p50']} ms / "
                       f"{f['hnsw-32']['build_s']} s")
    return result
