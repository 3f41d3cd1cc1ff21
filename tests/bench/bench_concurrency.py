"""6. Bot concurrency: 50 members each send /ask at once through the Discord layer — the
real ``newsbot run`` process against the loopback Discord double (tests/discord_double),
on a copy of the 609-article knowledge base, with a 1 s gateway heartbeat.

Figures: throughput (answers per second from the first dispatch to the last answer),
acknowledgement time (dispatch → the bot's first callback, which Discord requires within
3 s), answer time, and the longest gap between heartbeats during the burst (a blocked
event loop delays heartbeats; Discord drops a connection that misses them). In full mode
py-spy records the bot during the burst when it is installed.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.bench.common import REPO, BenchResult, LoadMeter, at_most, log, percentiles
from tests.bench.context import Context

GOAL_ACK_S = 3.0     # Discord's limit for the acknowledgement
HEARTBEAT_MS = 1000


def top_frames(raw: Path, n: int = 15) -> list[tuple[str, int]]:
    """The most sampled innermost frames of a py-spy raw (collapsed stacks) file."""
    counts: Counter[str] = Counter()
    try:
        lines = raw.read_text(errors="replace").splitlines()
    except OSError:
        return []
    for line in lines:
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        counts[stack.split(";")[-1].strip()] += int(number)
    return counts.most_common(n)


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc), 0 when unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def wait_until_ready(double, proc, spawned: float) -> tuple[float, float]:
    """Seconds from spawn to the gateway connection and to ``engine ready`` in the bot's log."""
    double.watch(proc)
    double.wait_until_connected(timeout=240)
    connected = time.time() - spawned
    double.wait_for_commands(timeout=60)
    deadline = time.monotonic() + 300
    while "engine ready" not in proc.log_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"newsbot never reported `engine ready`:\n{proc.log_text()[-3000:]}")
        time.sleep(0.1)
    return connected, time.time() - spawned


