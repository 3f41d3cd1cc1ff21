"""End to end: the real `newsbot run` process against the loopback Discord double, over a
copy of the seeded test knowledge base. One bot process serves the whole module.

These tests check behaviour only: every interaction is acknowledged (a deferral before its
answer) and answered, nothing is lost, nothing pings. There is no timed assertion, and the
double here does not expire interactions after Discord's 3 s, because the CPU is shared and
every wait is generous. How fast the bot acknowledges and answers, and the longest
heartbeat gap under a burst, are figures of ``python -m tests.bench --only concurrency``
(tests/bench/bench_concurrency.py).
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.chat.render import limit_problems
from tests.conftest import NEW_ARTICLE, REPO
from tests.discord_double import BotProcess, DiscordDouble, FakeUser, InteractionHandle, SentMessage
from tests.fixtures.news_site import NewsSite, story

QUESTION = "Did Hyundai confirm the plant deal?"
ANSWER_WAIT = 120.0

@pytest.fixture(scope="module")
def double() -> Iterator[DiscordDouble]:
    # No 3 s expiry: on a shared CPU an acknowledgement's delay is a figure (tests/bench), not a failure.
    with DiscordDouble(heartbeat_interval_ms=1000, interaction_deadline=None) as fake:
        yield fake


@pytest.fixture(scope="module")
def site() -> Iterator[NewsSite]:
    """The loopback news site the bot may fetch from (127.0.0.1 only; 127.0.0.2 is refused)."""
    with NewsSite(feed_size=3) as news, NewsSite(host="127.0.0.2") as outside:
        news.outside = outside
        yield news
        assert outside.requests == []


@pytest.fixture(scope="module")
def newsbot(double: DiscordDouble, seeded_template: Path, site: NewsSite,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    work = tmp_path_factory.mktemp("newsbot-e2e")
    data_dir = work / "kb"
    shutil.copytree(seeded_template, data_dir)
    env = {**double.bot_env(), "NEWSBOT_DATA_DIR": str(data_dir), "NEWSBOT_LOG_LEVEL": "INFO",
           # Feeds polled every 3 s, announced in #news; fetching may reach the loopback site.
           "NEWSBOT_FEED_INTERVAL": "0.05", "NEWSBOT_ANNOUNCE_CHANNEL": double.channel_id("news"),
           "NEWSBOT_FETCH_ALLOW_HOSTS": '["127.0.0.1"]', "NEWSBOT_FETCH_TIMEOUT": "5"}
    proc = BotProcess([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=REPO, name="newsbot", log_dir=work)
    proc.start()
    try:
        double.watch(proc)
        double.wait_until_connected(timeout=180)
        double.wait_for_commands(timeout=60)
        # Not required for correctness (questions wait for the engine), but the long waits
        # below should be for answering, not for the one-off model load.
        deadline = time.monotonic() + 300
        while "engine ready" not in proc.log_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("newsbot never reported `engine ready`")
            time.sleep(0.2)
    except Exception as exc:
        proc.stop()
        raise RuntimeError(f"newsbot did not start:\n{proc.log_text()[-5000:]}") from exc
    yield proc
    assert proc.stop(timeout=30) == 0  # SIGTERM is a clean stop
    assert "stopped" in proc.log_text()


@pytest.fixture
def alice(double: DiscordDouble) -> FakeUser:
    """A fresh member for every test: the per-user rate limit (5 a minute) stays in force."""
    return double.add_member(f"alice{len(double.records)}")


@pytest.fixture(scope="module")
def ada(double: DiscordDouble) -> FakeUser:
    return double.add_member("ada", admin=True)


def answer_of(double: DiscordDouble, handle: InteractionHandle) -> SentMessage:
    """The record that carries the answer (an embed) or a notice for this interaction."""
    return double.wait_for(lambda r: r.interaction_id == handle.id and r.has_body
                           and (bool(r.embeds) or r.ephemeral), ANSWER_WAIT)


def assert_deferred_first(double: DiscordDouble, handle: InteractionHandle, reply: SentMessage) -> None:
    """The bot's first word on the interaction was a deferral, before the answer."""
    first = next(r for r in double.records if r.interaction_id == handle.id)
    assert first.kind == "callback" and first.callback_type == 5 and first.seq < reply.seq, first


