"""Self-test of the Discord double: a real discord.py bot process talks to it end to end."""

from __future__ import annotations

import json
import math
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .models import INTENT_MESSAGE_CONTENT, FakeUser
from .process import BotProcess
from .server import DiscordDouble

SAMPLE_BOT = Path(__file__).with_name("sample_bot.py")
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
HEARTBEAT_MS = 500


@pytest.fixture(scope="module")
def double() -> Iterator[DiscordDouble]:
    with DiscordDouble(heartbeat_interval_ms=HEARTBEAT_MS) as fake:
        yield fake


@pytest.fixture(scope="module")
def bot(double: DiscordDouble, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    logs = tmp_path_factory.mktemp("sample-bot")
    argv = [sys.executable, str(SAMPLE_BOT)]
    proc = BotProcess(argv, env=double.bot_env(), name="sample-bot", log_dir=logs)
    proc.start()
    try:
        double.watch(proc)
        double.wait_until_connected(timeout=20)
        double.wait_for_commands(timeout=5)
    except Exception as exc:
        proc.stop()
        raise RuntimeError(f"sample bot did not connect:\n{proc.log_text()}") from exc
    yield proc
    code = proc.stop()
    assert code is not None


@pytest.fixture(scope="module")
def alice(double: DiscordDouble) -> FakeUser:
    return double.add_member("alice")


def test_connects_identifies_and_syncs_commands(double: DiscordDouble, bot: BotProcess) -> None:
    commands = {c["name"]: c for c in double.commands_synced or []}
    assert set(commands) == {"echo", "upload", "vote"}
    echo_opts = commands["echo"]["options"]
    assert echo_opts[0]["name"] == "text" and echo_opts[0]["type"] == 3
    assert echo_opts[0]["autocomplete"] is True
    assert commands["upload"]["options"][0]["type"] == 11
    assert len(double.identify_payloads) == 1
    assert not double.identify_payloads[0]["intents"] & INTENT_MESSAGE_CONTENT


def test_mention_gets_pong_without_pings(
    double: DiscordDouble, bot: BotProcess, alice: FakeUser
) -> None:
    general = double.channel_id("general")
    start = double.record_count
    ignored = double.send_message(general, alice, "just chatting")
    asked = double.send_message(general, alice, "are you there?", mentions_bot=True)
    reply = double.wait_for_reply(asked)
    assert reply.content == "pong"
    assert reply.allowed_mentions is not None and reply.allowed_mentions["parse"] == []
    assert reply.pings == []  # the reply does not ping alice
    assert reply.message_reference is not None
    assert reply.message_reference["message_id"] == asked
    later = double.records[start:]
    assert [r.message_reference for r in later if r.message_reference] == [reply.message_reference]
    assert ignored not in {(r.message_reference or {}).get("message_id") for r in later}


def test_echo_is_acknowledged_then_followed_up(
    double: DiscordDouble, bot: BotProcess, alice: FakeUser
) -> None:
    handle = double.invoke_slash("echo", {"text": "hi there"}, alice)
    reply = double.wait_for_reply(handle)
    assert reply.kind == "followup" and reply.content == "echo: hi there"
    assert not reply.ephemeral
    assert double.interaction_ack_time(handle.id) is not None  # (how fast is a figure for tests/bench)
    defer = double.wait_for(lambda r: r.interaction_id == handle.id and r.kind == "callback")
    assert defer.callback_type == 5 and defer.seq < reply.seq
    # The first followup completes the deferred "thinking" message rather than adding one.
    assert reply.message_id == defer.message_id


def test_upload_reads_the_attachment(
    double: DiscordDouble, bot: BotProcess, alice: FakeUser
) -> None:
    blob = bytes(range(256)) * 5
    handle = double.invoke_slash("upload", None, alice, attachment=("notes.bin", blob))
    reply = double.wait_for_reply(handle)
    assert reply.content == f"notes.bin: {len(blob)} bytes"
    assert reply.ephemeral


def test_autocomplete_and_button_click(
    double: DiscordDouble, bot: BotProcess, alice: FakeUser
) -> None:
    auto = double.invoke_autocomplete("echo", {"text": "he"}, alice)
    choices = double.wait_for(lambda r: r.interaction_id == auto.id).choices
    assert choices == [{"name": "hello", "value": "hello"}, {"name": "help", "value": "help"}]

    vote = double.invoke_slash("vote", None, alice)
    posted = double.wait_for_reply(vote)
    assert posted.content == "votes: 0" and posted.message_id is not None
    click = double.invoke_component("vote:agree", posted.message_id, alice)
    edited = double.wait_for_reply(click)
    assert edited.callback_type == 7 and edited.content == "votes: 1"
    assert double.message(posted.message_id)["content"] == "votes: 1"


def test_unsynced_or_malformed_invocations_are_refused(
    double: DiscordDouble, bot: BotProcess, alice: FakeUser
) -> None:
    with pytest.raises(LookupError):
        double.invoke_slash("nope", None, alice)
    with pytest.raises(ValueError):
        double.invoke_slash("echo", None, alice)  # required option missing
    with pytest.raises(TypeError):
        double.invoke_slash("echo", {"text": 3}, alice)


def test_heartbeats_are_acked(
    double: DiscordDouble, bot: BotProcess, alice: FakeUser
) -> None:
    beats = double.wait_for_heartbeats(4, timeout=30)
    assert double.heartbeat_acks >= len(beats) - 1  # the newest ACK may still be in flight
    assert double.max_heartbeat_gap(include_now=False) > 0  # measured (its size is a figure for tests/bench)
    # A finite gateway latency proves the bot processed HEARTBEAT_ACKs.
    asked = double.send_message(double.channel_id(), alice, "latency?", mentions_bot=True)
    latency = float(double.wait_for_reply(asked).content.split()[1])  # type: ignore[union-attr]
    assert math.isfinite(latency)
    assert len(double.identify_payloads) == 1  # never reconnected


def test_bot_made_no_failed_or_unknown_calls(double: DiscordDouble, bot: BotProcess) -> None:
    assert double.unknown_routes == []
    assert double.errors == []
    assert bot.returncode is None


def _http(
    method: str, url: str, body: Any = None, token: str | None = None
) -> tuple[int, Any, str]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", f"Bot {token}")
    try:
        with NO_PROXY.open(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"null"), resp.headers["Content-Type"]
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers["Content-Type"]


def test_rest_rules_without_a_bot() -> None:
    with DiscordDouble() as fake:
        api, token = fake.api_base, fake.token
        status, me, ctype = _http("GET", f"{api}/users/@me", token=token)
        assert (status, ctype, me["id"]) == (200, "application/json", fake.bot_user.id)
        assert _http("GET", f"{api}/users/@me")[0] == 401
        status, body, _ = _http("GET", f"{api}/no/such/route", token=token)
        assert status == 404 and body == {"message": "404: Not Found", "code": 0}
        post = f"{api}/channels/{fake.channel_id()}/messages"
        status, body, _ = _http("POST", post, {"content": "x" * 2001}, token)
        assert status == 400 and body["code"] == 50035 and "content" in body["errors"]
        status, body, _ = _http("POST", post, {"content": ""}, token)
        assert status == 400 and body["code"] == 50006
        status, body, _ = _http("POST", post, {"content": "hi <@1>"}, token)
        assert status == 200 and fake.records[-1].pings == ["1"]
        assert fake.unknown_routes == ["GET /no/such/route"]


def test_a_callback_after_the_deadline_is_refused_like_discord(tmp_path: Path) -> None:
    # A deadline of 0 s: every callback is late, so this needs no clock.
    with DiscordDouble(interaction_deadline=0.0) as fake:
        proc = BotProcess([sys.executable, str(SAMPLE_BOT)], env=fake.bot_env(), name="late-bot", log_dir=tmp_path)
        proc.start()
        try:
            fake.watch(proc)
            fake.wait_until_connected(timeout=20)
            fake.wait_for_commands(timeout=5)
            fake.invoke_slash("echo", {"text": "too late"}, fake.add_member("bob"))
            deadline = time.monotonic() + 30
            while not fake.errors and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            proc.stop()
    [(route, status, body)] = fake.errors
    assert "/callback" in route and status == 404 and body["code"] == 10062
    assert not [r for r in fake.records if r.kind == "followup"]  # nothing was answered
