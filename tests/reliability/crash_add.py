"""Crash safety: SIGKILL `newsbot index add` at random points and check the knowledge base
after every kill.

    python tests/reliability/crash_add.py                 # quick: 40 generated articles, 5 kills (~1 min)
    python tests/reliability/crash_add.py --full          # the 609 MultiHop-RAG articles, 24 kills
    python tests/reliability/crash_add.py --full --kills 30 --seed 7 --work /tmp/crash

``--full`` is slow: the add alone embeds about 7,700 chunks (20 minutes on 2 shared CPU
cores), and every kill costs a restart (model and spaCy load, re-planning) plus the work
of the batch it interrupted: plan for 35 to 50 minutes. It is not part of CI; the quick
mode is (tests/reliability/test_crash_safety.py).

Each attempt starts a real `newsbot index add` process and kills it with SIGKILL at one of
three kinds of random point: during start-up (one attempt in five); within half a second
after a batch commits, while the next batch is embedded (one in five); or at a uniformly
random moment of the ingest, timed from the progress bar's first line (the rest). In
quick mode that moment is drawn from the whole remaining ingest; with --full from 0 to
twice the estimated ingest time divided by the number of kills, so the kills spread over
one add. The time per batch is learnt from every attempt. After every kill it checks that:

- the knowledge base opens (and `PRAGMA quick_check` passes);
- every article is whole (its chunks, vectors, lexical index documents, sentences and company
  rows, with exactly the source text) or absent;
- the stored vector count and the FAISS index a reader loads equal the chunk rows;
- `newsbot doctor`'s knowledge-base checks pass.

When an add completes before the kill, the data dir is emptied and the next attempt
starts over. At the end an add without a kill must complete, exit 0 and leave every
article whole. It prints ``kills survived: N/M`` (M = kills that hit a running process).
Exit status 0 only if every kill was survived and the final add completed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from index.store import INGEST_BATCH  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MULTIHOP_ARTICLES = Path(os.environ.get("MULTIHOP_RAG_ARTICLES", "/work/shared/eval/multihop-rag/articles.jsonl"))
DOCTOR_KB_CHECKS = ("knowledge base", "integrity", "consistency", "vector index", "model recorded",
                    "vector checkpoint", "lexical index")
_WORDS = ("harbor council vote budget bridge toll ferry mayor report engineers steel cable river port grant "
          "union workers tunnel rail freight museum statue glacier turbine recall funding startup").split()


@dataclass
class Outcome:
    kills: int = 0
    survived: int = 0
    partial_states: int = 0          # kills that left some but not all articles
    rounds_completed: int = 0        # adds that finished before their kill (data dir then reset)
    final_ok: bool = False
    log: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.log.append(line)
        print(line, flush=True)


def write_generated_articles(path: Path, count: int, seed: int = 7) -> None:
    """Small articles (one or two chunks each), one JSONL file, stable ids."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            sentences = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 14))).capitalize() + "."
                         for _ in range(rng.randint(8, 16))]
            handle.write(json.dumps({"id": f"crash-{i:03d}", "title": f"Crash test story {i}",
                                     "body": " ".join(sentences), "source": "Test Wire",
                                     "published_at": f"2024-01-{1 + i % 28:02d}"}) + "\n")


class RateEstimate:
    """How long start-up takes, and how long one ingest batch (INGEST_BATCH articles: one
    embedding pass and one transaction) takes, learnt from every attempt."""

    def __init__(self, startup: float, batch_seconds: float) -> None:
        self.startup = startup
        self.batch_seconds = batch_seconds

    def ingest_seconds(self, remaining_articles: int) -> float:
        return math.ceil(remaining_articles / INGEST_BATCH) * self.batch_seconds

    def update(self, startup: float | None, gained: int, ingest_seconds: float) -> None:
        if startup is not None:
            self.startup = 0.5 * self.startup + 0.5 * startup
        if ingest_seconds <= 0.5:
            return
        if gained <= 0:  # no batch committed in that time: a batch takes longer
            self.batch_seconds = max(self.batch_seconds, 1.25 * ingest_seconds)
        else:
            measured = ingest_seconds / max(1.0, gained / INGEST_BATCH)
            self.batch_seconds = 0.5 * self.batch_seconds + 0.5 * measured


def add_command(data_dir: Path, source: Path) -> list[str]:
    # The same entry point as the `newsbot` console script (bot.cli:main).
    return [sys.executable, "-m", "bot.cli", "--data-dir", str(data_dir), "index", "add", str(source)]


