"""8. The two search engines alone at 10M chunks: a grown 10M-chunk store does not fit this
machine's disk (≈ 9 KB a chunk), so the BM25 engine and the vector index are measured
alone at that size and the store is projected from them (issue 11, build item 4).

- **Lexical**: a tantivy index made by the store's own code (``LexicalIndex``, its schema,
  analyser and document builder) from the 609-article knowledge base's chunks repeated
  under new ids, committed every ``LEXICAL_COMMIT`` documents as a growing store would be.
  At each size in ``engine_lexical_sizes`` (default 1M, 3M, 10M, one index grown through
  them): BM25 alone for the dev questions, the query built as the store builds it
  (``content_terms``, every term ORed, top 200 as the searcher asks, and top 10), one
  warm-up pass then a timed one; index bytes per chunk on disk and this process's RSS.
- **Vectors**: IVF-SQ8 (the store's compressed option) and IVF-PQ over ``engine_vectors``
  (default 10M) vectors drawn around the real chunk vectors (``synthetic.py``), with the
  production ``nlist_for(n)`` and ``NPROBE``. The vectors are drawn and added in batches
  (each batch assigned to its list once, for both indexes), so memory holds the compressed
  codes and one batch, never 10M float vectors; the exact top 200 of every query is kept
  by the same pass (a batched brute-force scan), so recall@10 is against exact search over
  all N. Search through ``VectorIndex`` on one FAISS thread, as the store searches; memory
  as the codes' size and this process's RSS growth, the hash-table direct map (which the
  store adds for removals and subset searches) measured on its own.
"""

from __future__ import annotations

import gc
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tests.bench.bench_scale import K_CANDIDATES, K, Memory, query_sets, recall, time_queries
from tests.bench.common import BenchResult, LoadMeter, at_least, at_most, log, percentiles, rss_mib
from tests.bench.context import Context
from tests.bench.synthetic import NOISE, base_vectors, synthetic_vectors

GOAL_MS = 50.0
GOAL_GB = 8.0
GOAL_RECALL = 0.95
LEXICAL_COMMIT = 1_000_000   # documents per tantivy commit while growing
VECTOR_BATCH = 262_144       # vectors drawn, assigned and added at a time (≈ 400 MB of float32)
PQ_M = 96                    # IVF-PQ sub-quantizers of 8 bits: 96 bytes a vector (4 dimensions each)
NPROBE_SWEEP = (16, 32, 64, 128)


# ----------------------------------------------------------------------------- lexical


def base_docs(kb_dir: Path) -> list:
    """The lexical documents of every chunk of a knowledge base, as the store builds them."""
    from index.store.embedded.lexical_sync import chunk_docs

    db = sqlite3.connect(f"file:{kb_dir / 'newsbot.db'}?mode=ro", uri=True)
    try:
        high = int(db.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0])
        return list(chunk_docs(db, 0, high))
    finally:
        db.close()


def grown_docs(base: list, start: int, count: int) -> Iterator:
    """Documents ``start + 1 .. start + count``: the base chunks over and over, under new ids."""
    from index.store.embedded.lexical import ChunkDoc

    for i in range(start, start + count):
        doc = base[i % len(base)]
        yield ChunkDoc(i + 1, doc.text, doc.title, doc.source, doc.published_at)


def grow_lexical(lexical, base: list, have: int, target: int) -> int:
    """Adds documents up to ``target``, one writer and commit (with its marker) per batch."""
    from index.store.embedded.lexical import LexicalState

    while have < target:
        step = min(target, have + LEXICAL_COMMIT) - have
        with lexical.writer(threads=2, heap=512_000_000) as writer:
            writer.add(grown_docs(base, have, step))
            writer.commit(LexicalState("bench-engines", have + step, 0))
        have += step
        log(f"engines: lexical {have:,} documents")
    lexical.refresh()
    return have


def time_bm25(lexical, term_lists: list[list[str]], k: int) -> list[float]:
    times = []
    for terms in term_lists:
        started = time.perf_counter()
        lexical.search(terms, k)
        times.append((time.perf_counter() - started) * 1000.0)
    return times


