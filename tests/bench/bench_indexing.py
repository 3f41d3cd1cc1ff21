"""1. Indexing throughput: chunks per second of a knowledge-base add against the bare model
encoding the same windows once, in the same run.

- The windows are planned exactly as the store plans them (``EmbeddedKnowledgeBase._prepare``:
  sentence-aware windows of ≤ 256 word pieces with the title as context).
- The bare model: one forward pass per window, the same precision (autocast) and batch
  size, windows sorted by length within each group of 24 articles (as the store sorts
  them within each transaction), no sentence pooling, no tokenizing, no I/O. It is the
  ceiling the add is held to.
- The add: ``EmbeddedKnowledgeBase.add_articles`` into an empty data dir, once with the production
  enrichers (company extraction with spaCy, as ``NewsService`` opens the store) and once
  with ``enrichers=()``; both include tokenizing, planning, embedding with sentence
  pooling and the SQLite writes (FTS5 included).
- The three run interleaved, group by group (24 articles, the store's transaction size),
  in a rotating order: on a shared machine whose load changes over minutes, running them
  one after the other gave ratios off by 3×.
"""

from __future__ import annotations

import time

import numpy as np

from tests.bench.common import BenchResult, LoadMeter, Probe, at_least, log
from tests.bench.context import Context

GOAL_RATIO = 0.9


def bare_encode(embedder, windows) -> float:
    """Seconds for the model alone over ``windows``, sorted by length (module docstring)."""
    import torch

    started = time.perf_counter()
    with torch.inference_mode(), embedder._autocast():
        for _, features in embedder.window_batches(windows):
            output = embedder.model(features)
            torch.nn.functional.normalize(output["sentence_embedding"].float(), dim=-1).numpy()
    return time.perf_counter() - started


def plan_groups(ctx: Context, groups: list) -> tuple[list[list], float]:
    """Each group's windows as the store plans them, and the seconds planning took."""
    from index.store.embedded import EmbeddedKnowledgeBase

    planner = EmbeddedKnowledgeBase.open(ctx.scratch("index-plan"), ctx.embedder, enrichers=())
    started = time.perf_counter()
    windows_by_group = [[w for ws, _ in planner._prepare(group) for w in ws] for group in groups]
    plan_seconds = time.perf_counter() - started
    planner.close()
    return windows_by_group, plan_seconds


def stage_probes(kbs: dict, embedder) -> tuple[dict[str, Probe], Probe]:
    """Probes on each knowledge base's stages (plan, write, enrichers) and on the encoder."""
    probes = {}
    for name, kb in kbs.items():
        probe = Probe()
        probe.wrap(kb, "_prepare", "tokenize_and_plan")
        probe.wrap(kb, "_write_batch", "sqlite_write")
        for enricher in kb.enrichers:
            probe.wrap(enricher, "prepare", f"enricher_{type(enricher).__name__}")
        probes[name] = probe
    encode_probe = Probe()
    encode_probe.wrap(embedder, "encode_windows", "encode")
    return probes, encode_probe


def interleaved_adds(embedder, kbs: dict, groups: list, windows_by_group: list[list],
                     probes: dict[str, Probe], encode_probe: Probe) -> tuple[dict, dict, dict, LoadMeter]:
    """Bare, plain and full over every group in a rotating order: seconds, chunks, stages, load."""
    seconds = {"bare": 0.0, "plain": 0.0, "full": 0.0}
    chunks = {"plain": 0, "full": 0}
    stages: dict[str, dict[str, float]] = {"plain": {}, "full": {}}
    order = ["bare", "plain", "full"]
    with LoadMeter() as load:
        # Interleaved group by group, in a rotating order, so a shared machine's changing
        # load falls on the three alike (run one after the other, they can differ 3×).
        for number, (group, group_windows) in enumerate(zip(groups, windows_by_group, strict=True)):
            for method in order[number % 3:] + order[:number % 3]:
                if method == "bare":
                    seconds["bare"] += bare_encode(embedder, group_windows)
                    continue
                encode_probe.take()
                report = kbs[method].add_articles(group)
                seconds[method] += report.seconds
                chunks[method] += report.chunks_added
                for k, v in {**probes[method].take(), **encode_probe.take()}.items():
                    stages[method][k] = stages[method].get(k, 0.0) + v / 1000.0
            if number % 5 == 4:
                log(f"indexing: {number + 1}/{len(groups)} groups")
    return seconds, chunks, stages, load