def present_count(data_dir: Path) -> int:
    """Articles committed so far (a read-only reader, as any concurrent reader would be)."""
    import sqlite3

    path = data_dir / "newsbot.db"
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.OperationalError:
        return 0
    try:
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:  # no tables yet: killed before the schema was committed
        return 0
    finally:
        db.close()


def check_after_kill(data_dir: Path, embedder, bodies: dict[str, str]) -> tuple[bool, str, int]:
    from bot.doctor import run_checks
    from bot.service import NewsService
    from tests.conftest import settings_for
    from tests.reliability.kbcheck import check_whole_or_absent

    if not (data_dir / "newsbot.db").exists():
        return True, "no database yet", 0
    try:
        state = check_whole_or_absent(data_dir, embedder, bodies)
    except Exception as exc:  # an AssertionError or the store refusing to load
        return False, f"{type(exc).__name__}: {exc}", -1
    service = NewsService(settings_for(data_dir), embedder=embedder)
    try:
        failed = [c for c in run_checks(service) if c.name in DOCTOR_KB_CHECKS and not c.ok]
    finally:
        service.close()
    if failed:
        return False, "doctor: " + "; ".join(f"{c.name}: {c.detail}" for c in failed), state.articles
    return True, f"{state.articles} articles, {state.chunks} chunks, all whole", state.articles


@dataclass
class Attempt:
    """One `newsbot index add` started to be killed: when, from which state, and where."""

    process: subprocess.Popen
    err_path: Path
    started: float
    before: int                      # articles committed when it started
    phase: str = ""
    kill_at: float = 0.0
    ingest_started: float | None = None


def start_attempt(number: int, data_dir: Path, source: Path, work: Path, before: int) -> Attempt:
    err_path = work / f"attempt-{number:03d}.err"
    started = time.monotonic()
    with err_path.open("wb") as err:
        process = subprocess.Popen(add_command(data_dir, source), cwd=REPO, stdout=subprocess.DEVNULL,
                                   stderr=err, start_new_session=True)
    return Attempt(process, err_path, started, before)


def choose_kill_point(attempt: Attempt, data_dir: Path, total: int, roll: float, rng: random.Random,
                      estimate: RateEstimate, kills: int, quick: bool) -> None:
    """Sets the phase and the moment of the kill: during start-up, right after a batch
    commits (while the next one is embedded), or at a uniformly drawn point of the ingest."""
    process, started = attempt.process, attempt.started
    if roll < 0.2:
        attempt.phase = "start-up"
        attempt.kill_at = started + rng.uniform(0.1, max(0.2, estimate.startup))
    elif roll < 0.4 and total - attempt.before > INGEST_BATCH:
        attempt.phase = "after a commit"
        while process.poll() is None and present_count(data_dir) <= attempt.before \
                and time.monotonic() - started < 1800:
            time.sleep(0.05)
        attempt.kill_at = time.monotonic() + rng.uniform(0.0, 0.5)
    else:
        attempt.phase = "ingest"
        while process.poll() is None and time.monotonic() - started < 1800:
            if b"embedding" in attempt.err_path.read_bytes():
                attempt.ingest_started = time.monotonic()
                break
            time.sleep(0.02)
        remaining = estimate.ingest_seconds(max(1, total - attempt.before))
        # Quick mode: anywhere in the rest of the add. Full mode: spread the kills over one
        # add, on average 1/kills of the whole ingest apart.
        spread = remaining if quick else min(remaining, 2 * estimate.ingest_seconds(total) / kills)
        attempt.kill_at = (attempt.ingest_started or time.monotonic()) + rng.uniform(0.0, spread)


def kill_when_due(attempt: Attempt) -> tuple[bool, float]:
    """SIGKILLs the add at its moment, unless it ended first; (killed, seconds since start)."""
    process = attempt.process
    while process.poll() is None and time.monotonic() < attempt.kill_at:
        time.sleep(0.01)
    killed_at = time.monotonic() - attempt.started
    killed = process.poll() is None
    if killed:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return killed, killed_at


def rerun_to_completion(outcome: Outcome, data_dir: Path, source: Path, embedder, bodies: dict[str, str],
                        run_started: float) -> None:
    """The add must complete when re-run without a kill."""
    final = subprocess.run(add_command(data_dir, source), cwd=REPO, capture_output=True, text=True, timeout=7200)
    ok, detail, after = check_after_kill(data_dir, embedder, bodies)
    outcome.final_ok = final.returncode == 0 and ok and after == len(bodies)
    summary = (final.stdout.strip().splitlines() or ["(no output)"])[-1]
    outcome.say(f"re-run without a kill: exit {final.returncode}, {summary}; {detail}")
    if final.returncode != 0:
        outcome.say(final.stderr[-2000:])
    outcome.say(f"kills survived: {outcome.survived}/{outcome.kills}"
                f" ({outcome.partial_states} left a partial add, {outcome.rounds_completed} adds completed "
                f"before their kill and restarted; {(time.monotonic() - run_started) / 60:.1f} min)")


