"""Concurrency: questions answered while an add runs, and two writers in two processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.cli import main
from bot.doctor import writer_busy
from bot.service import NewsService
from index.embedding import Embedder
from index.store import INGEST_BATCH
from tests.conftest import REPO
from tests.reliability.crash_add import write_generated_articles
from tests.reliability.figures import record
from tests.reliability.kbcheck import check_whole_or_absent
from tests.reliability.lock_holder import hold_writer_lock, release

QUESTIONS = [
    "Did Hyundai confirm the plant deal?",
    "Who led the Lumen Labs funding round?",
    "What did the harbor council vote on the bridge toll?",
    "Which turbine was recalled?",
    "What happened to the ferry budget and the rail freight grant?",
]


class ReadersDuringAnAdd:
    """One add in a thread, 20 questions and a snapshot prober in others, all at once. What
    each saw is kept: answers, (time, article count) per read view, errors, the add's window."""

    def __init__(self, service: NewsService, source: Path, allowed: list[set[str]], expected_added: int) -> None:
        self.service, self.source, self.allowed, self.expected_added = service, source, allowed, expected_added
        self.errors: list[BaseException] = []
        self.answers: list = []
        self.probes: list[tuple[float, int]] = []
        self.add_window: dict[str, float] = {}
        self.done = threading.Event()

    def writer(self) -> None:
        self.add_window["start"] = time.monotonic()
        try:
            outcome = self.service.add_paths([self.source])
            assert outcome.ok and len(outcome.report.added) == self.expected_added
        except BaseException as exc:
            self.errors.append(exc)
        finally:
            self.add_window["end"] = time.monotonic()
            self.done.set()

    def asker(self, question: str) -> None:
        try:
            self.answers.append(self.service.ask(question))
        except BaseException as exc:
            self.errors.append(exc)

    def prober(self) -> None:
        """Snapshot-level check: SQLite and the FAISS index agree within every read view."""
        kb = self.service.kb
        try:
            while not self.done.is_set() or len(self.probes) < 3:
                with kb.reader() as snap:
                    ids = {r[0] for r in snap.query("SELECT id FROM articles")}
                    chunk_ids = {r[0] for r in snap.query("SELECT id FROM chunks")}
                    faiss_ids = set(kb._vectors.ids().tolist())
                    orphans = snap.query("SELECT count(*) FROM chunks WHERE article_id NOT IN "
                                         "(SELECT id FROM articles)")[0][0]
                    assert ids in self.allowed, f"a reader saw {len(ids)} articles: not a committed state"
                    assert faiss_ids == chunk_ids, "the vector index and the chunk rows disagree"
                    assert orphans == 0
                    self.probes.append((time.monotonic(), len(ids)))
                time.sleep(0.01)
        except BaseException as exc:
            self.errors.append(exc)

    def run(self, questions: int = 20) -> None:
        threads = [threading.Thread(target=self.writer), threading.Thread(target=self.prober)]
        threads += [threading.Thread(target=self.asker, args=(QUESTIONS[i % len(QUESTIONS)],))
                    for i in range(questions)]
        threads[0].start()
        time.sleep(0.2)  # the add is under way (planning, then embedding) when the questions arrive
        for thread in threads[1:]:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)

    def counts_during_the_add(self) -> list[int]:
        return [n for t, n in self.probes if self.add_window["start"] <= t <= self.add_window["end"]]


def test_questions_during_an_add_see_the_old_or_the_new_state_never_a_mix(
        service: NewsService, tmp_path: Path) -> None:
    kb = service.kb
    source = tmp_path / "new.jsonl"
    write_generated_articles(source, INGEST_BATCH + 6)  # two transactions: 24 articles, then 6
    new_ids = [json.loads(line)["id"] for line in source.read_text().splitlines()]
    before = {row.id for row in kb.list_articles()}
    # The states a reader may see: before, after the first batch, after the second.
    allowed = [before, before | set(new_ids[:INGEST_BATCH]), before | set(new_ids)]
    run = ReadersDuringAnAdd(service, source, allowed, len(new_ids))
    run.run()
    assert not run.errors, run.errors
    assert len(run.answers) == 20
    final = allowed[-1]
    bodies = {row.id: row.body for row in (kb.get_article(i) for i in final)}
    for answer in run.answers:
        for item in answer.to_dict()["passages"] + answer.to_dict()["quotes"]:
            assert item["article_id"] in final
            assert bodies[item["article_id"]][item["start"]:item["end"]] == item["text"]
    during = run.counts_during_the_add()
    assert during, "no read view was taken while the add ran"
    assert {len(s) for s in allowed[:2]} & set(during), "readers never saw the state before the add finished"
    assert check_whole_or_absent(service.settings.data_dir, service.embedder).articles == len(final)


