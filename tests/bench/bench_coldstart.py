"""5. Cold start: from process start to the first answer, on the 609-article knowledge base.

- ``newsbot ask Q --json`` as a subprocess, wall time from spawn to exit (the OS file cache
  is warm: the benchmark does not drop caches on a shared machine);
- the same steps timed inside a fresh interpreter (``coldstart_probe.py``);
- ``python -X importtime`` of the answer path, summed by top-level package;
- import times of the alternatives (what the model path could import instead);
- a pyinstrument profile of one cold ``ask`` (full mode, when pyinstrument is installed).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.common import REPO, BenchResult, LoadMeter, at_most, log
from tests.bench.context import Context

GOAL_S = 5.0
QUESTION = "Did Hyundai confirm the plant deal?"
ALTERNATIVES = {
    "sentence_transformers (indexing and the bot)": "import sentence_transformers",
    "transformers.BertModel": "from transformers import BertModel",
    "torch": "import torch",
    "torch + tokenizers + safetensors (hand-written BERT)": "import torch, tokenizers, safetensors.torch",
    "numpy + tokenizers + safetensors (index.light_encoder, a CLI question)":
        "import numpy, tokenizers, safetensors.numpy",
    "spacy (ingest only)": "import spacy",
    "bot.service (the rest of the answer path)": "import bot.service",
}


def env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def timed_run(argv: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, env=env(), capture_output=True, text=True, timeout=600)
    return time.perf_counter() - started, done


def import_profile(data_dir: Path) -> dict[str, float]:
    """Cumulative import seconds by top-level package for everything the ask path imports."""
    code = ("import bot.cli, bot.service, index.light_encoder, index.search, bot.engine.answer")
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=REPO, env=env(),
                          capture_output=True, text=True, timeout=600)
    totals: dict[str, float] = {}
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        self_us, name = int(m.group(1)), m.group(4)
        top = name.split(".")[0]
        totals[top] = totals.get(top, 0.0) + self_us / 1e6
    return dict(sorted(((k, round(v, 3)) for k, v in totals.items()), key=lambda kv: -kv[1])[:15])


def run(ctx: Context) -> BenchResult:
    result = BenchResult("coldstart", "5. Cold start: process start to first answer (609-article KB)")
    data_dir = ctx.base_kb()
    runs = 1 if ctx.quick else 3
    cli = [sys.executable, "-m", "bot.cli", "--data-dir", str(data_dir), "ask", QUESTION, "--json"]
    walls, answer_timings = [], []
    with LoadMeter() as load:
        for _ in range(runs):
            wall, done = timed_run(cli)
            if done.returncode != 0:
                raise RuntimeError(f"newsbot ask failed: {done.stderr[-2000:]}")
            walls.append(wall)
            answer_timings.append(json.loads(done.stdout)["timings_ms"])
        log(f"coldstart: newsbot ask {[round(w, 2) for w in walls]} s")
        probes = []
        for _ in range(runs):
            _, done = timed_run([sys.executable, "-m", "tests.bench.coldstart_probe", str(data_dir), QUESTION])
            if done.returncode != 0:
                raise RuntimeError(f"cold-start probe failed: {done.stderr[-2000:]}")
            probes.append(json.loads(done.stdout.strip().splitlines()[-1]))
        imports = import_profile(data_dir)
        alternatives = {}
        for label, code in ALTERNATIVES.items():
            times = []
            for _ in range(1 if ctx.quick else 2):
                wall, done = timed_run([sys.executable, "-c", code])
                times.append(wall if done.returncode == 0 else float("nan"))
            alternatives[label] = round(min(times), 2)
    if not ctx.quick:
        profile = ctx.out_dir / "coldstart-profile.txt"
        done = subprocess.run([sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(profile),
                               "-m", "bot.cli", "--data-dir", str(data_dir), "ask", QUESTION],
                              cwd=REPO, env=env(), capture_output=True, text=True, timeout=600)
        result.notes.append(f"pyinstrument profile of a cold ask: {profile}" if done.returncode == 0
                            else "pyinstrument unavailable: no cold-start profile")
    best = min(probes, key=lambda p: p["marks"]["first answer"])
    result.figures = {"cli_wall_s": [round(w, 3) for w in walls], "cli_answer_timings_ms": answer_timings,
                      "steps_s": best["marks"], "modules_loaded_by_ask": best["modules_loaded"],
                      "import_self_s_by_package": imports, "alternative_imports_s": alternatives,
                      "load": load.to_dict()}
    result.load = load.to_dict()
    median = statistics.median(walls)
    result.row("newsbot ask, spawn to exit (median)", median, "s", f"< {GOAL_S:g}", at_most(median, GOAL_S))
    previous = 0.0
    for step, at in best["marks"].items():
        result.row(f"  {step}", round(at - previous, 2), "s")
        previous = at
    result.row("import sentence_transformers alone (fresh process)",
               alternatives["sentence_transformers (indexing and the bot)"], "s")
    result.row("import torch + tokenizers + safetensors", alternatives[
        "torch + tokenizers + safetensors (hand-written BERT)"], "s")
    result.row("import numpy + tokenizers + safetensors", alternatives[
        "numpy + tokenizers + safetensors (index.light_encoder, a CLI question)"], "s")
    result.notes.append("Self import time by package (s): " + ", ".join(f"{k} {v}" for k, v in imports.items()))
    result.notes.append(f"Heavy modules loaded by a first answer: {best['modules_loaded']}")
    return result
