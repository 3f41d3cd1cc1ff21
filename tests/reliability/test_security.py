"""Security checks not covered by the Discord tests (tests/bot/chat/ and
tests/e2e/ cover admin-only mutations on the server side, the attachment size cap and type
allow-list, and AllowedMentions.none()): path traversal through upload names and article
ids, the token kept out of logs and error output, and the rate limit under a burst."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.ratelimit import SlidingWindowLimiter
from bot.cli import main
from bot.service import NewsService
from index.embedding import Embedder
from index.intake import ARTICLE_ID_PATTERN, parse_bytes
from tests.conftest import REPO, settings_for
from tests.reliability.figures import FUZZ_CASES
from tests.reliability.kbcheck import fingerprint

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GsEcRt.this-is-the-secret-hmac-part-0123456789"
SECRET_PARTS = (TOKEN, TOKEN.rsplit(".", 1)[1])
ARTICLE = b"Glider factory opens in Port Ellery\nSource: Harbor Ledger\n\nQuillfeather Robotics opened a glider " \
          b"factory in Port Ellery on Tuesday, the company said.\n"


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# ----------------------------------------------------------------------------- path traversal


TRAVERSAL_NAMES = [
    "../../etc/passwd.txt", "..\\..\\windows\\win.ini.txt", "/etc/passwd.txt", "a/../../b.md",
    "C:\\temp\\evil.txt", "....//....//x.txt", "./.././../x.md", "x/y/z/../../../../../up.txt",
    "%2e%2e%2fencoded.txt", "dir/\u2215fake-slash.txt",
]


def test_an_upload_name_with_a_path_uses_only_its_base_name_and_writes_no_file(
        service: NewsService, tmp_path: Path) -> None:
    data_dir = service.settings.data_dir
    before = tree(tmp_path)
    for name in TRAVERSAL_NAMES:
        outcome = service.add_upload(name, ARTICLE)  # the first adds it, the others skip the same text
        [item] = outcome.report.added + outcome.report.skipped
        assert outcome.ok and item.origin == Path(name.replace("\\", "/")).name, (name, outcome.to_dict())
        assert "/" not in item.origin and "\\" not in item.origin and item.origin not in ("", ".", "..")
    [row] = [r for r in service.list_articles() if r.title.startswith("Glider factory")]
    assert service.get_article(row.id).origin == "passwd.txt"
    # Nothing but newsbot's own files changed, and only inside the data dir.
    created = tree(tmp_path) - before
    assert all(path.startswith(data_dir.name + "/") for path in created), created
    assert not (tmp_path.parent / "etc").exists() and not Path("/etc/passwd.txt").exists()


@pytest.mark.parametrize("name", ["", ".", "..", "../..", "/", "\\", "a/b/"])
def test_an_upload_name_that_is_only_a_path_is_rejected_not_resolved(name: str, service: NewsService) -> None:
    before = fingerprint(service.settings.data_dir)
    outcome = service.add_upload(name, ARTICLE)
    assert not outcome.report.added and outcome.rejected
    assert all("/" not in r.file and "\\" not in r.file for r in outcome.rejected)
    assert fingerprint(service.settings.data_dir) == before


@pytest.mark.parametrize("bad_id", [
    "../../etc/passwd", "a/b", "..\\x", "/abs", ".hidden", "..", "a\u2044b", "a\x00b", "x" * 129, "",
    "id with space", "a\nb", "ａ", "\u202eabc",
])
def test_article_ids_with_path_characters_are_rejected_in_every_format(bad_id: str, service: NewsService) -> None:
    before = fingerprint(service.settings.data_dir)
    record = {"id": bad_id, "title": "Traversal", "body": "An article that tries to escape the data dir."}
    uploads = {
        "a.json": json.dumps(record).encode(),
        "a.jsonl": (json.dumps(record) + "\n").encode(),
        "a.txt": f"Traversal\nId: {bad_id}\n\nAn article that tries to escape the data dir.\n".encode(),
    }
    for name, data in uploads.items():
        if name == "a.txt" and (not bad_id.strip() or "\n" in bad_id or bad_id != bad_id.strip()):
            continue  # such an "Id:" line is not metadata in a text file: the line stays in the body
        outcome = service.add_upload(name, data)
        ids = [a.id for a in outcome.report.added]
        if bad_id == "":  # an empty id means "derive one": fine, and safe
            assert all(ARTICLE_ID_PATTERN.match(i) for i in ids)
            continue
        assert not ids and len(outcome.rejected) == 1, (name, ids)
        if name != "a.txt" or "\x00" not in bad_id:  # a NUL makes a text file "binary": also refused
            assert outcome.rejected[0].reason.startswith("invalid article id"), outcome.rejected
    if bad_id != "":
        assert fingerprint(service.settings.data_dir) == before


@settings(max_examples=200, deadline=None)
@given(article_id=st.text(max_size=140))
def test_any_id_is_either_rejected_or_a_plain_name(article_id: str) -> None:
    FUZZ_CASES["article id → parse_bytes"] += 1
    record = {"id": article_id, "title": "T", "body": "A body."}
    result = parse_bytes(json.dumps(record).encode("utf-8", "surrogatepass"), "ids.json")
    for article in result.articles:
        assert ARTICLE_ID_PATTERN.fullmatch(article.id)
        assert "/" not in article.id and "\\" not in article.id and article.id not in (".", "..")
        assert not article.id.startswith(".")


def test_cli_show_and_remove_treat_a_traversal_id_as_unknown(service: NewsService, capsys) -> None:
    data_dir = service.settings.data_dir
    before = tree(data_dir.parent)
    for verb in ("show", "remove"):
        code = main(["--data-dir", str(data_dir), "index", verb, "../../etc/passwd"])
        _, err = capsys.readouterr()
        assert code == 2 and err.startswith("newsbot: error: no article with id '../../etc/passwd'"), err
    # Only SQLite's own companions of the database may appear.
    assert tree(data_dir.parent) - before <= {f"{data_dir.name}/newsbot.db-wal", f"{data_dir.name}/newsbot.db-shm"}


# ----------------------------------------------------------------------------- the token


@pytest.mark.parametrize("token", [TOKEN, f'"{TOKEN}"', f"Bot {TOKEN}", f"{TOKEN[:20]} {TOKEN[20:]}"])
def test_the_doctor_and_the_settings_never_print_the_token(token: str, seeded_dir: Path,
                                                          monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", token)
    code = main(["--data-dir", str(seeded_dir), "doctor", "--json"])
    out, err = capsys.readouterr()
    checks = {c["name"]: c for c in json.loads(out)}
    settings = settings_for(seeded_dir)
    text = out + err + repr(settings) + str(settings) + str(settings.model_dump()) + settings.model_dump_json()
    token_ok = token == TOKEN  # quotes, "Bot " and whitespace are flagged
    assert checks["discord token"]["ok"] == token_ok and checks["discord token"]["detail"]
    assert code == (0 if token_ok else 1), [c for c in checks.values() if not c["ok"]]
    assert all(part not in text for part in SECRET_PARTS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_bot_that_cannot_reach_discord_fails_in_one_line_without_the_token(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "NEWSBOT_DATA_DIR": str(tmp_path / "kb"),
           "NEWSBOT_DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10",
           "NEWSBOT_DISCORD_GATEWAY": f"ws://127.0.0.1:{port}/gateway", "NEWSBOT_LOG_LEVEL": "DEBUG"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert all(part not in output for part in SECRET_PARTS), output[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("newsbot: error:")]
    assert len(errors) == 1, output[-3000:]


# A connected bot logging at DEBUG never writes the token: see test_deploy.py's
# test_the_image_commands_work_outside_docker, which runs the image's command that way.


# ----------------------------------------------------------------------------- rate limit


def burst(limiter: SlidingWindowLimiter, keys: list[object], per_key: int) -> dict[object, int]:
    """``per_key`` hits for every key, all released at once from as many threads."""
    allowed: dict[object, int] = dict.fromkeys(keys, 0)
    lock = threading.Lock()
    barrier = threading.Barrier(len(keys) * per_key)

    def hit(key: object) -> None:
        barrier.wait()
        if limiter.hit(key).allowed:
            with lock:
                allowed[key] += 1

    threads = [threading.Thread(target=hit, args=(key,)) for key in keys for _ in range(per_key)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return allowed


def test_the_rate_limit_holds_under_a_concurrent_burst() -> None:
    limiter = SlidingWindowLimiter(limit=5, window=60.0)
    assert burst(limiter, ["alice"], 200) == {"alice": 5}
    users = [f"user{i}" for i in range(40)]
    limiter = SlidingWindowLimiter(limit=5, window=60.0)
    assert burst(limiter, users, 12) == dict.fromkeys(users, 5)  # each member has their own allowance
    refused = limiter.hit("user0")
    assert not refused.allowed and 0 < refused.retry_after <= 60.0


def test_a_limited_member_gets_the_allowance_back_after_the_window_not_later() -> None:
    now = [1000.0]
    limiter = SlidingWindowLimiter(limit=3, window=60.0, clock=lambda: now[0])
    assert sum(limiter.hit(7).allowed for _ in range(50)) == 3
    now[0] += 59.9
    assert sum(limiter.hit(7).allowed for _ in range(50)) == 0  # hammering while limited does not extend it
    now[0] += 0.2
    assert sum(limiter.hit(7).allowed for _ in range(50)) == 3


def test_the_bot_applies_its_configured_limit_to_a_burst(seeded_dir: Path, embedder: Embedder) -> None:
    from bot.chat.client import NewsBot

    service = NewsService(settings_for(seeded_dir, rate_limit_per_minute=4), embedder=embedder)
    bot = NewsBot(service, warm_up=False)
    try:
        results: list[str | None] = []
        lock = threading.Lock()
        barrier = threading.Barrier(60)

        def ask() -> None:
            barrier.wait()
            message = bot.rate_limit_message(4242)
            with lock:
                results.append(message)

        threads = [threading.Thread(target=ask) for _ in range(60)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results.count(None) == 4
        refusals = [r for r in results if r is not None]
        assert len(refusals) == 56 and all("4 questions a minute" in r for r in refusals)
        assert bot.rate_limit_message(4243) is None  # another member is unaffected
    finally:
        bot.engine.shutdown()
        service.close()


# ----------------------------------------------------------------------------- dependencies


@pytest.mark.slow
def test_pip_audit_finds_no_known_vulnerability_in_the_locked_dependencies() -> None:
    """Needs pip-audit (pip install pip-audit) and a reachable vulnerability service (PyPI's
    per-release JSON API or OSV). Skipped, not passed, when nothing could be audited."""
    audit = shutil.which("pip-audit") or str(Path(sys.executable).parent / "pip-audit")
    if not Path(audit).exists():
        pytest.skip("pip-audit is not installed")
    result = subprocess.run([audit, "-r", str(REPO / "deploy" / "requirements.lock"), "--no-deps", "--disable-pip",
                             "--progress-spinner", "off", "--format", "json"],
                            capture_output=True, text=True, timeout=900)
    report = json.loads(result.stdout or "{}")
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    if dependencies and not audited:
        pytest.skip(f"the vulnerability service could not be reached: 0 of {len(dependencies)} audited "
                    f"({dependencies[0]['skip_reason']})")
    vulnerable = {d["name"]: [v["id"] for v in d["vulns"]] for d in audited if d.get("vulns")}
    assert not vulnerable, vulnerable
    assert len(audited) == len(dependencies), [d["name"] for d in dependencies if "skip_reason" in d]