def ask(double: DiscordDouble, user: FakeUser, question: str) -> SentMessage:
    handle = double.invoke_slash("ask", {"question": question}, user)
    reply = answer_of(double, handle)
    assert_deferred_first(double, handle, reply)
    return reply


def test_commands_are_synced_with_admin_hints(double: DiscordDouble, newsbot: BotProcess) -> None:
    commands = {c["name"]: c for c in double.wait_for_commands()}
    assert set(commands) == {"ask", "company", "sources", "article", "reindex", "feed"}
    for name in ("article", "reindex", "feed"):
        assert int(commands[name]["default_member_permissions"]) == 8  # administrator
        assert commands[name]["contexts"] == [0]
    assert commands["company"]["options"][0]["autocomplete"] is True


def test_a_mention_is_answered_with_the_groundless_quote(double: DiscordDouble, newsbot: BotProcess,
                                                         alice: FakeUser) -> None:
    asked = double.send_message(double.channel_id("general"), alice, QUESTION, mentions_bot=True)
    reply = double.wait_for_reply(asked, timeout=ANSWER_WAIT)
    assert "groundless" in reply.text
    assert reply.embeds[0]["title"] == QUESTION
    assert reply.pings == [] and reply.allowed_mentions["parse"] == []
    assert [c["custom_id"].split(":")[2] for c in reply.components[0]["components"]] == ["up", "down"]

    # A reply to that answer is a follow-up, asked with the earlier question as context.
    follow = double.send_message(double.channel_id("general"), alice, "and what did the BAIC executive say?",
                                 mentions_bot=True, reference_message_id=reply.message_id)
    answer = double.wait_for_reply(follow, timeout=ANSWER_WAIT)
    assert answer.embeds[0]["title"] == f"{QUESTION} and what did the BAIC executive say?"


def test_everyone_in_a_question_pings_nobody(double: DiscordDouble, newsbot: BotProcess, alice: FakeUser) -> None:
    asked = double.send_message(double.channel_id("general"), alice, f"{QUESTION} @everyone @here",
                                mentions_bot=True)
    reply = double.wait_for_reply(asked, timeout=ANSWER_WAIT)
    assert "@everyone" in reply.text and reply.pings == []
    handle = double.invoke_slash("ask", {"question": f"@everyone {QUESTION}"}, alice)
    answer = answer_of(double, handle)
    assert "@everyone" in answer.text and answer.allowed_mentions["parse"] == []


def test_ask_is_deferred_then_answered(double: DiscordDouble, newsbot: BotProcess, alice: FakeUser) -> None:
    reply = ask(double, alice, QUESTION)
    assert reply.kind == "followup" and not reply.ephemeral
    assert "groundless" in reply.text and "[1]" in reply.text
    defer = double.wait_for(lambda r: r.interaction_id == reply.interaction_id and r.kind == "callback")
    assert defer.callback_type == 5 and defer.message_id == reply.message_id


def test_feedback_buttons_work(double: DiscordDouble, newsbot: BotProcess, alice: FakeUser) -> None:
    reply = ask(double, alice, QUESTION)
    up = reply.components[0]["components"][0]["custom_id"]
    click = double.invoke_component(up, reply.message_id, alice)
    thanks = double.wait_for_reply(click, timeout=30)
    assert thanks.ephemeral and "recorded" in thanks.text


def test_company_xiaomi(double: DiscordDouble, newsbot: BotProcess, alice: FakeUser) -> None:
    auto = double.invoke_autocomplete("company", {"name": "Xia"}, alice)
    choices = double.wait_for(lambda r: r.interaction_id == auto.id, 10).choices
    assert choices and any("Xiaomi" in c["name"] for c in choices)
    handle = double.invoke_slash("company", {"name": "Xiaomi"}, alice)
    reply = answer_of(double, handle)
    assert_deferred_first(double, handle, reply)
    assert not reply.ephemeral and reply.embeds
    assert "Xiaomi" in reply.embeds[0]["title"] and "[1]" in reply.text


