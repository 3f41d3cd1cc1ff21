"""The tantivy lexical index is derived data: missing, damaged, behind SQLite after a kill,
or of an earlier build, it is detected with a one-line warning and rebuilt or caught up
from SQLite, and the next answer is right. Real tantivy, SQLite, FAISS and model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from index.embedding import Embedder
from index.store.embedded import EmbeddedKnowledgeBase
from index.store.embedded.layout import LEXICAL_DIR
from index.store.embedded.lexical import LexicalIndex
from tests.reliability.figures import record
from tests.reliability.kbcheck import check_whole_or_absent
from tests.reliability.test_corruption import QUESTION, doctor

REPO = Path(__file__).resolve().parents[2]


def ask(capsys: pytest.CaptureFixture[str], data_dir: Path) -> tuple[dict, str]:
    code = main(["--data-dir", str(data_dir), "ask", QUESTION, "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err, err
    answer = json.loads(out)
    assert any("groundless" in q["text"] for q in answer["quotes"]), answer
    return answer, err


def biggest(data_dir: Path, suffix: str) -> Path:
    return max((data_dir / LEXICAL_DIR).glob(f"*.{suffix}"), key=lambda p: p.stat().st_size)


def flip_bit(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "index folder deleted": lambda d: shutil.rmtree(d / LEXICAL_DIR),
    "meta.json garbled": lambda d: (d / LEXICAL_DIR / "meta.json").write_text('{"segments": ['),
    "a postings file truncated": lambda d: os.truncate(biggest(d, "idx"), biggest(d, "idx").stat().st_size // 2),
    "a term dictionary bit flipped": lambda d: flip_bit(biggest(d, "term")),
    "a segment file deleted": lambda d: biggest(d, "pos").unlink(),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_missing_or_damaged_lexical_index_is_detected_and_rebuilt_from_sqlite(
        damage: str, seeded_dir: Path, embedder: Embedder, capsys: pytest.CaptureFixture[str]) -> None:
    expected = check_whole_or_absent(seeded_dir, embedder)
    assert (seeded_dir / LEXICAL_DIR).is_dir()
    DAMAGE[damage](seeded_dir)
    checks = doctor(seeded_dir, embedder)  # a fresh process's first open verifies and repairs
    lexical = checks["lexical index"]
    flagged = "repaired" in lexical.detail and "rebuilding it from the database" in lexical.detail
    DAMAGE[damage](seeded_dir)  # the same damage again: now the store meets it on a question
    _, err = ask(capsys, seeded_dir)
    warned = [line for line in err.splitlines() if "lexical index" in line]
    record("corruptions detected", flagged and len(warned) == 1)
    assert flagged, lexical
    assert len(warned) == 1 and warned[0].startswith("newsbot: warning: ") and "rebuilding it" in warned[0], err
    assert check_whole_or_absent(seeded_dir, embedder) == expected
    _, err = ask(capsys, seeded_dir)
    assert "lexical" not in err, "the rebuilt index was not kept"


def test_doctor_flags_a_damaged_segment_file_it_finds_after_opening(seeded_dir: Path, embedder: Embedder) -> None:
    kb = EmbeddedKnowledgeBase.open(seeded_dir, embedder)
    try:
        with kb.reader():
            pass
        flip_bit(biggest(seeded_dir, "term"))  # damage after the store has opened it
        report = kb.lexical_report()
    finally:
        kb.close()
    assert report["damage"] and "CRC-32" in report["damage"], report


KILL_BEFORE_LEXICAL_COMMIT = """
import os, signal, sys
from bot.cli import main
from index.store.embedded.lexical import LexicalWriter
LexicalWriter.commit = lambda self, state: os.kill(os.getpid(), signal.SIGKILL)  # after SQLite's commit
main(["--data-dir", sys.argv[1], "index", "add", sys.argv[2]])
"""


def test_a_kill_between_the_sqlite_commit_and_the_lexical_commit_is_caught_up_on_the_next_open(
        seeded_dir: Path, embedder: Embedder, tmp_path: Path) -> None:
    article = tmp_path / "ferry.txt"
    article.write_text("Harbour ferry\n\nThe zanzibarian ferry operator confirmed new routes. "
                       "Tickets go on sale in March.\n\nSource: Test Wire\nId: kill-1\n")
    done = subprocess.run([sys.executable, "-c", KILL_BEFORE_LEXICAL_COMMIT, str(seeded_dir), str(article)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == -9, done.stderr[-2000:]
    lexical = LexicalIndex.open(seeded_dir / LEXICAL_DIR, create=False)
    assert lexical.state().high < max(check_ids(seeded_dir)), "the kill should leave the index behind"
    kb = EmbeddedKnowledgeBase.open(seeded_dir, embedder)
    try:
        with kb.reader() as snap:
            hits = [c for c, _ in snap.lexical_search(["zanzibarian"], 5)]
            assert {row.article_id for row in snap.chunks(hits).values()} == {"kill-1"}
    finally:
        kb.close()
    check_whole_or_absent(seeded_dir, embedder)


def check_ids(data_dir: Path) -> set[int]:
    import sqlite3

    db = sqlite3.connect(f"file:{data_dir / 'newsbot.db'}?mode=ro", uri=True)
    try:
        return {r[0] for r in db.execute("SELECT id FROM chunks")}
    finally:
        db.close()


KILL_REMOVE_BEFORE_LEXICAL_COMMIT = KILL_BEFORE_LEXICAL_COMMIT.replace('"index", "add"', '"index", "remove"')


def test_a_removal_the_lexical_index_missed_is_never_answered_from(seeded_dir: Path, embedder: Embedder) -> None:
    """A reader whose index lags SQLite (its writer died before the lexical commit, and a
    writer holds the lock now) drops hits of removed chunks; it catches up once the lock is free."""
    kb = EmbeddedKnowledgeBase.open(seeded_dir, embedder)
    holder = EmbeddedKnowledgeBase.open(seeded_dir, embedder)
    try:
        with kb.reader() as snap:
            hits = [c for c, _ in snap.lexical_search(["groundless"], 5)]
            [article_id] = {row.article_id for row in snap.chunks(hits).values()}
        done = subprocess.run([sys.executable, "-c", KILL_REMOVE_BEFORE_LEXICAL_COMMIT, str(seeded_dir), article_id],
                              cwd=REPO, capture_output=True, text=True, timeout=300)
        assert done.returncode == -9, done.stderr[-2000:]
        with holder._writing(), kb.reader() as snap:  # a writer holds the lock: no catch-up now
            assert snap.lexical_search(["groundless"], 5) == []
            assert kb._lexical.state().seq == 0, "the reader must not write while the lock is held"
        with kb.reader() as snap:  # the lock is free: the reader catches the index up
            assert snap.lexical_search(["groundless"], 5) == []
            assert kb._lexical.state().seq > 0
    finally:
        kb.close()
        holder.close()
    check_whole_or_absent(seeded_dir, embedder)


def test_rebuild_replaces_the_lexical_index_with_one_of_the_new_epoch(
        seeded_dir: Path, embedder: Embedder, capsys: pytest.CaptureFixture[str]) -> None:
    before = LexicalIndex.open(seeded_dir / LEXICAL_DIR, create=False).state()
    code = main(["--data-dir", str(seeded_dir), "index", "rebuild"])
    _, err = capsys.readouterr()
    assert code == 0 and "warning" not in err, err
    after = LexicalIndex.open(seeded_dir / LEXICAL_DIR, create=False).state()
    assert after.epoch != before.epoch
    assert not (seeded_dir / f"{LEXICAL_DIR}.new").exists() and not (seeded_dir / f"{LEXICAL_DIR}.old").exists()
    check_whole_or_absent(seeded_dir, embedder)
    ask(capsys, seeded_dir)
