"""`newsbot doctor`: every check passes on a healthy install, and each failure says what to fix."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

from bot.cli import main
from bot.doctor import Check, run_checks
from bot.service import NewsService
from index.embedding import Embedder
from tests.conftest import REPO, settings_for

TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.doctor.fake-bot-token-secret"
NAMES = ["config", "data dir", "discord token", "model", "knowledge base", "integrity", "consistency",
         "model recorded", "vector checkpoint", "vector index", "lexical index", "feeds", "disk space"]


def checks_for(data_dir: Path, embedder: Embedder | None, **overrides: object) -> dict[str, Check]:
    """``embedder=None``: the service resolves the configured model itself, as the CLI does."""
    service = NewsService(settings_for(data_dir, **overrides), embedder=embedder)
    try:
        checks = run_checks(service)
    finally:
        service.close()
    assert [c.name for c in checks] == NAMES
    for check in checks:  # a failure always says what to do
        assert check.detail and (check.ok or check.fix), check
    return {c.name: c for c in checks}


def failing(checks: dict[str, Check]) -> set[str]:
    return {name for name, check in checks.items() if not check.ok}


def test_a_healthy_install_passes_every_check_and_exits_0(seeded_dir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    code = main(["--data-dir", str(seeded_dir), "doctor"])
    out, err = capsys.readouterr()
    assert code == 0, out
    lines = out.splitlines()
    assert len(lines) == len(NAMES) and all(line.startswith("[ok  ] ") for line in lines), out
    assert "8 articles, 9 chunks" in out and "holds 9 vectors for 9 chunk rows" in out
    assert "Traceback" not in err
    code = main(["--data-dir", str(seeded_dir), "doctor", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and [c["name"] for c in report] == NAMES
    assert all(set(c) == {"name", "ok", "detail", "fix"} and c["ok"] for c in report)


def test_a_fresh_machine_fails_only_on_the_token_and_creates_nothing(tmp_path: Path, embedder: Embedder,
                                                                    monkeypatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    data_dir = tmp_path / "new" / "kb"
    checks = checks_for(data_dir, embedder)
    assert failing(checks) == {"discord token"}
    assert "needed for `newsbot run` only" in checks["discord token"].detail
    assert "DISCORD_TOKEN" in checks["discord token"].fix
    assert "will be created" in checks["data dir"].detail
    assert "no knowledge base yet" in checks["knowledge base"].detail
    assert "384 dimensions" in checks["model"].detail and "offline" in checks["model"].detail
    assert not (tmp_path / "new").exists(), "the doctor must not create the data dir"


def test_the_doctor_command_fails_clearly_when_the_settings_do_not_load(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSBOT_TOP_K", "lots")
    [config] = run_checks(None, data_dir=tmp_path / "kb")  # the doctor's own path for a broken config
    assert not config.ok and "top_k" in config.detail and "integer" in config.detail
    assert "NEWSBOT_" in config.fix
    monkeypatch.delenv("NEWSBOT_TOP_K")
    monkeypatch.setenv("NEWSBOT_CONFIG", str(tmp_path / "missing.toml"))
    checks = run_checks(None, data_dir=tmp_path / "kb")
    assert not checks[0].ok and "missing.toml" in checks[0].detail and "NEWSBOT_CONFIG" in checks[0].fix
    bad = tmp_path / "bad.toml"
    bad.write_text("top_k = \n")
    monkeypatch.setenv("NEWSBOT_CONFIG", str(bad))
    [config] = run_checks(None, data_dir=tmp_path / "kb")
    assert not config.ok and "do not load" in config.detail


def test_newsbot_doctor_reports_a_bad_setting_as_a_failed_check(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("NEWSBOT_TOP_K", "lots")
    code = main(["--data-dir", str(tmp_path / "kb"), "doctor"])
    out, err = capsys.readouterr()
    assert code == 1 and out.startswith("[FAIL] config:"), (out, err)


def test_a_misspelt_setting_is_named(seeded_dir: Path, embedder: Embedder, monkeypatch) -> None:
    monkeypatch.setenv("NEWSBOT_TOPK", "3")
    checks = checks_for(seeded_dir, embedder)
    assert checks["config"].ok and "NEWSBOT_TOPK is not a setting" in checks["config"].detail


def test_a_data_dir_that_is_a_file_fails_and_skips_the_store_checks(tmp_path: Path, embedder: Embedder) -> None:
    path = tmp_path / "kb"
    path.write_text("not a folder")
    checks = checks_for(path, embedder)
    assert "data dir" in failing(checks) and "not a folder" in checks["data dir"].detail
    assert checks["knowledge base"].detail.startswith("skipped")


def test_a_model_mismatch_names_both_models_and_the_fix(seeded_dir: Path) -> None:
    checks = checks_for(seeded_dir, None, model="sentence-transformers/paraphrase-MiniLM-L3-v2")
    assert {"model", "model recorded"} <= failing(checks)
    recorded = checks["model recorded"]
    assert "all-MiniLM-L6-v2" in recorded.detail and "paraphrase-MiniLM-L3-v2" in recorded.detail
    assert "newsbot index rebuild" in recorded.fix and "NEWSBOT_MODEL=" in recorded.fix
    assert "cannot load" in checks["model"].detail  # offline: a hub model is not there
    assert "NEWSBOT_ALLOW_MODEL_DOWNLOAD" in checks["model"].detail + checks["model"].fix


def test_low_disk_space_fails_with_the_space_needed(seeded_dir: Path, embedder: Embedder, monkeypatch) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr("bot.doctor.shutil.disk_usage", lambda path: usage(10**9, 10**9 - 10**6, 10**6))
    checks = checks_for(seeded_dir, embedder)
    assert "disk space" in failing(checks)
    assert "free at least" in checks["disk space"].fix
    monkeypatch.setattr("bot.doctor.shutil.disk_usage", shutil.disk_usage)


HOLD_WRITER_LOCK = """
import sys, time
from pathlib import Path
from index.embedding import Embedder
from index.store.embedded import EmbeddedKnowledgeBase
kb = EmbeddedKnowledgeBase.open(Path(sys.argv[1]), Embedder())
with kb._writing():                                      # what an add holds while it embeds
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_busy_writer_does_not_stall_the_doctor(seeded_dir: Path, embedder: Embedder) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WRITER_LOCK, str(seeded_dir), "60"], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        checks = checks_for(seeded_dir, embedder, lock_timeout=120)
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert checks["knowledge base"].ok and "another newsbot process is writing" in checks["knowledge base"].detail
    assert elapsed < 60, f"the doctor waited {elapsed:.0f} s for the writer"
    assert checks["integrity"].ok and checks["consistency"].ok and "9 chunk rows" in checks["consistency"].detail


def test_a_feed_failing_three_times_in_a_row_fails_the_feeds_check(seeded_dir: Path, embedder: Embedder) -> None:
    from datetime import timedelta

    from index.feeds import FEEDS_FILE, FeedStore

    assert checks_for(seeded_dir, embedder)["feeds"].detail.startswith("skipped")
    store = FeedStore(seeded_dir / FEEDS_FILE)
    feed = store.add("http://127.0.0.1:9/feed.xml", "Harbour wire")
    store.record_failure(feed.id, "the server answered 503", timedelta(minutes=15))
    once = checks_for(seeded_dir, embedder)["feeds"]
    assert once.ok and "503" in once.detail  # one passing failure is shown, not failed
    for _ in range(2):
        store.record_failure(feed.id, "the server answered 503", timedelta(minutes=15))
    lasting = checks_for(seeded_dir, embedder)["feeds"]
    assert not lasting.ok and "feed remove" in lasting.fix and "3 failure" in lasting.detail
