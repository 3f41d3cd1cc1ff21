"""Shared pieces of the benchmarks: the machine description, CPU-load sampling, percentiles,
timing probes and the result record each benchmark returns."""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
MULTIHOP = Path(os.environ.get("NEWSBOT_BENCH_MULTIHOP", "/work/shared/eval/multihop-rag"))
KB609 = Path(os.environ.get("NEWSBOT_BENCH_KB609", "/tmp/kb609"))
FIXTURE_ARTICLES = [REPO / "seeds", REPO / "tests" / "fixtures" / "articles"]
QUICK_QUESTIONS = [
    "Did Hyundai confirm the plant deal?",
    "What did the BAIC executive say?",
    "How much funding did Lumen Labs raise?",
    "Why were the Nordwind turbines recalled?",
    "What will the harbor bridge toll cost?",
    "Which company opened a factory?",
]


# ----------------------------------------------------------------------------- machine


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def ram_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def machine_info() -> dict[str, Any]:
    """What every figure is measured on; versions of everything on the measured path."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    flags = ""
    with contextlib.suppress(OSError):
        flags = Path("/proc/cpuinfo").read_text()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": affinity,
        "cpu_bf16": " avx512_bf16" in flags or " amx_bf16" in flags,
        "ram_gib": ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "torch": _version("torch"),
        "faiss": _version("faiss-cpu"),
        "numpy": _version("numpy"),
        "sentence_transformers": _version("sentence-transformers"),
        "transformers": _version("transformers"),
        "spacy": _version("spacy"),
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": list(os.getloadavg()),
    }


def machine_line(info: dict[str, Any]) -> str:
    return (f"{info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM; Python {info['python']}, "
            f"torch {info['torch']}, faiss {info['faiss']}, sentence-transformers {info['sentence_transformers']}, "
            f"SQLite {info['sqlite']}")


# ----------------------------------------------------------------------------- load


def _cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) jiffies of the whole machine since boot."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


class LoadMeter:
    """How busy the machine was during a measurement, and how much of that was us
    (this process and its children): the rest is other people's work on a shared machine."""

    def __enter__(self) -> LoadMeter:
        self.start_jiffies = _cpu_jiffies()
        self.start_times = os.times()
        self.start_wall = time.perf_counter()
        self.load_before = os.getloadavg()[0]
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.start_wall
        end = _cpu_jiffies()
        times = os.times()
        ours = (times.user - self.start_times.user + times.system - self.start_times.system
                + times.children_user - self.start_times.children_user
                + times.children_system - self.start_times.children_system)
        cores = os.cpu_count() or 1
        self.ours_pct = round(100.0 * ours / max(self.wall * cores, 1e-9), 1)
        if end and self.start_jiffies:
            busy = end[0] - self.start_jiffies[0]
            total = max(end[1] - self.start_jiffies[1], 1)
            self.busy_pct = round(100.0 * busy / total, 1)
        else:
            self.busy_pct = None
        self.load_after = os.getloadavg()[0]

    def to_dict(self) -> dict[str, Any]:
        others = None if self.busy_pct is None else round(max(0.0, self.busy_pct - self.ours_pct), 1)
        return {"wall_s": round(self.wall, 2), "machine_busy_pct": self.busy_pct, "ours_pct": self.ours_pct,
                "others_pct": others, "loadavg_1m_before": round(self.load_before, 2),
                "loadavg_1m_after": round(self.load_after, 2)}


# ----------------------------------------------------------------------------- figures


def percentiles(values: list[float] | np.ndarray, points: tuple[int, ...] = (50, 95, 99)) -> dict[str, float]:
    if len(values) == 0:
        return {f"p{p}": float("nan") for p in points}
    array = np.asarray(values, dtype=np.float64)
    return {f"p{p}": round(float(np.percentile(array, p)), 3) for p in points}


@dataclass
class Row:
    """One line of the results table."""

    figure: str
    value: float | int | str | None
    unit: str = ""
    goal: str = ""
    met: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"figure": self.figure, "value": self.value, "unit": self.unit, "goal": self.goal, "met": self.met}


@dataclass
class BenchResult:
    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    load: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    def row(self, figure: str, value: Any, unit: str = "", goal: str = "", met: bool | None = None) -> None:
        if isinstance(value, float):
            value = round(value, 3 if abs(value) < 100 else 1)
        self.rows.append(Row(figure, value, unit, goal, met))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "rows": [r.to_dict() for r in self.rows],
                "figures": self.figures, "notes": self.notes, "load": self.load, "error": self.error,
                "seconds": round(self.seconds, 1)}


def at_most(value: float, goal: float) -> bool:
    return bool(value <= goal)


def at_least(value: float, goal: float) -> bool:
    return bool(value >= goal)


# ----------------------------------------------------------------------------- timing probes


class Probe:
    """Patches functions and methods to add up their wall time per name, for a stage
    breakdown finer than ``Answer.timings_ms``; ``restore()`` (or leaving the with block)
    puts every original back."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.labels: list[str] = []
        self._patched: list[tuple[object, str, object, bool]] = []

    def wrap(self, owner: object, attribute: str, name: str | None = None, *, optional: bool = False) -> None:
        """Times every call of ``owner.attribute``. ``optional``: skip it when the code no
        longer has that function (the answer layer is being reshaped; a probe must not break)."""
        if optional and not hasattr(owner, attribute):
            return
        label = name or attribute
        self.labels.append(label)
        had_own = attribute in getattr(owner, "__dict__", {})
        original = getattr(owner, attribute)
        raw = owner.__dict__[attribute] if had_own else original
        if isinstance(raw, staticmethod):
            original = raw.__func__

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.totals[label] = self.totals.get(label, 0.0) + time.perf_counter() - started
                self.calls[label] = self.calls.get(label, 0) + 1

        setattr(owner, attribute, staticmethod(timed) if isinstance(raw, staticmethod) else timed)
        self._patched.append((owner, attribute, raw, had_own))

    def take(self) -> dict[str, float]:
        """Milliseconds per name since the last take, and reset."""
        out = {label: self.totals.get(label, 0.0) * 1000.0 for label in self.labels}
        self.totals = {}
        return out

    def restore(self) -> None:
        for owner, attribute, raw, had_own in reversed(self._patched):
            if had_own:
                setattr(owner, attribute, raw)
            else:
                with contextlib.suppress(AttributeError):
                    delattr(owner, attribute)
        self._patched.clear()

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()


@contextlib.contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - started
    end.append(time.perf_counter())


def rss_mib() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