def lexical_figures(ctx: Context, sizes: list[int], scratch: Path, partial: Path) -> dict:
    from index.query import content_terms
    from index.store.embedded.lexical import LexicalIndex

    kb = ctx.kb609 if not ctx.quick and (ctx.kb609 / "newsbot.db").is_file() else ctx.base_kb()
    base = base_docs(kb)
    term_lists = [content_terms(q) for q in ctx.questions()]
    rss_start = rss_mib() or 0.0
    lexical = LexicalIndex.recreate(scratch / "lexical")
    out: dict = {"base_chunks": len(base), "questions": len(term_lists), "from": str(kb)}
    have = 0
    for size in sizes:
        with LoadMeter() as build:
            have = grow_lexical(lexical, base, have, size)
        time_bm25(lexical, term_lists, K_CANDIDATES)  # warm-up: page the index in
        with LoadMeter() as load:
            t200 = time_bm25(lexical, term_lists, K_CANDIDATES)
            t10 = time_bm25(lexical, term_lists, K)
        disk = lexical.size_bytes()
        entry = {"docs": lexical.doc_count, "grow_s": build.to_dict()["wall_s"], "grow_load": build.to_dict(),
                 "ms_k200": percentiles(t200, (50, 95)), "ms_k10": percentiles(t10, (50, 95)),
                 "query_load": load.to_dict(), "disk_bytes": disk, "disk_bytes_per_chunk": round(disk / have, 1),
                 "segments": len(json.loads((lexical.path / "meta.json").read_text())["segments"]),
                 "rss_mib": rss_mib(), "rss_growth_mib": round((rss_mib() or 0.0) - rss_start, 1)}
        out[str(size)] = entry
        log(f"engines: lexical {size:,}: {json.dumps(entry)}")
        partial.write_text(json.dumps({"lexical": out}, indent=1))
    del lexical
    shutil.rmtree(scratch / "lexical", ignore_errors=True)  # ≈ 5 GB at 10M: the figures stay
    return out


# ----------------------------------------------------------------------------- vectors


class ExactTop:
    """The exact top ``k`` ids of each query over everything seen, batch by batch."""

    def __init__(self, queries: np.ndarray, k: int) -> None:
        self.queries = queries
        self.k = k
        self.scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
        self.ids = np.zeros((len(queries), 0), dtype=np.int64)

    def update(self, x: np.ndarray, ids: np.ndarray) -> None:
        scores = self.queries @ x.T
        k = min(self.k, scores.shape[1])
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]  # the batch's best first, then the merge
        scores = np.concatenate([self.scores, np.take_along_axis(scores, top, axis=1)], axis=1)
        all_ids = np.concatenate([self.ids, ids[top]], axis=1)
        k = min(self.k, scores.shape[1])
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        self.scores = np.take_along_axis(scores, best, axis=1)
        self.ids = np.take_along_axis(all_ids, best, axis=1)

    def ranked(self) -> np.ndarray:
        order = np.argsort(-self.scores, axis=1, kind="stable")
        return np.take_along_axis(self.ids, order, axis=1)