def start_py_spy(pid: int, profile: Path | None) -> subprocess.Popen | None:
    """A py-spy recorder on ``pid`` when a profile is asked for and py-spy is installed."""
    py_spy = shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    if profile is None or not py_spy:
        return None
    spy = subprocess.Popen([py_spy, "record", "--pid", str(pid), "--format", "raw",
                            "--output", str(profile), "--duration", "300", "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return spy


def stop_py_spy(spy: subprocess.Popen | None) -> None:
    """Stop the recorder so it writes its file."""
    if spy is None:
        return
    spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT (not on SIGTERM)
    try:
        spy.wait(60)
    except subprocess.TimeoutExpired:
        spy.kill()


def ask_all(double, members: list, questions: list[str]) -> tuple[float, float, list, list, float, LoadMeter]:
    """Every member asks at once: start, dispatch seconds, handles, replies, last reply time, load."""
    with LoadMeter() as load:
        started = time.time()
        handles = [double.invoke_slash("ask", {"question": questions[i % len(questions)]}, member)
                   for i, member in enumerate(members)]
        dispatched = time.time() - started
        replies = [double.wait_for(lambda r, h=h: r.interaction_id == h.id and r.has_body
                                   and (bool(r.embeds) or r.ephemeral), 600) for h in handles]
        finished = max(r.timestamp for r in replies)
    return started, dispatched, handles, replies, finished, load


def heartbeat_gaps(heartbeats: list[float], started: float, finished: float) -> tuple[list[float], float]:
    """Gaps between heartbeats during the burst, and the gap from the last one to its end."""
    # Heartbeats from just before the burst to its end; the last gap runs to the end.
    beats = [b for b in heartbeats if started - 1.5 * HEARTBEAT_MS / 1000.0 <= b <= finished]
    gaps = [b - a for a, b in itertools.pairwise(beats)]
    edge_gap = finished - beats[-1] if beats else finished - started
    return gaps, edge_gap


def burst(ctx: Context, concurrent: int, extra_env: dict[str, str], name: str, profile: Path | None) -> dict:
    """One bot process, ``concurrent`` members asking at once; the figures of that burst."""
    from tests.discord_double import BotProcess, DiscordDouble

    questions = ctx.questions()
    work = ctx.scratch(f"concurrency-{name}")
    data_dir = work / "kb"
    shutil.copytree(ctx.base_kb(), data_dir)
    with DiscordDouble(heartbeat_interval_ms=HEARTBEAT_MS) as double:
        env = {**double.bot_env(), "NEWSBOT_DATA_DIR": str(data_dir), "NEWSBOT_LOG_LEVEL": "INFO",
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **extra_env}
        proc = BotProcess([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=REPO, name=f"newsbot-{name}",
                          log_dir=work)
        spawned = time.time()
        proc.start()
        spy = None
        try:
            connected, ready = wait_until_ready(double, proc, spawned)
            members = [double.add_member(f"reader{i}") for i in range(concurrent)]
            spy = start_py_spy(proc.popen.pid, profile)
            log(f"concurrency ({name}): bot ready in {ready:.1f} s; {concurrent} simultaneous /ask")
            bot_cpu_before = process_cpu_s(proc.popen.pid)
            started, dispatched, handles, replies, finished, load = ask_all(double, members, questions)
            bot_cpu = process_cpu_s(proc.popen.pid) - bot_cpu_before
            acks = [double.interaction_ack_time(h.id) for h in handles]
            answers = [r.timestamp - h.dispatched_at for r, h in zip(replies, handles, strict=True)]
            gaps, edge_gap = heartbeat_gaps(double.heartbeats, started, finished)
            answered = sum(1 for r in replies if r.embeds and not r.ephemeral)
            server_ms = [float(x) for x in re.findall(r"answer \w+ in (\d+) ms", proc.log_text())]
        finally:
            stop_py_spy(spy)
            code = proc.stop(timeout=30)
    span = finished - started
    acks_s = [a for a in acks if a is not None]
    figures = {
        "env": extra_env, "concurrent": concurrent, "answered_with_embed": answered,
        "bot_connected_s": round(connected, 2), "bot_engine_ready_s": round(ready, 2),
        "dispatch_s": round(dispatched, 3), "span_s": round(span, 2),
        "throughput_per_s": round(concurrent / span, 2), "ack_s": percentiles(acks_s, (50, 95, 99)),
        "ack_max_s": round(max(acks_s), 3) if acks_s else None, "acks_missing": len(acks) - len(acks_s),
        "answer_s": percentiles(answers, (50, 95, 99)), "heartbeat_gaps_s": [round(g, 3) for g in gaps],
        "longest_heartbeat_gap_s": round(max([*gaps, edge_gap]), 3),
        "server_answer_ms": percentiles(server_ms[-concurrent:], (50, 95)) if server_ms else None,
        "bot_exit_code": code, "load": load.to_dict(),
        # The LoadMeter counts only waited-for children, so the bot's own CPU is read from /proc.
        "bot_cpu_pct_of_machine": round(100.0 * bot_cpu / max(span * (os.cpu_count() or 1), 1e-9), 1),
    }
    if spy is not None and profile is not None:
        figures["py_spy_top_leaf_frames"] = top_frames(profile)
    return figures


def run(ctx: Context) -> BenchResult:
    result = BenchResult("concurrency", "6. Bot concurrency: simultaneous /ask through the Discord layer")
    concurrent = ctx.options.get("concurrent") or (6 if ctx.quick else 50)
    profile = None if ctx.quick else ctx.out_dir / "concurrency-py-spy.txt"
    f = burst(ctx, concurrent, {}, "default", profile)
    result.figures = f
    result.load = f["load"]
    if not ctx.quick:
        # The same burst with torch on one intra-op thread (the latency profile's finding).
        result.figures["torch_1_thread"] = burst(ctx, concurrent, {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
                                                 "omp1", None)
    if "py_spy_top_leaf_frames" in f:
        result.notes.append(f"py-spy profile of the bot during the burst: {profile}; top leaf frames (samples): "
                            + "; ".join(f"{name} {count}" for name, count in f["py_spy_top_leaf_frames"][:8]))
    result.row("simultaneous /ask", f"{concurrent} ({f['answered_with_embed']} answered with an embed)")
    result.row("throughput", f["throughput_per_s"], "answers/s")
    result.row("acknowledgement p50 / p95 / max", f"{f['ack_s']['p50']} / {f['ack_s']['p95']} / {f['ack_max_s']}",
               "s", f"p95 < {GOAL_ACK_S:g} (Discord)",
               at_most(f["ack_s"]["p95"], GOAL_ACK_S) and not f["acks_missing"])
    result.row("answer p50 / p95", f"{f['answer_s']['p50']} / {f['answer_s']['p95']}", "s")
    result.row("longest heartbeat gap (interval 1 s)", f["longest_heartbeat_gap_s"], "s", "≈ 1 (no stall)",
               at_most(f["longest_heartbeat_gap_s"], 1.5))
    result.row("bot start to engine ready", f["bot_engine_ready_s"], "s")
    if "torch_1_thread" in result.figures:
        g = result.figures["torch_1_thread"]
        result.row("OMP_NUM_THREADS=1: throughput / ack p95 / answer p50 / longest beat gap",
                   f"{g['throughput_per_s']} /s, {g['ack_s']['p95']} s, {g['answer_s']['p50']} s, "
                   f"{g['longest_heartbeat_gap_s']} s")
    return result