def run(source: Path, kills: int, seed: int, work: Path, *, estimate: RateEstimate,
        max_attempts: int | None = None, require_partial: bool = False) -> Outcome:
    from bot.config import Settings
    from bot.service import shared_embedder
    from index.intake import parse_paths

    rng = random.Random(seed)
    run_started = time.monotonic()
    default = Settings()
    embedder = shared_embedder(default.model, default.embed_batch_size, default.precision, False)
    parsed = parse_paths([source])
    assert not parsed.rejections, parsed.rejections
    bodies = {a.id: a.body for a in parsed.articles}
    total = len(bodies)
    data_dir = work / "kb"
    shutil.rmtree(data_dir, ignore_errors=True)
    outcome = Outcome()
    outcome.say(f"crash test: {total} articles from {source}, {kills} kills, seed {seed}, data dir {data_dir}")
    attempts = 0
    max_attempts = max_attempts or kills * 4
    while (outcome.kills < kills or (require_partial and not outcome.partial_states)) and attempts < max_attempts:
        attempts += 1
        before = present_count(data_dir)
        if before == total:
            outcome.rounds_completed += 1
            outcome.say(f"  the add completed ({total} articles); starting over in an empty data dir")
            shutil.rmtree(data_dir)
            before = 0
        attempt = start_attempt(attempts, data_dir, source, work, before)
        roll = rng.random()
        if require_partial and not outcome.partial_states and kills - outcome.kills <= 2:
            roll = 0.3  # the last chances to prove a kill mid-add: kill right after a commit
        choose_kill_point(attempt, data_dir, total, roll, rng, estimate, kills, quick=require_partial)
        killed, killed_at = kill_when_due(attempt)
        ok, detail, after = check_after_kill(data_dir, embedder, bodies)
        if attempt.ingest_started is not None:
            startup = attempt.ingest_started - attempt.started
            estimate.update(startup, max(0, after - before), killed_at - startup)
        if not killed:
            if attempt.process.returncode != 0 or not ok:
                outcome.say(f"  attempt {attempts}: the add ended by itself with exit "
                            f"{attempt.process.returncode}: {detail}")
                outcome.log.append(attempt.err_path.read_text(errors="replace")[-2000:])
                return outcome
            continue
        outcome.kills += 1
        outcome.survived += ok
        partial = 0 < after < total
        outcome.partial_states += partial
        outcome.say(f"  kill {outcome.kills}: SIGKILL at {killed_at:5.1f} s ({attempt.phase}); articles {before} → "
                    f"{after}{' (partial)' if partial else ''}: {'ok' if ok else 'FAILED'}: {detail}")
        if not ok:
            shutil.copytree(data_dir, work / f"failed-kill-{outcome.kills}", dirs_exist_ok=True)
    rerun_to_completion(outcome, data_dir, source, embedder, bodies, run_started)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the 609 MultiHop-RAG articles (slow)")
    parser.add_argument("--articles", type=Path, default=MULTIHOP_ARTICLES, help="the corpus for --full")
    parser.add_argument("--count", type=int, default=40, help="generated articles in quick mode")
    parser.add_argument("--kills", type=int, help="kills to deliver (default 24 with --full, else 5)")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one, removed on success)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="newsbot-crash-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.full:
        if not args.articles.is_file():
            print(f"crash_add: {args.articles} not found (set --articles or MULTIHOP_RAG_ARTICLES)", file=sys.stderr)
            return 2
        source, kills, estimate = args.articles, args.kills or 24, RateEstimate(startup=15.0, batch_seconds=60.0)
    else:
        source = work / "articles.jsonl"
        write_generated_articles(source, args.count)
        kills, estimate = args.kills or 5, RateEstimate(startup=5.0, batch_seconds=4.0)
    outcome = run(source, kills, args.seed, work, estimate=estimate, require_partial=not args.full)
    good = outcome.kills >= kills and outcome.survived == outcome.kills and outcome.final_ok
    if good and not args.work:
        shutil.rmtree(work, ignore_errors=True)
    elif not good:
        print(f"crash_add: evidence kept in {work}", file=sys.stderr)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