def new_pq(trained_sq8, m: int):
    """An IVF-PQ with the same lists as ``trained_sq8`` (its centroids copied), so one
    assignment per vector serves both indexes; only the PQ codebooks are trained."""
    import faiss

    d, nlist = trained_sq8.d, trained_sq8.nlist
    quantizer = faiss.IndexFlatIP(d)
    quantizer.add(trained_sq8.quantizer.reconstruct_n(0, nlist))
    index = faiss.IndexIVFPQ(quantizer, d, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
    index.own_fields = True
    quantizer.this.disown()
    return index


def batch(base: np.ndarray, number: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Batch ``number`` of the stream: the same vectors every time it is drawn."""
    start = number * VECTOR_BATCH
    m = min(VECTOR_BATCH, n - start)
    return synthetic_vectors(base, m, seed=1_000 + number), np.arange(start + 1, start + m + 1, dtype=np.int64)


def add_preassigned(index, x: np.ndarray, ids: np.ndarray, lists: np.ndarray) -> None:
    import faiss

    index.add_core(len(x), faiss.swig_ptr(x), faiss.swig_ptr(ids), faiss.swig_ptr(lists))


def train_indexes(base: np.ndarray, nlist: int, first: np.ndarray) -> tuple[object, object, dict]:
    """IVF-SQ8 as the store makes it and an IVF-PQ on the same lists, trained on the
    first batch's leading rows (a random sample: every row is an independent draw)."""
    from index.store.embedded.vectors import TRAIN_PER_LIST, new_ivf

    sample = first[: TRAIN_PER_LIST * nlist]
    with LoadMeter() as train_sq8:
        sq8 = new_ivf(base.shape[1], nlist, compressed=True)
        sq8.train(sample)
    with LoadMeter() as train_pq:
        pq = new_pq(sq8, PQ_M)
        pq.train(sample)
    return sq8, pq, {"train_sq8_s": train_sq8.to_dict()["wall_s"], "train_pq_s": train_pq.to_dict()["wall_s"],
                     "train_load": train_pq.to_dict()}


def top10_in(found: list[np.ndarray], truth: np.ndarray) -> float:
    """Share of the exact top 10 found anywhere in ``found`` (an index's top 200)."""
    hits = sum(len(set(f.tolist()) & set(t[:K].tolist())) for f, t in zip(found, truth, strict=True))
    return hits / (K * len(found))


def vector_entry(index, queries: np.ndarray, truth: np.ndarray, labels: list[str]) -> dict:
    """Recall and latency over the nprobe sweep through ``VectorIndex``, one FAISS thread."""
    from index.store.embedded.vectors import VectorIndex

    vi = VectorIndex(index)
    n, code = int(index.ntotal), int(index.code_size)
    entry: dict = {"code_bytes": code, "payload_bytes_per_chunk": code + 8,  # + its id in the list
                   "payload_gb": round(((code + 8) * n + index.nlist * index.d * 4) / 1e9, 3), "nprobe": {}}
    for nprobe in NPROBE_SWEEP:
        vi.nprobe = nprobe
        time_queries(vi.search, queries[:20], K)  # warm-up
        found, times = time_queries(vi.search, queries, K)
        found200, times200 = time_queries(vi.search, queries, K_CANDIDATES)
        per_set = {}
        for name in sorted(set(labels)):
            rows = [i for i, label in enumerate(labels) if label == name]
            per_set[name] = {
                "recall_at_10": round(recall([found[i] for i in rows], truth[rows], K), 4),
                # what a re-rank of the searcher's 200 candidates by their exact vectors
                # (SQLite holds them) would recover
                "top10_in_top200": round(top10_in([found200[i] for i in rows], truth[rows]), 4)}
        entry["nprobe"][nprobe] = {"by_queries": per_set, "ms_k10": percentiles(times, (50, 95)),
                                   "ms_k200": percentiles(times200, (50, 95))}
    return entry


def direct_map_bytes(index) -> float:
    """RSS growth per vector of the hash-table direct map the store gives its IVF (kept:
    later adds update it, as in the store)."""
    import faiss

    with Memory() as mem:
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
    return round(mem.delta_mib * 2**20 / max(int(index.ntotal), 1), 1)


def vector_figures(ctx: Context, sizes: list[int], partial: Path) -> dict:
    """One IVF-SQ8 and one IVF-PQ grown through ``sizes`` (lists for the largest), each
    size measured on the way, with the exact top 200 over everything added so far."""
    from index.store.embedded import vectors as vmod
    from index.store.embedded.vectors import nlist_for

    base, described = base_vectors(None if ctx.quick else ctx.kb609)
    queries = query_sets(ctx, base, 40 if ctx.quick else 100, real=described.startswith("the "))
    all_queries = np.ascontiguousarray(np.vstack(list(queries.values())), dtype=np.float32)
    labels = [name for name, q in queries.items() for _ in range(len(q))]
    n = max(sizes)
    nlist = nlist_for(n)
    log(f"engines: vectors: {n:,} in batches of {VECTOR_BATCH:,}, nlist {nlist}; training")
    first, first_ids = batch(base, 0, n)
    sq8, pq, build = train_indexes(base, nlist, first)
    out: dict = {"base": described, "queries": {k: len(v) for k, v in queries.items()}, "nlist": nlist,
                 "store_nprobe": vmod.NPROBE, "pq_m": PQ_M, "build": build}
    truth = ExactTop(all_queries, K_CANDIDATES)
    rss_before, added, number, fill_s = rss_mib() or 0.0, 0, 0, 0.0
    pending: tuple[np.ndarray, np.ndarray] | None = (first, first_ids)
    del first, first_ids
    for size in sorted(sizes):
        with LoadMeter() as fill:
            while added < size:
                if pending is None:
                    number += 1
                    pending = batch(base, number, n)
                x, ids = pending
                take = min(len(x), size - added)  # a batch may straddle two measured sizes
                pending = (x[take:], ids[take:]) if take < len(x) else None
                x, ids = x[:take], ids[:take]
                _, lists = sq8.quantizer.search(x, 1)
                lists = np.ascontiguousarray(lists.ravel(), dtype=np.int64)
                add_preassigned(sq8, x, ids, lists)
                add_preassigned(pq, x, ids, lists)
                truth.update(x, ids)
                added += take
                if pending is None and number % 8 == 7:
                    log(f"engines: vectors {added:,}")
        fill_s += fill.to_dict()["wall_s"]
        gc.collect()
        entry: dict = {"n": added, "fill_s_so_far": round(fill_s, 1), "fill_load": fill.to_dict(),
                       "rss_growth_both_mib": round((rss_mib() or 0.0) - rss_before, 1)}
        if "direct_map_rss_bytes_per_chunk" not in out:
            out["direct_map_rss_bytes_per_chunk"] = direct_map_bytes(sq8)
        ranked = truth.ranked()
        entry["ivf-sq8"] = vector_entry(sq8, all_queries, ranked, labels)
        entry["ivf-pq"] = vector_entry(pq, all_queries, ranked, labels)
        out[str(size)] = entry
        log(f"engines: vectors {size:,} measured")
        partial.write_text(json.dumps({"vectors": out}, indent=1))
    del sq8, pq, pending
    gc.collect()
    return out


# ----------------------------------------------------------------------------- rows


def lexical_rows(result: BenchResult, lex: dict) -> None:
    for size in [k for k in lex if k.isdigit()]:
        e = lex[size]
        label = f"{int(size):,} chunks"
        result.row(f"{label}: BM25 alone (tantivy, top 200) p50 / p95",
                   f"{e['ms_k200']['p50']} / {e['ms_k200']['p95']}", "ms", f"p50 ≤ {GOAL_MS:g}",
                   at_most(e["ms_k200"]["p50"], GOAL_MS))
        result.row(f"{label}: BM25 alone top 10 p50 / p95", f"{e['ms_k10']['p50']} / {e['ms_k10']['p95']}", "ms")
        result.row(f"{label}: lexical index on disk per chunk / RSS after the queries",
                   f"{e['disk_bytes_per_chunk']:.0f} B / {e['rss_mib']:.0f} MiB")


def vector_rows(result: BenchResult, vec: dict) -> None:
    at = vec["store_nprobe"]
    per_chunk_map = vec["direct_map_rss_bytes_per_chunk"]
    for size in [k for k in vec if k.isdigit()]:
        f = vec[size]
        label = f"{f['n']:,} vectors"
        for name in ("ivf-sq8", "ivf-pq"):
            e = f[name]
            point = e["nprobe"][at]
            worst = min(v["recall_at_10"] for v in point["by_queries"].values())
            rerank = min(v["top10_in_top200"] for v in point["by_queries"].values())
            kind = "IVF-SQ8" if name == "ivf-sq8" else f"IVF-PQ{vec['pq_m']}"
            result.row(f"{label}: {kind} (nlist {vec['nlist']}, nprobe {at}) search p50 / p95",
                       f"{point['ms_k10']['p50']} / {point['ms_k10']['p95']} (k=10); {point['ms_k200']['p50']} / "
                       f"{point['ms_k200']['p95']} (k=200)", "ms", f"p50 ≤ {GOAL_MS:g}",
                       at_most(point["ms_k10"]["p50"], GOAL_MS))
            result.row(f"{label}: {kind} recall@10 vs exact (min over query sets); exact top 10 in its top 200",
                       f"{worst:.4f}; {rerank:.4f}", "", f"≥ {GOAL_RECALL}", at_least(worst, GOAL_RECALL))
            gb = e["payload_gb"] + per_chunk_map * f["n"] / 1e9
            result.row(f"{label}: {kind} memory (codes + ids + centroids + hash direct map)",
                       f"{gb:.2f} GB ({e['payload_bytes_per_chunk'] + per_chunk_map:.0f} B/chunk)", "",
                       f"≤ {GOAL_GB:g} GB", at_most(gb, GOAL_GB))
        result.row(f"{label}: RSS growth holding both indexes (measured)", f["rss_growth_both_mib"], "MiB")


def shape_figures(ctx: Context, n: int, scratch: Path) -> dict:
    """IVF-SQ8 of ``n`` vectors in the store's shape (``nlist_for(n)`` lists, hash direct map,
    checkpoint saved and loaded as the store loads it) with its lists assigned at random:
    no k-means and no assignment pass, so it takes minutes at 10M, and what a search scans
    and what the loaded index holds are as at that size. Recall means nothing here (the
    ``vectors`` half measures it); real lists are uneven, so real scans are somewhat longer."""
    import faiss

    from index.store.embedded import vectors as vmod
    from index.store.embedded.vectors import VectorIndex, new_ivf, nlist_for

    base, _ = base_vectors(None if ctx.quick else ctx.kb609)
    nlist = nlist_for(n)
    x = synthetic_vectors(base, min(n, VECTOR_BATCH), seed=5)
    queries = synthetic_vectors(base, 200, seed=6, uniform_share=0.0)
    index = new_ivf(base.shape[1], nlist, compressed=True)
    index.quantizer.add(x[np.random.default_rng(2).choice(len(x), nlist, replace=False)])  # drawn centroids
    index.train(x)  # the quantizer is full, so this trains the 8-bit ranges only
    index.set_direct_map_type(faiss.DirectMap.Hashtable)
    rng = np.random.default_rng(1)
    with Memory() as grown:
        for start in range(0, n, VECTOR_BATCH):
            m = min(VECTOR_BATCH, n - start)
            add_preassigned(index, x[:m], np.arange(start + 1, start + m + 1, dtype=np.int64),
                            rng.integers(0, nlist, m).astype(np.int64))
    path = scratch / "shape.faiss"
    VectorIndex(index).save(path)
    file_bytes = path.stat().st_size
    del index
    gc.collect()
    with Memory() as loaded:
        vi = VectorIndex.load(path)  # lists sized exactly, as a restarted store holds them
    path.unlink()
    time_queries(vi.search, queries[:20], K)
    _, t10 = time_queries(vi.search, queries, K)
    _, t200 = time_queries(vi.search, queries, K_CANDIDATES)
    return {"n": n, "nlist": nlist, "nprobe": vmod.NPROBE, "file_bytes_per_chunk": round(file_bytes / n, 1),
            "rss_bytes_per_chunk_grown": round(grown.delta_mib * 2**20 / n, 1),
            "rss_bytes_per_chunk_loaded": round(loaded.delta_mib * 2**20 / n, 1),
            "ms_k10": percentiles(t10, (50, 95)), "ms_k200": percentiles(t200, (50, 95))}


def shape_rows(result: BenchResult, f: dict) -> None:
    label = f"{f['n']:,} vectors, lists at random"
    result.row(f"{label}: IVF-SQ8 (nlist {f['nlist']}, nprobe {f['nprobe']}) search p50 / p95",
               f"{f['ms_k10']['p50']} / {f['ms_k10']['p95']} (k=10); {f['ms_k200']['p50']} / {f['ms_k200']['p95']} "
               "(k=200)", "ms", f"p50 ≤ {GOAL_MS:g}", at_most(f["ms_k10"]["p50"], GOAL_MS))
    gb = f["rss_bytes_per_chunk_loaded"] * f["n"] / 1e9
    result.row(f"{label}: IVF-SQ8 RSS loaded from its checkpoint / grown by adds / file",
               f"{gb:.2f} GB ({f['rss_bytes_per_chunk_loaded']:.0f} / {f['rss_bytes_per_chunk_grown']:.0f} / "
               f"{f['file_bytes_per_chunk']:.0f} B/chunk)", "", f"≤ {GOAL_GB:g} GB", at_most(gb, GOAL_GB))


def run(ctx: Context) -> BenchResult:
    result = BenchResult("engines", "8. The engines alone at 10M chunks: tantivy BM25 and FAISS IVF-SQ8 / IVF-PQ")
    lexical_sizes = ctx.options.get("engine_lexical_sizes") or ([5_000, 20_000] if ctx.quick
                                                               else [1_000_000, 3_000_000, 10_000_000])
    vector_sizes = ctx.options.get("engine_vector_sizes") or ([5_000, 20_000] if ctx.quick
                                                              else [1_000_000, 3_000_000, 10_000_000])
    parts = ctx.options.get("engine_parts") or ["shape", "vectors", "lexical"]
    partial = ctx.out_dir / "engines-lexical.json"  # figures so far, should a long run be stopped
    with LoadMeter() as load:
        if "shape" in parts:
            result.figures["shape"] = shape_figures(ctx, max(vector_sizes), ctx.scratch("engines-shape"))
            shape_rows(result, result.figures["shape"])
        if "vectors" in parts:
            result.figures["vectors"] = vector_figures(ctx, vector_sizes, partial.with_name("engines-vectors.json"))
            vector_rows(result, result.figures["vectors"])
        if "lexical" in parts:
            result.figures["lexical"] = lexical_figures(ctx, lexical_sizes, ctx.scratch("engines"), partial)
            lexical_rows(result, result.figures["lexical"])
    result.load = load.to_dict()
    result.notes.append(
        f"Lexical: the store's LexicalIndex over the KB's chunks repeated under new ids, a commit every "
        f"{LEXICAL_COMMIT:,}; dev questions' content_terms ORed. Vectors: drawn around the real chunk vectors "
        f"(noise {NOISE}), added in batches of {VECTOR_BATCH:,}; recall against a brute-force scan of all of them.")
    return result
