"""2. Question latency, warm, on the 609-article knowledge base: p50/p95/p99 of the total and
of each stage. ``Answer.timings_ms`` gives encode, search, fusion and answer; the benchmark
also times the parts inside them (question analysis, dense, BM25, per-outlet searches,
sentence pool, quote scoring, abstention check, verdict, short answer) by wrapping those
functions, and profiles one more pass with pyinstrument when it is installed."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from tests.bench.common import BenchResult, LoadMeter, Probe, at_most, log, percentiles
from tests.bench.context import Context

GOAL_P50_MS, GOAL_P95_MS = 50.0, 150.0


def stage_probe() -> Probe:
    import bot.engine.answer
    from bot.engine.answer import Answerer
    from index.search import HybridSearcher
    from index.store.embedded import EmbeddedSnapshot

    probe = Probe()
    probe.wrap(HybridSearcher, "analyse", "search.analyse_question")
    probe.wrap(EmbeddedSnapshot, "dense_search", "search.dense")
    probe.wrap(EmbeddedSnapshot, "lexical_search", "search.bm25")
    probe.wrap(HybridSearcher, "_best_in_segment", "search.per_outlet")
    probe.wrap(EmbeddedSnapshot, "chunk_metadata", "fusion.chunk_metadata")
    probe.wrap(Answerer, "candidate_sentences", "answer.sentence_pool", optional=True)
    probe.wrap(Answerer, "score_sentences", "answer.score_quotes", optional=True)
    probe.wrap(bot.engine.answer, "check_abstention", "answer.abstention", optional=True)
    probe.wrap(Answerer, "decide_yes_no", "answer.verdict", optional=True)
    probe.wrap(bot.engine.answer, "short_answer", "answer.short_answer", optional=True)
    probe.wrap(Answerer, "select_quotes", "answer.select_quotes", optional=True)
    return probe


def measure_questions(service, questions: list[str], warmup: int = 3, timeout_s: float | None = None) -> dict:
    """Asks every question once, warm; returns per-stage percentiles (ms), every question's
    total, and the questions that ran past ``timeout_s`` (their SQLite work is interrupted
    and they count as ``timeout_s`` in the percentiles, so one pathological question cannot
    stall a benchmark at scale)."""
    import sqlite3
    import threading

    for question in questions[:warmup]:
        service.ask(question)
    per_stage: dict[str, list[float]] = {}
    totals: list[tuple[str, float]] = []
    timed_out: list[str] = []
    probe = stage_probe()
    try:
        with LoadMeter() as load:
            for question in questions:
                timer = None
                if timeout_s:
                    timer = threading.Timer(timeout_s, service.kb._db.interrupt)
                    timer.daemon = True
                    timer.start()
                started = time.perf_counter()
                try:
                    answer = service.ask(question)
                except sqlite3.OperationalError as exc:
                    if "interrupt" not in str(exc):
                        raise
                    probe.take()
                    timed_out.append(question)
                    per_stage.setdefault("total", []).append(timeout_s * 1000.0)
                    totals.append((question, round(time.perf_counter() - started, 3)))
                    continue
                finally:
                    if timer is not None:
                        timer.cancel()
                fine = probe.take()
                totals.append((question, round(answer.timings_ms.get("total", 0.0) / 1000.0, 3)))
                for stage, ms in {**answer.timings_ms, **fine}.items():
                    per_stage.setdefault(stage, []).append(ms)
    finally:
        probe.restore()
    slowest = sorted(totals, key=lambda t: -t[1])[:5]
    return {"n": len(questions),
            "stages_ms": {stage: percentiles(values) for stage, values in per_stage.items()},
            "timed_out": timed_out, "timeout_s": timeout_s, "slowest_s": slowest,
            "load": load.to_dict()}


@contextlib.contextmanager
def torch_threads(n: int):
    """torch's intra-op threads set to ``n`` for the block (the setting is process-wide)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def encode_threads(embedder, questions: list[str]) -> dict:
    """Query encoding alone with torch's default intra-op threads and with one thread, in
    the same run: on a busy machine, waiting for a descheduled OpenMP thread can cost more
    than the second thread gains for a 20-token input."""
    import torch

    default = torch.get_num_threads()
    out = {}
    try:
        for threads in dict.fromkeys((default, 1)):
            torch.set_num_threads(threads)
            embedder.encode_queries(questions[:2])
            times = []
            for question in questions:
                started = time.perf_counter()
                embedder.encode_queries([question])
                times.append((time.perf_counter() - started) * 1000.0)
            out[f"{threads} thread{'s' if threads != 1 else ''}"] = percentiles(times, (50, 95))
    finally:
        torch.set_num_threads(default)
    return out


