"""Runs the benchmarks, writes the figures to a JSON file and prints a Markdown table.

    python -m tests.bench                       # full: 609-article KB, 100k/1M chunks (≤ ~20 min a benchmark)
    python -m tests.bench --quick               # small inputs, a minute or two: CI runs this
    python tests/bench/run.py --only latency coldstart --out /tmp/bench.json

Every result carries the machine it ran on and how busy the machine was while it ran
(other people's processes included): absolute figures from a shared machine are noisy,
ratios measured in one run much less so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # python tests/bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import BenchResult, LoadMeter, log, machine_info, machine_line
from tests.bench.context import Context


def _registry() -> dict[str, Callable[[Context], BenchResult]]:
    from tests.bench import (
        bench_coldstart,
        bench_concurrency,
        bench_doctor,
        bench_engines,
        bench_indexing,
        bench_latency,
        bench_scale,
        bench_store,
    )

    return {
        "indexing": bench_indexing.run,
        "latency": bench_latency.run,
        "scale": bench_scale.run,
        "store": bench_store.run,
        "coldstart": bench_coldstart.run,
        "concurrency": bench_concurrency.run,
        "doctor": bench_doctor.run,
        "engines": bench_engines.run,
    }


NAMES = ["indexing", "latency", "scale", "store", "coldstart", "concurrency", "doctor", "engines"]


def markdown(report: dict) -> str:
    load = ", ".join(str(round(x, 2)) for x in report["machine"]["load_average_at_start"])
    lines = [f"## newsbot benchmarks ({report['mode']} mode, {report['finished_at']})", "",
             f"Machine: {machine_line(report['machine'])}. Load average at start: {load}.", ""]
    for name in report["order"]:
        bench = report["benchmarks"][name]
        lines.append(f"### {bench['title']}")
        load = bench.get("load") or {}
        if load:
            lines.append(f"_{bench['seconds']} s; machine busy {load.get('machine_busy_pct')} % "
                         f"(others ≈ {load.get('others_pct')} %), load average "
                         f"{load.get('loadavg_1m_before')} → {load.get('loadavg_1m_after')}_")
        lines.append("")
        if bench.get("error"):
            lines += ["**failed:** `" + bench["error"].strip().splitlines()[-1] + "`", ""]
            continue
        lines += ["| figure | value | unit | goal | met |", "|---|---|---|---|---|"]
        for row in bench["rows"]:
            met = {True: "yes", False: "**no**", None: ""}[row["met"]]
            lines.append(f"| {row['figure']} | {row['value']} | {row['unit']} | {row['goal']} | {met} |")
        for note in bench.get("notes", []):
            lines.append(f"\n- {note}")
        lines.append("")
    return "\n".join(lines)


def run(names: list[str], *, quick: bool, out: Path, workdir: Path | None = None, cache_dir: Path | None = None,
        keep: bool = False, options: dict | None = None) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    own_workdir = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="newsbot-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out_dir = out.parent / (out.stem + "-files")
    out_dir.mkdir(exist_ok=True)
    ctx = Context(quick=quick, workdir=workdir,
                  cache_dir=Path(cache_dir or os.environ.get("NEWSBOT_BENCH_CACHE", "/tmp/newsbot-bench-cache")),
                  out_dir=out_dir, options=options or {})
    report: dict = {"mode": "quick" if quick else "full", "machine": machine_info(),
                    "started_at": time.strftime("%Y-%m-%d %H:%M:%S"), "order": [], "benchmarks": {}}
    if not quick and not ctx.full_data:
        log(f"the MultiHop-RAG data is not in {ctx.multihop}: the full run falls back to the test fixtures")
    registry = _registry()
    try:
        for name in names:
            log(f"--- {name}")
            started = time.perf_counter()
            try:
                with LoadMeter() as load:
                    result = registry[name](ctx)
                if not result.load:
                    result.load = load.to_dict()
            except Exception:
                result = BenchResult(name, name, error=traceback.format_exc())
                log(f"{name} failed:\n{result.error}")
            result.seconds = time.perf_counter() - started
            report["order"].append(name)
            report["benchmarks"][name] = result.to_dict()
            report["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
            out.write_text(json.dumps(report, indent=1, default=str))  # partial results survive a crash
    finally:
        if own_workdir and not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    report["markdown"] = markdown(report)
    out.write_text(json.dumps(report, indent=1, default=str))
    (out_dir / "results.md").write_text(report["markdown"])
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small inputs (CI); figures only prove the code runs")
    parser.add_argument("--out", type=Path, default=None, help="JSON results (default bench-results/<mode>.json)")
    parser.add_argument("--only", nargs="+", choices=NAMES, default=None, help="run only these benchmarks")
    parser.add_argument("--skip", nargs="+", choices=NAMES, default=(), help="skip these benchmarks")
    parser.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a temp dir)")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="keeps the grown 1M-chunk store between runs (default $NEWSBOT_BENCH_CACHE or "
                             "/tmp/newsbot-bench-cache; ~8 GB)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--index-articles", type=int, default=None, help="index only the first N articles")
    parser.add_argument("--scale-sizes", type=int, nargs="+", default=None, help="vector counts (default 100k 1M)")
    parser.add_argument("--store-sizes", type=int, nargs="+", default=None, help="store chunks (default 10k 100k 1M)")
    parser.add_argument("--store-questions", type=int, default=None, help="questions per store size (default 50)")
    parser.add_argument("--hnsw-max", type=int, default=None, help="build HNSW up to this many vectors (100k)")
    parser.add_argument("--concurrent", type=int, default=None, help="simultaneous /ask (default 50)")
    parser.add_argument("--engine-lexical-sizes", type=int, nargs="+", default=None,
                        help="tantivy documents, one index grown through them (default 1M 3M 10M)")
    parser.add_argument("--engine-vector-sizes", type=int, nargs="+", default=None,
                        help="IVF-SQ8 / IVF-PQ vectors, grown through them (default 1M 3M 10M)")
    parser.add_argument("--engine-parts", nargs="+", choices=["shape", "vectors", "lexical"], default=None,
                        help="only these halves of the engines benchmark")
    args = parser.parse_args(argv)
    names = [n for n in (args.only or NAMES) if n not in args.skip]
    out = args.out or Path("bench-results") / ("quick.json" if args.quick else "full.json")
    options = {k: v for k, v in {"index_articles": args.index_articles, "scale_sizes": args.scale_sizes,
                                 "store_sizes": args.store_sizes, "store_questions": args.store_questions,
                                 "hnsw_max": args.hnsw_max, "concurrent": args.concurrent,
                                 "engine_lexical_sizes": args.engine_lexical_sizes,
                                 "engine_vector_sizes": args.engine_vector_sizes,
                                 "engine_parts": args.engine_parts}.items() if v is not None}
    report = run(names, quick=args.quick, out=out, workdir=args.workdir, cache_dir=args.cache_dir, keep=args.keep,
                 options=options)
    print(report["markdown"])
    print(f"\nfigures: {out}", file=sys.stderr)
    failed = [n for n, b in report["benchmarks"].items() if b.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
