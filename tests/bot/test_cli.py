"""The CLI contract that outside acceptance checks rely on: commands, flags, JSON fields,
exit codes, and the offsets invariant between `ask --json` and `index show --json`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import REPO, TEST_ARTICLES
from tests.fixtures.news_site import NewsSite, story

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


def test_batch_answers_equal_the_same_questions_asked_one_at_a_time(seeded_dir: Path, tmp_path: Path, capsys,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def shown(a: dict) -> tuple:  # not the scores: vectors encoded together differ by rounding
        return a["answer"], a["quotes"], [(p["article_id"], p["start"], p["end"]) for p in a["passages"]]

    questions = [QUESTION, "who led the lumen labs round", "not json", "bridge toll vote?", QUESTION]
    # Asked one at a time first: a single question encodes its own texts and keeps none.
    alone = {q: shown(json.loads(run_cli(capsys, "--data-dir", str(seeded_dir), "ask", q, "--json")[1]))
             for q in questions if q != "not json"}
    # Groups of two, so the encoding ahead crosses group ends, a bad line and a repeat.
    monkeypatch.setattr("bot.cli.BATCH_GROUP", 2)
    batch = tmp_path / "questions.jsonl"
    batch.write_text("\n".join(q if q == "not json" else json.dumps({"question": q}) for q in questions) + "\n")
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", "--batch", str(batch), "--json")
    batched = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and batched[2]["line"] == 3 and batched[2]["error"]
    assert all(shown(answer) == alone[q] for q, answer in zip(questions, batched, strict=True) if q != "not json")


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


# ----------------------------------------------------------------------------- pages and feeds by URL


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[NewsSite]:
    """The loopback news site, allowed for this test (and only 127.0.0.1: not 127.0.0.2)."""
    monkeypatch.setenv("NEWSBOT_FETCH_ALLOW_HOSTS", '["127.0.0.1"]')
    monkeypatch.setenv("NEWSBOT_FETCH_TIMEOUT", "1.5")
    monkeypatch.setenv("NEWSBOT_FETCH_MAX_BYTES", "200000")
    with NewsSite(feed_size=20, slow_seconds=3.0) as news, NewsSite(host="127.0.0.2") as outside:
        news.outside = outside
        yield news
        assert outside.requests == []


def article_ids(capsys, data_dir: Path) -> list[str]:
    code, out, _ = run_cli(capsys, "--data-dir", str(data_dir), "index", "list", "--json")
    assert code == 0
    return [row["id"] for row in json.loads(out)]


def test_index_add_takes_urls_beside_paths_with_the_same_summary(site: NewsSite, tmp_path: Path, capsys) -> None:
    data_dir = tmp_path / "kb"
    url = site.url("/news/story-05.html?utm_campaign=spring")
    code, out, _ = run_cli(capsys, "--data-dir", str(data_dir), "index", "add", url,
                           str(TEST_ARTICLES / "harbor-bridge-toll.md"), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["rejected"] == [] and len(summary["added"]) == 2
    fetched = next(a for a in summary["added"] if a["file"] == url)
    code, out, _ = run_cli(capsys, "--data-dir", str(data_dir), "index", "show", fetched["id"], "--json")
    shown = json.loads(out)
    assert shown["url"] == site.url("/news/story-05.html") and shown["source"] == "Harbor Ledger"
    assert shown["title"] == story(5).title and "Advertisement" not in shown["body"]

    # The same page again, under another spelling of its URL: a duplicate, and nothing changes.
    code, out, _ = run_cli(capsys, "--data-dir", str(data_dir), "index", "add", site.url("/redirect/2/story-05"))
    assert code == 0 and "0 added, 0 replaced, 1 skipped, 0 rejected" in out
    assert f"skipped: {fetched['id']}" in out and "already indexed, unchanged" in out
    assert len(article_ids(capsys, data_dir)) == 2


def test_a_page_whose_url_is_already_indexed_is_a_duplicate(site: NewsSite, tmp_path: Path, capsys) -> None:
    data_dir = tmp_path / "kb"
    record = {"id": "desk-1", "title": "Desk copy", "body": "A desk copy of the story, with other words.",
              "url": site.url("/news/story-06.html")}
    (tmp_path / "desk.json").write_text(json.dumps(record))
    run_cli(capsys, "--data-dir", str(data_dir), "index", "add", str(tmp_path / "desk.json"))
    code, out, _ = run_cli(capsys, "--data-dir", str(data_dir), "index", "add", site.url("/news/story-06.html"))
    assert code == 0 and "duplicate: article desk-1 has the same URL" in out
    assert article_ids(capsys, data_dir) == ["desk-1"]


BAD_URLS = [
    ("/photo.png", "not a web page: the server sent image/png"),
    ("/report.pdf", "not a web page: the server sent application/pdf"),
    ("/missing", "the server answered HTTP 404 Not Found"),
    ("/slow", "timed out after 1.5 s"),
    ("/empty.html", "no article text found in the page"),
    ("/feeds/rss.xml", "this is a feed (application/rss+xml), not an article page"),
    ("/huge", "too big: 3.0 MB, over the 195 KB limit"),
    ("/away", "refused: 127.0.0.2 resolves to 127.0.0.2, a loopback address"),
]


def test_every_bad_url_is_rejected_with_its_reason_and_the_base_is_unchanged(
        site: NewsSite, seeded_dir: Path, capsys) -> None:
    before = article_ids(capsys, seeded_dir)
    urls = [site.url(path) for path, _ in BAD_URLS]
    urls += ["ftp://127.0.0.1/news.txt", "file:///etc/passwd", "http://127.0.0.2:9/news.html"]
    code, out, err = run_cli(capsys, "--data-dir", str(seeded_dir), "index", "add", *urls, "--json")
    summary = json.loads(out)
    assert code == 1 and summary["added"] == [] and summary["skipped"] == []
    reasons = {r["file"]: r["reason"] for r in summary["rejected"]}
    for path, reason in BAD_URLS:
        assert reason in reasons[site.url(path)]
    assert "only http:// and https://" in reasons["ftp://127.0.0.1/news.txt"]
    assert "only http:// and https://" in reasons["file:///etc/passwd"]
    assert "127.0.0.2, a loopback address" in reasons["http://127.0.0.2:9/news.html"]
    assert article_ids(capsys, seeded_dir) == before and "Traceback" not in err


def test_feed_commands_index_twenty_then_two_then_nothing(site: NewsSite, tmp_path: Path, capsys) -> None:
    kb = ["--data-dir", str(tmp_path / "kb")]
    code, out, _ = run_cli(capsys, *kb, "feed", "add", site.url("/feeds/rss.xml"), "--name", "Business", "--json")
    assert code == 0 and json.loads(out)["name"] == "Business" and json.loads(out)["id"] == 1
    polls = []
    for size in (20, 22, 22):
        site.feed_size = size
        code, out, _ = run_cli(capsys, *kb, "feed", "poll", "--once", "--json")
        assert code == 0
        polls.append(json.loads(out))
    assert [len(p["added"]) for p in polls] == [20, 2, 0]
    assert [p["not_modified"] for p in polls] == [False, False, True]
    assert len(article_ids(capsys, tmp_path / "kb")) == 22
    code, out, _ = run_cli(capsys, *kb, "feed", "list", "--json")
    [listed] = json.loads(out)
    assert (listed["entries_seen"], listed["articles_added"], listed["status"]) == (22, 22, "ok")
    code, out, _ = run_cli(capsys, *kb, "feed", "remove", "1")
    assert code == 0 and "removed feed 1" in out
    code, _, err = run_cli(capsys, *kb, "feed", "remove", "1")
    assert code == 2 and "no feed with id 1" in err


def test_feed_errors_are_one_line_and_shown_in_feed_list(site: NewsSite, tmp_path: Path, capsys) -> None:
    kb = ["--data-dir", str(tmp_path / "kb")]
    code, _, err = run_cli(capsys, *kb, "feed", "add", site.url("/catalog.xml"))
    assert code == 2 and err.count("\n") == 1 and "not a feed" in err
    code, _, err = run_cli(capsys, *kb, "feed", "add", site.url("/slow"))
    assert code == 1 and "timed out" in err
    run_cli(capsys, *kb, "feed", "add", site.url("/feeds/atom.xml"))
    code, _, err = run_cli(capsys, *kb, "feed", "add", site.url("/feeds/atom.xml"))
    assert code == 2 and "already following that feed as 1" in err
    site.broken_paths.add("/feeds/atom.xml")
    code, out, _ = run_cli(capsys, *kb, "feed", "poll", "--once")
    assert code == 1 and "failed: the server answered HTTP 503" in out
    code, out, _ = run_cli(capsys, *kb, "feed", "list")
    assert "FAILING (1x)" in out and "error: the server answered HTTP 503" in out
    code, out, _ = run_cli(capsys, *kb, "feed", "poll", "--once")   # backing off: not polled
    assert code == 0 and out == ""
    assert article_ids(capsys, tmp_path / "kb") == []


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


def test_export_then_import_moves_every_article_with_its_text(seeded_dir: Path, tmp_path: Path, capsys) -> None:
    dump = tmp_path / "kb.jsonl"
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "index", "export", str(dump), "--json")
    assert code == 0 and json.loads(out)["articles"] == 8
    target = tmp_path / "moved"
    code, out, _ = run_cli(capsys, "--data-dir", str(target), "index", "import", str(dump), "--json")
    assert code == 0 and len(json.loads(out)["added"]) == 8
    ids = {r["id"] for r in json.loads(run_cli(capsys, "--data-dir", str(seeded_dir), "index", "list", "--json")[1])}
    assert bodies_by_id(capsys, target, ids) == bodies_by_id(capsys, seeded_dir, ids)
    code, _, err = run_cli(capsys, "--data-dir", str(target), "index", "import", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "cannot read" in err and len(err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- settings the CLI reads


def test_top_k_comes_from_the_setting_and_the_flag_overrides_it(seeded_dir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("NEWSBOT_TOP_K", "3")
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", QUESTION, "--json")
    assert code == 0 and len(json.loads(out)["passages"]) == 3
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", QUESTION, "--json", "--top-k", "5")
    assert code == 0 and len(json.loads(out)["passages"]) == 5
    monkeypatch.setenv("NEWSBOT_TOP_K", "1")
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", QUESTION, "--json")
    answer = json.loads(out)
    [passage] = answer["passages"]
    assert answer["quotes"] and {q["article_id"] for q in answer["quotes"]} == {passage["article_id"]}
    for bad in ("0", "51"):
        code, out, err = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", QUESTION, "--top-k", bad)
        assert code == 2 and out == "" and err == "newsbot: error: --top-k must be between 1 and 50\n"


def test_the_raw_question_is_cleaned_by_the_service(seeded_dir: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", "  Did Hyundai\u200b confirm\n the plant"
                           "\tdeal?\x07 ", "--json")
    assert code == 0 and json.loads(out)["question"] == QUESTION


def test_a_refused_question_changes_nothing_not_even_the_seeding(tmp_path: Path, capsys) -> None:
    data_dir = tmp_path / "fresh"
    code, out, err = run_cli(capsys, "--data-dir", str(data_dir), "ask", " \u200b\n ")
    assert (code, out, err) == (2, "", "newsbot: error: the question is empty\n")
    assert not data_dir.exists()


def test_run_without_a_token_is_one_line_and_exit_2(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    code, out, err = run_cli(capsys, "--data-dir", str(tmp_path / "kb"), "run")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("newsbot: error: DISCORD_TOKEN is not set")


def damaged_feed_store(tmp_path: Path) -> Path:
    """A data dir whose feeds.db is not a database: an error no handler expects."""
    data_dir = tmp_path / "kb"
    data_dir.mkdir()
    (data_dir / "feeds.db").write_bytes(b"this is not an SQLite database, just forty-odd bytes")
    return data_dir


def test_an_unexpected_error_is_one_line_without_newsbot_debug(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("NEWSBOT_DEBUG", raising=False)
    code, out, err = run_cli(capsys, "--data-dir", str(damaged_feed_store(tmp_path)), "feed", "list")
    assert (code, out) == (1, "")
    assert err == "newsbot: error: DatabaseError: file is not a database\n"


@pytest.mark.parametrize("value", ["1", "true"])
def test_newsbot_debug_shows_the_traceback_of_an_unexpected_error(value: str, tmp_path: Path) -> None:
    env = {**os.environ, "NEWSBOT_DEBUG": value}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "--data-dir", str(damaged_feed_store(tmp_path)),
                             "feed", "list"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert result.stderr.rstrip().endswith("sqlite3.DatabaseError: file is not a database")


def test_newsbot_debug_off_values_keep_the_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("NEWSBOT_DEBUG", "0")
    code, _, err = run_cli(capsys, "--data-dir", str(damaged_feed_store(tmp_path)), "feed", "list")
    assert code == 1 and err == "newsbot: error: DatabaseError: file is not a database\n"


def test_newsbot_debug_prints_a_broken_doctor_check_and_keeps_the_report(tmp_path: Path, capsys,
                                                                         monkeypatch) -> None:
    monkeypatch.setenv("NEWSBOT_DEBUG", "1")
    code, out, err = run_cli(capsys, "--data-dir", str(damaged_feed_store(tmp_path)), "doctor", "--json")
    feeds = next(c for c in json.loads(out) if c["name"] == "feeds")
    assert code == 1 and not feeds["ok"] and "the check itself failed: DatabaseError" in feeds["detail"]
    assert "Traceback (most recent call last):" in err and "file is not a database" in err


def test_index_enrich_runs_extraction_on_articles_added_without_it(seeded_dir: Path, capsys) -> None:
    import sqlite3

    db = sqlite3.connect(seeded_dir / "newsbot.db")
    with db:
        db.execute("DELETE FROM company_indexed WHERE article_id = 'wire-0002'")  # as if added before extraction
    db.close()
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "index", "enrich", "--json")
    assert code == 0 and json.loads(out) == {"enriched": 1}
    code, out, _ = run_cli(capsys, "--data-dir", str(seeded_dir), "index", "enrich")
    assert code == 0 and out == "enriched 0 articles\n"