def test_sources_lists_the_articles(double: DiscordDouble, newsbot: BotProcess, alice: FakeUser) -> None:
    handle = double.invoke_slash("sources", None, alice)
    reply = answer_of(double, handle)
    assert reply.embeds[0]["title"] == "Indexed articles" and "wire-0001" in reply.text


def test_non_admins_are_refused(double: DiscordDouble, newsbot: BotProcess, alice: FakeUser) -> None:
    with pytest.raises(PermissionError):  # hidden by default_member_permissions...
        double.invoke_slash("reindex", None, alice)
    # ...and refused by the bot when a server shows it to everyone anyway.
    handle = double.invoke_slash("reindex", None, alice, check_permissions=False)
    refusal = double.wait_for_reply(handle, timeout=30)
    assert refusal.ephemeral and "only for server admins" in refusal.text
    handle = double.invoke_slash("article", None, alice, subcommand="add", attachment=("quill.txt", NEW_ARTICLE),
                                 check_permissions=False)
    refusal = double.wait_for_reply(handle, timeout=30)
    assert refusal.ephemeral and "only for server admins" in refusal.text
    for name, options in (("article", {"url": "http://127.0.0.1:9/news.html"}),
                          ("feed", {"url": "http://127.0.0.1:9/rss.xml"})):
        handle = double.invoke_slash(name, options, alice, subcommand="add", check_permissions=False)
        refusal = double.wait_for_reply(handle, timeout=30)
        assert refusal.ephemeral and "only for server admins" in refusal.text


def test_an_admin_adds_a_page_by_url_that_is_answerable_right_after(
        double: DiscordDouble, newsbot: BotProcess, site: NewsSite, ada: FakeUser, alice: FakeUser) -> None:
    item = story(9)
    handle = double.invoke_slash("article", {"url": site.url(f"/news/{item.slug}.html")}, ada, subcommand="add")
    result = double.wait_for(lambda r: r.interaction_id == handle.id and bool(r.embeds), ANSWER_WAIT)
    assert_deferred_first(double, handle, result)
    assert result.ephemeral and result.embeds[0]["title"].endswith(": 1 article indexed")
    reply = ask(double, alice, f"Where did {item.company} open a factory?")
    assert item.town in reply.text and item.company in reply.text

    bad = double.invoke_slash("article", {"url": site.url("/away")}, ada, subcommand="add")
    refused = double.wait_for(lambda r: r.interaction_id == bad.id and bool(r.embeds), ANSWER_WAIT)
    assert "0 articles indexed" in refused.embeds[0]["title"] and "127.0.0.2" in refused.text


def test_a_followed_feed_is_polled_in_the_background_and_announced(
        double: DiscordDouble, newsbot: BotProcess, site: NewsSite, ada: FakeUser) -> None:
    news = double.channel_id("news")
    beats = len(double.heartbeats)
    handle = double.invoke_slash("feed", {"url": site.url("/feeds/atom.xml")}, ada, subcommand="add")
    reply = double.wait_for_reply(handle, timeout=60)
    assert reply.ephemeral and "Following **Harbor Ledger (Atom)**" in reply.text
    first = double.wait_for(lambda r: r.kind == "message" and str(r.channel_id) == news, ANSWER_WAIT)
    assert [e["title"] for e in first.embeds] == [story(n).title for n in (3, 2, 1)]
    assert all(e["description"].startswith("> ") for e in first.embeds) and first.pings == []

    site.feed_size = 4  # the loop's next round (every 3 s) finds one new entry
    second = double.wait_for(lambda r: r.kind == "message" and str(r.channel_id) == news and r.seq > first.seq,
                             ANSWER_WAIT)
    assert [e["title"] for e in second.embeds] == [story(4).title]
    assert second.embeds[0]["url"] == site.url(f"/news/{story(4).slug}.html")
    double.wait_for_heartbeats(beats + 2, timeout=30)  # the gateway kept beating throughout
    assert len(double.identify_payloads) == 1


