"""Corruption: a damaged FAISS checkpoint or SQLite file is detected with a clear message,
and `newsbot index rebuild` restores a working index from the stored article text.

Every case counts towards the "corruptions detected" figure: detected means the store
warned or refused with a clear one-line message, or `newsbot doctor` failed the right
check with a fix.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.doctor import run_checks
from bot.service import NewsService
from index.embedding import Embedder
from index.store.embedded import EmbeddedKnowledgeBase
from index.store.embedded.layout import CHECKPOINT_POINTER, DB_NAME
from tests.conftest import settings_for
from tests.reliability.figures import record
from tests.reliability.kbcheck import check_whole_or_absent

QUESTION = "Did Hyundai confirm the plant deal?"


def cli(capsys: pytest.CaptureFixture[str], data_dir: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def doctor(data_dir: Path, embedder: Embedder) -> dict[str, object]:
    service = NewsService(settings_for(data_dir), embedder=embedder)
    try:
        return {c.name: c for c in run_checks(service)}
    finally:
        service.close()


def kb_checks_ok(checks: dict) -> bool:
    return all(c.ok for name, c in checks.items() if name not in ("discord token",))


def assert_one_clear_line(err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("newsbot: warning:")]
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("newsbot: error: "), err


def answers(capsys: pytest.CaptureFixture[str], data_dir: Path) -> dict:
    code, out, err = cli(capsys, data_dir, "ask", QUESTION, "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert any("groundless" in q["text"] for q in answer["quotes"]), answer
    return answer


# ----------------------------------------------------------------------------- FAISS checkpoint


def write_checkpoint(data_dir: Path, embedder: Embedder) -> tuple[Path, Path]:
    kb = EmbeddedKnowledgeBase.open(data_dir, embedder)
    kb.checkpoint()
    kb.close()
    pointer = data_dir / CHECKPOINT_POINTER
    info = json.loads(pointer.read_text())
    return pointer, data_dir / info["file"]


def truncate_half(pointer: Path, faiss_file: Path) -> None:
    os.truncate(faiss_file, faiss_file.stat().st_size // 2)


def truncate_empty(pointer: Path, faiss_file: Path) -> None:
    os.truncate(faiss_file, 0)


def flip_bit_middle(pointer: Path, faiss_file: Path) -> None:
    data = bytearray(faiss_file.read_bytes())
    data[len(data) // 2] ^= 0x10
    faiss_file.write_bytes(bytes(data))


def flip_bit_header(pointer: Path, faiss_file: Path) -> None:
    data = bytearray(faiss_file.read_bytes())
    data[3] ^= 0x01
    faiss_file.write_bytes(bytes(data))


def append_garbage(pointer: Path, faiss_file: Path) -> None:
    with faiss_file.open("ab") as handle:
        handle.write(b"\0garbage" * 64)


def delete_file(pointer: Path, faiss_file: Path) -> None:
    faiss_file.unlink()


def garble_pointer(pointer: Path, faiss_file: Path) -> None:
    pointer.write_text('{"file": "vectors-')


CHECKPOINT_DAMAGE: dict[str, Callable[[Path, Path], None]] = {  # the first four run in CI, all with slow tests
    "truncated to half": truncate_half, "truncated to 0 bytes": truncate_empty,
    "one bit flipped in the vectors": flip_bit_middle, "one bit flipped in the header": flip_bit_header,
    "garbage appended": append_garbage, "file deleted": delete_file, "pointer garbled": garble_pointer,
}


@pytest.mark.parametrize("damage", [d if i < 4 else pytest.param(d, marks=pytest.mark.slow)
                                    for i, d in enumerate(CHECKPOINT_DAMAGE)])
def test_a_damaged_faiss_checkpoint_is_detected_and_the_index_recovered(
        damage: str, seeded_dir: Path, embedder: Embedder, capsys: pytest.CaptureFixture[str]) -> None:
    pointer, faiss_file = write_checkpoint(seeded_dir, embedder)
    assert kb_checks_ok(doctor(seeded_dir, embedder))
    expected = check_whole_or_absent(seeded_dir, embedder)
    CHECKPOINT_DAMAGE[damage](pointer, faiss_file)
    damaged = {path: path.read_bytes() if path.exists() else None for path in (pointer, faiss_file)}

    # The doctor names the file and says what to do.
    checks = doctor(seeded_dir, embedder)
    flagged = not checks["vector checkpoint"].ok and "rebuild" in checks["vector checkpoint"].fix
    # The same damage again (loading the index may have replaced the checkpoint)...
    for path in seeded_dir.glob("vectors*"):
        path.unlink()
    for path, data in damaged.items():
        if data is not None:
            path.write_bytes(data)
    # ...and the store warns once, in one line, and answers from vectors rebuilt from SQLite.
    code, out, err = cli(capsys, seeded_dir, "ask", QUESTION, "--json")
    assert code == 0 and "Traceback" not in err, err
    warned = "checkpoint is unusable" in err
    assert any("groundless" in q["text"] for q in json.loads(out)["quotes"])
    assert check_whole_or_absent(seeded_dir, embedder) == expected
    record("corruptions detected", flagged and (warned or damage == "pointer garbled"))
    assert flagged, checks["vector checkpoint"]
    if damage != "pointer garbled":  # an unreadable pointer is simply ignored by the store
        assert warned and err.count("\n") == 1, err

    if damage != "one bit flipped in the vectors":
        return  # the rebuild below re-derives the same thing for every kind of damage: run it once
    # A rebuild writes a fresh, valid checkpoint, and the warning is gone.
    code, _, err = cli(capsys, seeded_dir, "index", "rebuild")
    assert code == 0, err
    assert kb_checks_ok(doctor(seeded_dir, embedder))
    code, _, err = cli(capsys, seeded_dir, "ask", QUESTION)
    assert code == 0 and "warning" not in err, err


def test_a_damaged_checkpoint_is_replaced_without_a_rebuild(seeded_dir: Path, embedder: Embedder,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """After the store has rebuilt the index from SQLite, it should save a good checkpoint,
    so the warning (and the full replay) does not repeat at every start."""
    pointer, faiss_file = write_checkpoint(seeded_dir, embedder)
    flip_bit_middle(pointer, faiss_file)
    code, _, first = cli(capsys, seeded_dir, "ask", QUESTION)
    assert code == 0 and "checkpoint is unusable" in first
    code, _, second = cli(capsys, seeded_dir, "ask", QUESTION)
    assert code == 0
    assert "checkpoint is unusable" not in second, "the damaged checkpoint was not replaced"


# ----------------------------------------------------------------------------- SQLite


def settle(data_dir: Path) -> None:
    """Everything in the main database file (no WAL frames), so page damage sticks."""
    db = sqlite3.connect(data_dir / DB_NAME)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def pages(data_dir: Path, table: str, kind: str | None = "leaf") -> list[int]:
    db = sqlite3.connect(data_dir / DB_NAME)
    try:
        sql = "SELECT pageno FROM dbstat WHERE name = ?" + (" AND pagetype = ?" if kind else "")
        return [r[0] for r in db.execute(sql, (table, kind) if kind else (table,))]
    finally:
        db.close()


def overwrite_pages(data_dir: Path, numbers: list[int], seed: int = 1) -> None:
    assert numbers
    rng = random.Random(seed)
    page_size = 4096
    with open(data_dir / DB_NAME, "r+b") as handle:
        for number in numbers:
            handle.seek((number - 1) * page_size)
            handle.write(rng.randbytes(page_size))


def article_ids(data_dir: Path) -> set[str]:
    db = sqlite3.connect(data_dir / DB_NAME)
    try:
        return {r[0] for r in db.execute("SELECT id FROM articles")}
    finally:
        db.close()


@pytest.mark.parametrize("damage", ["truncated to half", "header page overwritten"])
def test_a_database_damaged_beyond_its_articles_is_refused_clearly_at_load(
        damage: str, seeded_dir: Path, embedder: Embedder, capsys: pytest.CaptureFixture[str]) -> None:
    settle(seeded_dir)
    path = seeded_dir / DB_NAME
    if damage == "truncated to half":
        os.truncate(path, path.stat().st_size // 2)
    else:
        overwrite_pages(seeded_dir, [1])
    damaged = path.read_bytes()
    code, out, err = cli(capsys, seeded_dir, "ask", QUESTION)
    assert code == 1 and out == ""
    assert_one_clear_line(err)
    clear = "damaged" in err and "newsbot doctor" in err
    checks = doctor(seeded_dir, embedder)
    flagged = not checks["knowledge base"].ok and not checks["integrity"].ok and checks["integrity"].fix
    record("corruptions detected", bool(clear and flagged))
    assert clear and flagged, (err, checks)
    # The article text is unreadable, so a rebuild must fail clearly and leave the file as it was
    # (it is the user's only copy, e.g. for a recovery tool).
    code, _, err = cli(capsys, seeded_dir, "index", "rebuild")
    assert code == 1
    assert_one_clear_line(err)
    assert path.read_bytes() == damaged


# Pages of tables derived from the article text (and of the company enricher's tables).
DERIVED = ["sentences", "chunk_vectors",
           pytest.param("chunks", marks=pytest.mark.slow), pytest.param("company_mentions", marks=pytest.mark.slow)]


@pytest.mark.parametrize("table", DERIVED)
def test_damaged_derived_pages_are_reported_and_rebuild_restores_everything(
        table: str, seeded_dir: Path, embedder: Embedder, capsys: pytest.CaptureFixture[str]) -> None:
    before_ids = article_ids(seeded_dir)
    settle(seeded_dir)
    overwrite_pages(seeded_dir, pages(seeded_dir, table)[:2])
    checks = doctor(seeded_dir, embedder)
    failed = {name for name, c in checks.items() if not c.ok and name != "discord token"}
    flagged = "integrity" in failed and "rebuild" in checks["integrity"].fix
    code, out, err = cli(capsys, seeded_dir, "ask", QUESTION, "--json")
    if code != 0:  # the damage is on the answer's path: one clear line, never a traceback
        assert code == 1 and out == ""
        assert_one_clear_line(err)
    record("corruptions detected", flagged)
    assert flagged, checks

    code, out, err = cli(capsys, seeded_dir, "index", "rebuild")
    assert code == 0, err
    assert f"rebuilt {len(before_ids)} articles" in out
    assert article_ids(seeded_dir) == before_ids
    check_whole_or_absent(seeded_dir, embedder)
    assert kb_checks_ok(doctor(seeded_dir, embedder))
    answers(capsys, seeded_dir)


def test_damage_in_derived_pages_gets_the_damaged_message_not_a_bare_sqlite_error(
        seeded_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settle(seeded_dir)
    overwrite_pages(seeded_dir, pages(seeded_dir, "chunk_vectors")[:2])
    code, _, err = cli(capsys, seeded_dir, "ask", QUESTION)
    assert code == 1
    assert "damaged" in err and "newsbot index rebuild" in err, err


def test_a_partly_damaged_article_table_is_salvaged_row_by_row(
        seeded_dir: Path, embedder: Embedder, capsys: pytest.CaptureFixture[str]) -> None:
    before_ids = article_ids(seeded_dir)
    settle(seeded_dir)
    overwrite_pages(seeded_dir, pages(seeded_dir, "articles")[:1])
    checks = doctor(seeded_dir, embedder)
    flagged = not checks["integrity"].ok and "article table itself is damaged" in checks["integrity"].fix
    record("corruptions detected", flagged)
    assert flagged, checks["integrity"]
    code, out, err = cli(capsys, seeded_dir, "index", "rebuild")
    assert code == 0, err
    after_ids = article_ids(seeded_dir)
    assert after_ids < before_ids and f"rebuilt {len(after_ids)} articles" in out
    assert "unreadable" in err and "Traceback" not in err  # the loss is reported
    check_whole_or_absent(seeded_dir, embedder)
    assert kb_checks_ok(doctor(seeded_dir, embedder))


def test_rebuild_recovers_from_a_damaged_meta_page(seeded_dir: Path, embedder: Embedder,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    before_ids = article_ids(seeded_dir)
    settle(seeded_dir)
    overwrite_pages(seeded_dir, pages(seeded_dir, "meta", kind=None))
    code, _, err = cli(capsys, seeded_dir, "index", "rebuild")
    assert code == 0, err
    assert article_ids(seeded_dir) == before_ids


def test_rebuild_never_replaces_a_database_with_an_empty_one_when_articles_were_unreadable(
        seeded_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settle(seeded_dir)
    [root] = pages(seeded_dir, "articles", kind="internal")
    overwrite_pages(seeded_dir, [root])
    damaged = (seeded_dir / DB_NAME).read_bytes()
    code, out, err = cli(capsys, seeded_dir, "index", "rebuild")
    assert err.count("\n") < 100, f"{err.count(chr(10))} lines on stderr"
    assert code != 0 and "rebuilt 0 articles" not in out
    assert (seeded_dir / DB_NAME).read_bytes() == damaged


def test_a_database_emptied_under_its_checkpoint_is_flagged_by_the_doctor(
        seeded_dir: Path, embedder: Embedder) -> None:
    write_checkpoint(seeded_dir, embedder)
    settle(seeded_dir)
    os.truncate(seeded_dir / DB_NAME, 0)  # SQLite reads a 0-byte file as a new, empty database
    checks = doctor(seeded_dir, embedder)
    flagged = not checks["vector checkpoint"].ok and "truncated" in checks["vector checkpoint"].detail
    record("corruptions detected", flagged)
    assert flagged, checks["vector checkpoint"]


# ----------------------------------------------------------------------------- consistency


def drop_one_vector(data_dir: Path) -> None:
    db = sqlite3.connect(data_dir / DB_NAME)
    db.execute("DELETE FROM chunk_vectors WHERE chunk_id = (SELECT max(chunk_id) FROM chunk_vectors)")
    db.commit()
    db.close()


def test_a_chunk_without_its_vector_is_flagged_by_the_doctor_and_rebuild_repairs_it(
        seeded_dir: Path, embedder: Embedder, capsys: pytest.CaptureFixture[str]) -> None:
    drop_one_vector(seeded_dir)  # what damage that SQLite cannot see (or a hand edit) leaves
    checks = doctor(seeded_dir, embedder)
    flagged = (not checks["consistency"].ok and "1 chunks without a vector" in checks["consistency"].detail
               and not checks["vector index"].ok and "rebuild" in checks["consistency"].fix)
    record("corruptions detected", flagged)
    assert flagged, (checks["consistency"], checks["vector index"])
    code, _, err = cli(capsys, seeded_dir, "index", "rebuild")
    assert code == 0, err
    check_whole_or_absent(seeded_dir, embedder)
    answers(capsys, seeded_dir)


def test_a_chunk_without_its_vector_gives_one_clear_error_not_a_recursion(
        seeded_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    drop_one_vector(seeded_dir)
    code, _, err = cli(capsys, seeded_dir, "ask", QUESTION)
    assert "RecursionError" not in err and err.count("\n") <= 2, err[-500:]
    # SQLite itself lacks the vector, so rebuilding the index from it cannot help: one error
    # that names the fix, and no answer from a store that disagrees with itself.
    assert code == 1 and "newsbot index rebuild" in err.strip().splitlines()[-1], err
