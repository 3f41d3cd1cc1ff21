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

QUESTIONS = [
    "Did Hyundai confirm the plant deal?",
    "Who led the Lumen Labs funding round?",
    "What did the harbor council vote on the bridge toll?",
    "Which turbine was recalled?",
    "What happened to the ferry budget and the rail freight grant?",
]


def test_questions_during_an_add_see_the_old_or_the_new_state_never_a_mix(
        service: NewsService, tmp_path: Path) -> None:
    kb = service.kb
    source = tmp_path / "new.jsonl"
    write_generated_articles(source, INGEST_BATCH + 6)  # two transactions: 24 articles, then 6
    new_ids = [json.loads(line)["id"] for line in source.read_text().splitlines()]
    before = {row.id for row in kb.list_articles()}
    # The states a reader may see: before, after the first batch, after the second.
    allowed = [before, before | set(new_ids[:INGEST_BATCH]), before | set(new_ids)]
    errors: list[BaseException] = []
    answers = []
    probes: list[tuple[float, int]] = []
    done = threading.Event()
    add_window: dict[str, float] = {}

    def writer() -> None:
        add_window["start"] = time.monotonic()
        try:
            outcome = service.add_paths([source])
            assert outcome.ok and len(outcome.report.added) == len(new_ids)
        except BaseException as exc:
            errors.append(exc)
        finally:
            add_window["end"] = time.monotonic()
            done.set()

    def asker(question: str) -> None:
        try:
            answers.append(service.ask(question))
        except BaseException as exc:
            errors.append(exc)

    def prober() -> None:
        """Snapshot-level check: SQLite and the FAISS index agree within every read view."""
        try:
            while not done.is_set() or len(probes) < 3:
                with kb.reader() as snap:
                    ids = {r[0] for r in snap.query("SELECT id FROM articles")}
                    chunk_ids = {r[0] for r in snap.query("SELECT id FROM chunks")}
                    faiss_ids = set(kb._vectors.ids().tolist())
                    orphans = snap.query("SELECT count(*) FROM chunks WHERE article_id NOT IN "
                                         "(SELECT id FROM articles)")[0][0]
                    assert ids in allowed, f"a reader saw {len(ids)} articles: not a committed state"
                    assert faiss_ids == chunk_ids, "the vector index and the chunk rows disagree"
                    assert orphans == 0
                    probes.append((time.monotonic(), len(ids)))
                time.sleep(0.01)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=prober)]
    threads += [threading.Thread(target=asker, args=(QUESTIONS[i % len(QUESTIONS)],)) for i in range(20)]
    threads[0].start()
    time.sleep(0.2)  # the add is under way (planning, then embedding) when the questions arrive
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors
    assert len(answers) == 20
    final = allowed[-1]
    bodies = {row.id: row.body for row in (kb.get_article(i) for i in final)}
    for answer in answers:
        for item in answer.to_dict()["passages"] + answer.to_dict()["quotes"]:
            assert item["article_id"] in final
            assert bodies[item["article_id"]][item["start"]:item["end"]] == item["text"]
    during = [n for t, n in probes if add_window["start"] <= t <= add_window["end"]]
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
    a_ended = time.monotonic()
    patient_out, _ = patient.communicate(timeout=600)
    patient_ended = time.monotonic()

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
    assert patient_ended >= a_ended
    assert max(rowids(data_dir, first_ids)) < min(rowids(data_dir, second_ids)), "the two adds interleaved"
    record("writers serialised", True)
    state = check_whole_or_absent(data_dir, embedder)
    assert state.articles == len(first_ids) + len(second_ids)


HOLD_WRITER_LOCK = """
import sys, time
from pathlib import Path
from index.embedding import Embedder
from index.store.embedded import EmbeddedKnowledgeBase
kb = EmbeddedKnowledgeBase.open(Path(sys.argv[1]), Embedder())   # the model is never loaded
with kb._writing():                                      # what an add holds while it embeds
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_reader_in_another_process_is_not_blocked_by_a_writer(seeded_dir: Path, capsys, monkeypatch) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WRITER_LOCK, str(seeded_dir), "60"], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        monkeypatch.setenv("NEWSBOT_LOCK_TIMEOUT", "2")
        code = main(["--data-dir", str(seeded_dir), "ask", "Did Hyundai confirm the plant deal?", "--json"])
        _, err = capsys.readouterr()
        assert code == 0, err
    finally:
        holder.kill()
        holder.wait()