def profile_questions(service, questions: list[str], out: Path) -> list[str]:
    """One more pass under pyinstrument; the text report is written next to the JSON."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return ["pyinstrument is not installed: no profile"]
    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        for question in questions:
            service.ask(question)
    finally:
        profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    out.write_text(text)
    return [f"profile of {len(questions)} questions: {out}"]


def open_service(data_dir: Path, embedder):
    """The service as the bot runs it: the full model loaded, not the CLI's light encoder."""
    from bot.config import Settings
    from bot.service import NewsService

    embedder.load()
    return NewsService(Settings(data_dir=data_dir), embedder=embedder)


def run(ctx: Context) -> BenchResult:
    result = BenchResult("latency", "2. Question latency, warm (the 609-article KB in full mode)")
    data_dir = ctx.base_kb()
    questions = ctx.questions()
    service = open_service(data_dir, ctx.embedder)
    try:
        chunks = service.kb.counts()["chunks"]
        log(f"latency: {len(questions)} questions on {chunks} chunks")
        figures = measure_questions(service, questions)
        figures["encode_only_ms_by_torch_threads"] = encode_threads(ctx.embedder, questions)
        profile_path = ctx.out_dir / "latency-profile.txt"
        result.notes += profile_questions(service, questions[: 20 if ctx.quick else 100], profile_path)
    finally:
        service.close()
    # A/B in the same run: torch on one intra-op thread (what the profile points at).
    with torch_threads(1):
        service = open_service(data_dir, ctx.embedder)
        try:
            figures["torch_1_thread"] = measure_questions(service, questions)
        finally:
            service.close()
    figures["chunks"] = chunks
    result.figures = figures
    result.load = figures["load"]
    stages = figures["stages_ms"]
    total = stages["total"]
    result.row("knowledge base", f"{chunks} chunks, {len(questions)} questions")
    result.row("total p50", total["p50"], "ms", f"≤ {GOAL_P50_MS:g}", at_most(total["p50"], GOAL_P50_MS))
    result.row("total p95", total["p95"], "ms", f"≤ {GOAL_P95_MS:g}", at_most(total["p95"], GOAL_P95_MS))
    result.row("total p99", total["p99"], "ms")
    one_thread = figures["torch_1_thread"]["stages_ms"]
    t = one_thread["total"]
    met = at_most(t["p50"], GOAL_P50_MS) and at_most(t["p95"], GOAL_P95_MS)
    result.row("total p50 / p95, torch on 1 thread (same run)", f"{t['p50']} / {t['p95']}", "ms",
               f"≤ {GOAL_P50_MS:g} / ≤ {GOAL_P95_MS:g}", met)
    result.notes.append("torch on 1 thread: stages p50 (ms) " + ", ".join(
        f"{k} {v['p50']}" for k, v in one_thread.items() if v["p50"] >= 0.5))
    for stage in ("encode", "search", "fusion", "answer"):
        if stage in stages:
            s = stages[stage]
            result.row(f"{stage} p50 / p95 / p99", f"{s['p50']} / {s['p95']} / {s['p99']}", "ms")
    for threads, p in figures["encode_only_ms_by_torch_threads"].items():
        result.row(f"query encoding alone, torch {threads}: p50 / p95", f"{p['p50']} / {p['p95']}", "ms")
    fine = {k: v for k, v in stages.items() if "." in k}
    result.notes.append("Inside the stages (ms, p50/p95): " + "; ".join(
        f"{k} {v['p50']}/{v['p95']}" for k, v in sorted(fine.items())))
    with contextlib.suppress(Exception):
        result.notes.append("Load during the run: " + str(figures["load"]))
    return result