def test_an_admin_adds_a_txt_article_that_is_answerable_right_after(
        double: DiscordDouble, newsbot: BotProcess, ada: FakeUser, alice: FakeUser) -> None:
    handle = double.invoke_slash("article", None, ada, subcommand="add", attachment=("quill.txt", NEW_ARTICLE))
    result = double.wait_for(lambda r: r.interaction_id == handle.id and bool(r.embeds), ANSWER_WAIT)
    assert_deferred_first(double, handle, result)
    assert result.ephemeral and result.embeds[0]["title"] == "quill.txt: 1 article indexed"
    progress = [r for r in double.records
                if r.interaction_id == handle.id and "Indexing quill.txt" in (r.content or "")]
    assert progress and progress[0].seq < result.seq

    reply = ask(double, alice, "Where did Quillfeather Robotics open a factory?")
    assert "Port Ellery" in reply.text and "Quillfeather" in reply.text


def test_30_concurrent_asks_are_all_acknowledged_and_answered_while_heartbeats_continue(
        double: DiscordDouble, newsbot: BotProcess) -> None:
    readers = [double.add_member(f"reader{i}") for i in range(30)]
    started = time.time()
    handles = [double.invoke_slash("ask", {"question": QUESTION}, reader) for reader in readers]
    replies = [answer_of(double, h) for h in handles]
    finished = time.time()
    for handle, reply in zip(handles, replies, strict=True):
        assert_deferred_first(double, handle, reply)
        assert reply.interaction_id == handle.id and "groundless" in reply.text and not reply.ephemeral
    assert len({r.message_id for r in replies}) == 30  # none lost, none answered twice
    # It beat during the burst, when the burst outlasted two heartbeat intervals (a fast machine
    # answers all 30 within one: then there was no beat to miss)...
    if finished - started > 2 * double.heartbeat_interval_ms / 1000:
        assert any(started <= beat <= finished for beat in double.heartbeats)
    double.wait_for_heartbeats(len(double.heartbeats) + 2, timeout=30)  # ...and keeps beating after
    assert double.heartbeat_acks >= len(double.heartbeats) - 1  # the newest ACK may be in flight
    assert len(double.identify_payloads) == 1  # never had to reconnect


def test_nothing_sent_could_ping_or_exceeds_a_limit(double: DiscordDouble, newsbot: BotProcess) -> None:
    bodies = [r for r in double.records if r.has_body]
    assert len(bodies) > 40
    for record in bodies:
        assert record.pings == [], record
        if record.kind in ("message", "followup", "callback"):
            mentions = record.allowed_mentions or {}
            assert mentions.get("parse") == [] and not mentions.get("replied_user"), record
        assert limit_problems(record.content, record.embeds) == [], record
    assert double.errors == [] and double.unknown_routes == []  # the double enforces limits with 400s
    log = newsbot.log_text()
    assert double.token not in log and "Traceback" not in log and " ERROR " not in log
    assert newsbot.poll() is None


@pytest.mark.parametrize(("token", "code", "message"), [
    ("", 2, "DISCORD_TOKEN is not set"),
    ("MTAwMDAwMDAwMDAwMDAwMDAw.wrong.not-the-right-secret", 1, "Discord refused the token"),
])
def test_a_missing_or_refused_token_fails_clearly(tmp_path: Path, token: str, code: int, message: str) -> None:
    with DiscordDouble() as own_double:  # its 401 must not count against the module's double
        env = {**own_double.bot_env(), "DISCORD_TOKEN": token, "NEWSBOT_DATA_DIR": str(tmp_path / "kb")}
        proc = BotProcess([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=REPO, name="bad-token",
                          log_dir=tmp_path).start()
        try:
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            proc.stop()
    log = proc.log_text()
    assert proc.returncode == code and message in log, log
    assert "Traceback" not in log and (not token or "not-the-right-secret" not in log)