# ----------------------------------------------------------------------------- two processes


def lock_is_held(data_dir: Path) -> bool:
    return writer_busy(data_dir / "write.lock")


def start_add(data_dir: Path, source: Path, log: Path, lock_timeout: float | None = None) -> subprocess.Popen:
    env = {**os.environ, **({"NEWSBOT_LOCK_TIMEOUT": str(lock_timeout)} if lock_timeout is not None else {})}
    with log.open("wb") as err:
        return subprocess.Popen([sys.executable, "-m", "bot.cli", "--data-dir", str(data_dir), "index", "add",
                                 str(source), "--json"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err)


def rowids(data_dir: Path, ids: list[str]) -> list[int]:
    import sqlite3

    db = sqlite3.connect(data_dir / "newsbot.db")
    try:
        marks = ",".join("?" * len(ids))
        return [r[0] for r in db.execute(f"SELECT rowid FROM articles WHERE id IN ({marks})", ids)]
    finally:
        db.close()


def test_a_second_writer_process_fails_clearly_or_waits_and_nothing_is_corrupted(
        tmp_path: Path, embedder: Embedder) -> None:
    data_dir = tmp_path / "kb"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    write_generated_articles(first, 2 * INGEST_BATCH, seed=1)
    write_generated_articles(second, 10, seed=2)
    # The second file's ids must differ from the first's.
    second.write_text(second.read_text().replace('"crash-', '"second-'))
    first_ids = [json.loads(line)["id"] for line in first.read_text().splitlines()]
    second_ids = [json.loads(line)["id"] for line in second.read_text().splitlines()]
    data_dir.mkdir()

    writer_a = start_add(data_dir, first, tmp_path / "a.err")
    deadline = time.monotonic() + 120
    while not lock_is_held(data_dir) and writer_a.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert writer_a.poll() is None, "the first add ended before it could be raced"
    impatient = start_add(data_dir, second, tmp_path / "b.err", lock_timeout=1)
    patient = start_add(data_dir, second, tmp_path / "c.err", lock_timeout=600)
    impatient_out, _ = impatient.communicate(timeout=300)
    a_running_when_b_gave_up = writer_a.poll() is None
    a_out, _ = writer_a.communicate(timeout=600)
    patient_out, _ = patient.communicate(timeout=600)

    impatient_err = (tmp_path / "b.err").read_text()
    assert writer_a.returncode == 0, (tmp_path / "a.err").read_text()[-2000:]
    assert len(json.loads(a_out)["added"]) == len(first_ids)
    # The impatient writer gave up with one clear line while the first one was still writing.
    assert a_running_when_b_gave_up
    assert impatient.returncode == 1 and impatient_out == b""
    assert "Traceback" not in impatient_err
    assert impatient_err.strip().splitlines()[-1] == ("newsbot: error: another newsbot process is changing this "
                                                      "knowledge base; try again when it has finished")
    record("writers serialised", True)
    # The patient one waited for the lock, then added everything after the first writer's rows.
    assert patient.returncode == 0, (tmp_path / "c.err").read_text()[-2000:]
    assert len(json.loads(patient_out)["added"]) == len(second_ids)
    assert max(rowids(data_dir, first_ids)) < min(rowids(data_dir, second_ids)), "the two adds interleaved"
    record("writers serialised", True)
    state = check_whole_or_absent(data_dir, embedder)
    assert state.articles == len(first_ids) + len(second_ids)


def test_a_reader_in_another_process_is_not_blocked_by_a_writer(seeded_dir: Path, capsys, monkeypatch) -> None:
    holder = hold_writer_lock(seeded_dir, 300)
    try:
        monkeypatch.setenv("NEWSBOT_LOCK_TIMEOUT", "600")  # a reader that waited would wait for the holder
        code = main(["--data-dir", str(seeded_dir), "ask", "Did Hyundai confirm the plant deal?", "--json"])
        out, err = capsys.readouterr()
        answered_while_held = holder.poll() is None
    finally:
        released_cleanly = release(holder)
    assert code == 0, err
    assert answered_while_held and released_cleanly, "the question waited for the writer to finish"
    assert any("groundless" in q["text"] for q in json.loads(out)["quotes"])
