"""The CLI contract that outside acceptance checks rely on: commands, flags, JSON fields,
exit codes, and the offsets invariant between `ask --json` and `index show --json`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import REPO, TEST_ARTICLES

QUESTION = "Did Hyundai confirm the plant deal?"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def bodies_by_id(capsys: pytest.CaptureFixture[str], data_dir: Path, ids: set[str]) -> dict[str, str]:
    bodies = {}
    for article_id in ids:
        code, out, _ = run_cli(capsys, "--data-dir", str(data_dir), "index", "show", article_id, "--json")
        assert code == 0
        bodies[article_id] = json.loads(out)["body"]
    return bodies


def test_ask_json_has_the_contract_fields_and_every_offset_holds(seeded_dir: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", QUESTION, "--json")
    assert code == 0
    answer = json.loads(out)
    assert {"question", "answer", "short_answer", "verdict", "abstained", "quotes", "passages"} <= answer.keys()
    assert answer["question"] == QUESTION and not answer["abstained"]
    assert answer["quotes"] and len(answer["passages"]) == 9  # the 8 small articles hold 9 chunks in all
    for quote in answer["quotes"]:
        assert {"article_id", "title", "source", "url", "published_at", "text", "start", "end"} <= quote.keys()
    for passage in answer["passages"]:
        assert {"article_id", "text", "start", "end", "score"} <= passage.keys()
    scores = [p["score"] for p in answer["passages"]]
    assert scores == sorted(scores, reverse=True)
    bodies = bodies_by_id(capsys, seeded_dir, {q["article_id"] for q in answer["quotes"] + answer["passages"]})
    for item in answer["quotes"] + answer["passages"]:
        assert bodies[item["article_id"]][item["start"]:item["end"]] == item["text"]
    assert any("groundless" in q["text"] for q in answer["quotes"])


def test_top_k_limits_the_passages(seeded_dir: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", "bridge toll vote", "--json", "--top-k", "3")
    assert code == 0
    assert len(json.loads(out)["passages"]) == 3


@pytest.mark.parametrize("question", ["", "   \n\t ", "x" * 2001])
def test_empty_or_over_long_questions_exit_2_with_one_line(seeded_dir: Path, capsys, question: str) -> None:
    code, out, err = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", question)
    assert code == 2
    assert out == ""
    assert err.startswith("newsbot: error: the question") and err.count("\n") == 1
    assert "Traceback" not in err


def test_unknown_command_is_a_usage_error(capsys) -> None:
    code, _, err = run_cli(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err


def test_batch_answers_each_line_in_order_echoing_ids(seeded_dir: Path, tmp_path: Path, capsys) -> None:
    batch = tmp_path / "questions.jsonl"
    batch.write_text("\n".join([
        json.dumps({"id": "q1", "question": QUESTION}),
        json.dumps({"question": "Who led the Lumen Labs funding round?"}),
        json.dumps({"id": 7, "question": ""}),
    ]) + "\n")
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", "--batch", str(batch), "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line.get("id") for line in lines] == ["q1", None, 7]
    assert lines[0]["question"] == QUESTION and lines[0]["quotes"]
    assert "Greenfield" in " ".join(q["text"] for q in lines[1]["quotes"])
    assert lines[2]["error"] == "the question is empty"
    assert code == 2  # one input line was bad; the others were still answered


def test_index_add_reports_added_skipped_and_rejected_and_exits_1_on_rejection(tmp_path: Path, capsys) -> None:
    data_dir = tmp_path / "kb"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "notes.pdf").write_bytes(b"%PDF")
    code, out, _ = run_cli(capsys, "--data-dir", str(data_dir), "index", "add", str(TEST_ARTICLES), str(bad), "--json")
    summary = json.loads(out)
    assert code == 1
    assert len(summary["added"]) == 7 and not summary["skipped"]
    assert sorted(Path(r["file"]).name for r in summary["rejected"]) == ["empty.txt", "notes.pdf"]
    assert all(r["reason"] for r in summary["rejected"])
    code, out, _ = run_cli(capsys, "--data-dir", str(data_dir), "index", "add", str(TEST_ARTICLES))
    assert code == 0
    assert "0 added, 0 replaced, 7 skipped, 0 rejected" in out


def test_list_show_and_remove(seeded_dir: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "index", "list", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 8
    dated = [r["published_at"] for r in rows if r["published_at"]]
    assert len(dated) == 7 and dated == sorted(dated, reverse=True)  # newest first
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "index", "remove", "wire-0002")
    assert code == 0 and "removed: wire-0002" in out
    code, _, err = run_cli(capsys, "--data-dir", str(seeded_dir), "index", "show", "wire-0002")
    assert code == 2 and "no article with id 'wire-0002'" in err
    code, _, err = run_cli(capsys, "--data-dir", str(seeded_dir), "index", "remove", "wire-0002")
    assert code == 2


def test_model_mismatch_is_a_clear_error(seeded_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_MODEL", "sentence-transformers/paraphrase-MiniLM-L3-v2")
    code, _, err = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", QUESTION)
    assert code == 1
    assert "newsbot index rebuild" in err and "Traceback" not in err


def test_readme_example_on_an_empty_data_dir_seeds_itself_in_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(tmp_path / "fresh")}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "ask", QUESTION, "--json"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "indexing the seed articles" in result.stderr
    answer = json.loads(result.stdout)
    assert any("groundless" in q["text"] for q in answer["quotes"])
