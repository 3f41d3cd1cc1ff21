"""7. `newsbot doctor`: how long the checks take, on the question-answering knowledge base,
healthy and next to another process that holds the writer lock (an add that embeds).

The figures moved here from tests/reliability/test_doctor.py, which asserts behaviour only
(the doctor finishes while the writer holds the lock). Measured:

- every check's seconds (each check function timed by wrapping it) and the total, healthy;
- the total with a writer holding the lock, and whether the doctor finished while it held it;
- the Docker HEALTHCHECK's budget (`deploy/Dockerfile`) is the goal for the total.

Usage::

    python -m tests.bench --only doctor
"""

from __future__ import annotations

import shutil
import time

from tests.bench.common import BenchResult, LoadMeter, Probe, at_most, log
from tests.bench.context import Context

GOAL_S = 60.0  # the figure tests/reliability/test_doctor.py used to assert, with a busy writer
HOLD_AT_MOST_S = 600.0


def check_probe() -> tuple[Probe, list[str]]:
    """Times each check function of bot.doctor by its module name (``_check_*``)."""
    import bot.doctor

    probe = Probe()
    names = sorted(name for name in vars(bot.doctor) if name.startswith("_check_"))
    for name in names:
        probe.wrap(bot.doctor, name, name.removeprefix("_check_"))
    return probe, names


def timed_doctor(ctx: Context, data_dir) -> tuple[float, dict[str, float], list]:
    from bot.config import Settings
    from bot.doctor import run_checks
    from bot.service import NewsService

    service = NewsService(Settings(data_dir=data_dir), embedder=ctx.embedder)
    probe, _ = check_probe()
    try:
        started = time.perf_counter()
        checks = run_checks(service)
        total = time.perf_counter() - started
        per_check = {name: round(ms / 1000.0, 4) for name, ms in probe.take().items()}
    finally:
        probe.restore()
        service.close()
    return total, per_check, checks


def run(ctx: Context) -> BenchResult:
    from tests.reliability.lock_holder import hold_writer_lock, release

    result = BenchResult("doctor", "7. newsbot doctor: seconds per check, healthy and next to a busy writer")
    data_dir = ctx.scratch("doctor") / "kb"
    shutil.copytree(ctx.base_kb(), data_dir)
    with LoadMeter() as load:
        healthy_s, per_check, checks = timed_doctor(ctx, data_dir)
        failing = [c.name for c in checks if not c.ok]
        holder = hold_writer_lock(data_dir, HOLD_AT_MOST_S)
        try:
            busy_s, _, busy_checks = timed_doctor(ctx, data_dir)
            finished_while_held = holder.poll() is None
        finally:
            released = release(holder)
    log(f"doctor: healthy {healthy_s:.2f} s, with a busy writer {busy_s:.2f} s")
    opened = next((c.detail for c in busy_checks if c.name == "knowledge base"), "")
    result.figures = {"healthy_s": round(healthy_s, 3), "busy_writer_s": round(busy_s, 3),
                      "per_check_s": per_check, "checks": len(checks), "failing_healthy": failing,
                      "finished_while_writer_held_lock": finished_while_held and released,
                      "busy_detail": opened, "load": load.to_dict()}
    result.load = load.to_dict()
    result.row("doctor, healthy knowledge base", healthy_s, "s", f"< {GOAL_S:g}", at_most(healthy_s, GOAL_S))
    result.row("doctor, another process holding the writer lock", busy_s, "s", f"< {GOAL_S:g}",
               at_most(busy_s, GOAL_S))
    for name, seconds in sorted(per_check.items(), key=lambda kv: -kv[1]):
        result.row(f"  {name}", seconds, "s")
    result.notes.append("Failing checks on the healthy base (the token is not set here, so 'discord token' "
                        f"fails): {', '.join(failing) or 'none'}")
    return result