def run(ctx: Context) -> BenchResult:
    from index.companies import CompanyIndex
    from index.store import INGEST_BATCH
    from index.store.embedded import EmbeddedKnowledgeBase

    result = BenchResult("indexing", "1. Indexing throughput (add vs bare model, interleaved in one run)")
    limit = ctx.options.get("index_articles")
    articles = ctx.articles(limit)
    embedder = ctx.embedder
    groups = [articles[i:i + INGEST_BATCH] for i in range(0, len(articles), INGEST_BATCH)]
    windows_by_group, plan_seconds = plan_groups(ctx, groups)
    windows = [w for ws in windows_by_group for w in ws]
    log(f"indexing: {len(articles)} articles, {len(windows)} windows, {len(groups)} groups of {INGEST_BATCH}")

    company = CompanyIndex()
    kbs = {"plain": EmbeddedKnowledgeBase.open(ctx.scratch("index-plain"), embedder, enrichers=()),
           "full": EmbeddedKnowledgeBase.open(ctx.scratch("index-full"), embedder, enrichers=(company,))}
    # Warm-ups, untimed: the kernels for a slice of the shapes, spaCy's model.
    bare_encode(embedder, windows[: min(len(windows), 4 * embedder.batch_size)])
    company.prepare(groups[0][:2], [[(0, min(200, len(a.body)))] for a in groups[0][:2]])

    probes, encode_probe = stage_probes(kbs, embedder)
    try:
        seconds, chunks, stages, load = interleaved_adds(embedder, kbs, groups, windows_by_group, probes,
                                                         encode_probe)
        for kb in kbs.values():
            kb.checkpoint()  # untimed: so later benchmarks can start from this knowledge base
    finally:
        for probe in (*probes.values(), encode_probe):
            probe.restore()
        for kb in kbs.values():
            kb.close()
    if not ctx.quick and limit is None:
        ctx.built_kb = ctx.workdir / "index-full"  # the rest of the run answers from this one

    result.figures = indexing_figures(embedder, articles, windows, len(groups), plan_seconds, seconds, chunks,
                                      stages, load)
    result.load = load.to_dict()
    add_rows(result, len(articles), len(windows), seconds, chunks, stages, embedder.batch_size, INGEST_BATCH)
    return result


def indexing_figures(embedder, articles: list, windows: list, n_groups: int, plan_seconds: float,
                     seconds: dict, chunks: dict, stages: dict, load: LoadMeter) -> dict:
    """The figures of the run: sizes, rates, the add/bare ratios and the stages."""
    tokens = [len(w.ids) + len(w.prefix_ids) for w in windows]
    bare_rate = len(windows) / seconds["bare"]
    rates = {m: chunks[m] / seconds[m] for m in ("plain", "full")}
    return {
        "articles": len(articles), "windows": len(windows), "groups": n_groups,
        "window_tokens": {"mean": round(float(np.mean(tokens)), 1), "max": int(max(tokens))},
        "precision": "bfloat16 autocast" if embedder.use_bfloat16 else "float32",
        "batch_size": embedder.batch_size, "plan_seconds": round(plan_seconds, 2),
        "bare": {"seconds": round(seconds["bare"], 2), "chunks_per_s": round(bare_rate, 2)},
        "add_without_enrichers": {"chunks": chunks["plain"], "seconds": round(seconds["plain"], 2),
                                  "chunks_per_s": round(rates["plain"], 2),
                                  "stages_s": {k: round(v, 2) for k, v in stages["plain"].items()}},
        "add_full": {"chunks": chunks["full"], "seconds": round(seconds["full"], 2),
                     "chunks_per_s": round(rates["full"], 2),
                     "stages_s": {k: round(v, 2) for k, v in stages["full"].items()}},
        "ratio_without_enrichers": round(rates["plain"] / bare_rate, 3),
        "ratio_full": round(rates["full"] / bare_rate, 3),
        "load": load.to_dict(),
    }


def add_rows(result: BenchResult, n_articles: int, n_windows: int, seconds: dict, chunks: dict, stages: dict,
             batch_size: int, ingest_batch: int) -> None:
    """The report's rows and notes, from the unrounded rates (the figures hold rounded ones)."""
    bare_rate = n_windows / seconds["bare"]
    rates = {m: chunks[m] / seconds[m] for m in ("plain", "full")}
    ratio_plain, ratio_full = rates["plain"] / bare_rate, rates["full"] / bare_rate
    result.row("articles / windows (chunks)", f"{n_articles} / {n_windows}")
    result.row("bare model", bare_rate, "chunks/s")
    result.row("add, enrichers off", rates["plain"], "chunks/s")
    result.row("add, full (company extraction on)", rates["full"], "chunks/s")
    result.row("ratio add/bare, enrichers off", ratio_plain, "", f"≥ {GOAL_RATIO}", at_least(ratio_plain, GOAL_RATIO))
    result.row("ratio add/bare, full", ratio_full, "", f"≥ {GOAL_RATIO}", at_least(ratio_full, GOAL_RATIO))
    enrich = sum(v for k, v in stages["full"].items() if k.startswith("enricher_"))
    result.row("company extraction (enricher prepare), total", enrich, "s")
    result.notes.append(
        f"Stages of the full add (s): {result.figures['add_full']['stages_s']}; without enrichers: "
        f"{result.figures['add_without_enrichers']['stages_s']}. Bare, plain and full run group by group "
        f"({ingest_batch} articles, the store's transaction size) in a rotating order; the bare model sorts "
        "each group's windows by length, as the store does.")
    result.notes.append(f"Precision {result.figures['precision']}, batch size {batch_size}.")
