"""Command-level tests of the Discord bot with simcord: discord.py's real parsers, command
tree, checks and interaction code against an in-memory Discord, and the real engine over a
private copy of the seeded test knowledge base (the model is shared with the session)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from typing import Any

import discord
import pytest
import simcord

import bot.discord_app as discord_app
from bot.answer import Answer, Quote
from bot.chat.ratelimit import SlidingWindowLimiter
from bot.chat.render import limit_problems
from bot.discord_app import (
    COMPANIES_PENDING,
    AdminOnly,
    NewsBot,
    RedactSecrets,
    point_at_discord,
    ranked_choices,
)
from bot.service import NewsService
from tests.conftest import settings_for
from tests.fixtures.news_site import NewsSite, story

QUESTION = "Did Hyundai confirm the plant deal?"
NEW_ARTICLE = b"""Quillfeather Robotics opens a glider factory in Port Ellery
Source: Harbor Ledger
Date: 2024-07-02

Quillfeather Robotics opened a factory for autonomous cargo gliders in Port Ellery on Tuesday.
The plant will employ 340 people and build 90 gliders a year, the company said.
"""

# The engine runs for real in worker threads; simcord waits for them, so give it room.
pytestmark = pytest.mark.simcord(settle_timeout=60)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def bot_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings overrides; parametrize indirectly to change them for one test."""
    return getattr(request, "param", {})


@pytest.fixture
def news_service(seeded_dir, embedder, bot_settings) -> Iterator[NewsService]:
    service = NewsService(settings_for(seeded_dir, **bot_settings), embedder=embedder)
    yield service
    service.close()


@pytest.fixture
def simcord_bot(news_service: NewsService) -> Iterator[NewsBot]:
    bot = NewsBot(news_service, warm_up=False)
    yield bot
    bot.engine.shutdown()


class Server:
    """A guild with a #general channel, a member (alice) and an admin (ada)."""

    def __init__(self, env: simcord.Env) -> None:
        self.env = env
        self.guild = env.create_guild("Newsroom")
        self.channel = self.guild.create_text_channel("general")
        self.admin_role = self.guild.create_role("Admin", permissions=discord.Permissions(administrator=True))
        self.alice = self.guild.add_member(env.create_user("alice"))
        self.ada = self.guild.add_member(env.create_user("ada"), roles=[self.admin_role])

    async def command_id(self, name: str) -> int:
        commands = await self.env.bot.tree.fetch_commands()
        return next(c.id for c in commands if c.name == name)


@pytest.fixture
def server(simcord_env: simcord.Env) -> Server:
    return Server(simcord_env)


def embed_text(message: Any) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{f.name}\n{f.value}" for f in embed.fields]
        parts.append(embed.footer.text or "")
    return "\n".join(parts)


def custom_ids(message: Any) -> list[str]:
    ids = []
    for row in message.components:
        for child in row.get("components", []) if isinstance(row, dict) else row.children:
            cid = child.get("custom_id") if isinstance(child, dict) else child.custom_id
            if cid:
                ids.append(cid)
    return ids


def assert_nothing_could_ping(env: simcord.Env) -> None:
    """Every request that carries a message body says "ping nobody"."""
    for entry in env.http_requests:
        body = entry.json if isinstance(entry.json, dict) else {}
        body = body.get("data", body) if "/callback" in entry.path else body
        if not any(k in body for k in ("content", "embeds")):
            continue
        mentions = body.get("allowed_mentions")
        assert mentions is not None, f"{entry.method} {entry.path} has no allowed_mentions"
        assert mentions.get("parse") == [] and not mentions.get("users") and not mentions.get("roles"), mentions
        assert not mentions.get("replied_user"), mentions


def assert_within_limits(env: simcord.Env) -> None:
    for entry in env.http_requests:
        body = entry.json if isinstance(entry.json, dict) else {}
        body = body.get("data", body) if "/callback" in entry.path else body
        assert limit_problems(body.get("content"), body.get("embeds") or []) == [], entry.path


def requests_since(env: simcord.Env, start: int) -> list[simcord.HttpLogEntry]:
    return env.http_requests[start:]


# ----------------------------------------------------------------------------- commands


@pytest.mark.asyncio
async def test_commands_are_synced_with_admin_hints(simcord_env: simcord.Env, server: Server) -> None:
    synced = {c.name: c for c in await simcord_env.bot.tree.fetch_commands()}
    assert set(synced) == {"ask", "company", "sources", "article", "reindex", "feed"}
    for admin_command in ("article", "reindex", "feed"):
        assert synced[admin_command].default_member_permissions == discord.Permissions(administrator=True)
        sent = simcord_env.bot.tree.get_command(admin_command).to_dict(simcord_env.bot.tree)
        assert sent["contexts"] == [0] and sent["dm_permission"] is False  # guild only
    assert {o.name for o in synced["article"].options} == {"add", "remove"}
    assert {o.name for o in synced["feed"].options} == {"add", "remove", "list"}
    [article_add] = [o for o in synced["article"].options if o.name == "add"]
    assert {(o.name, o.required) for o in article_add.options} == {("file", False), ("url", False)}
    # A member without the permission does not even see them...
    assert "reindex" not in server.alice.available_commands(server.channel)
    assert "ask" in server.alice.available_commands(server.channel)
    with pytest.raises(simcord.SetupError):
        await server.alice.slash(server.channel, "reindex")


@pytest.mark.asyncio
async def test_ask_defers_at_once_then_answers_with_quotes(simcord_env: simcord.Env, server: Server,
                                                           news_service: NewsService,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    acknowledged_before_work: list[bool] = []
    real_ask = news_service.ask

    def ask(question: str, **kwargs: Any) -> Answer:
        # Runs in the worker: by now the interaction must already be acknowledged.
        acknowledged_before_work.append(any("/callback" in e.path for e in simcord_env.http_requests[start:]))
        return real_ask(question, **kwargs)

    monkeypatch.setattr(news_service, "ask", ask)
    start = len(simcord_env.http_requests)
    result = await server.alice.slash(server.channel, "ask", question=QUESTION)

    assert acknowledged_before_work == [True]
    first = requests_since(simcord_env, start)[0]
    assert first.path.endswith("/callback") and first.json["type"] == 5  # deferred, "thinking…"
    simcord.assert_responded(result, ephemeral=False)
    text = embed_text(result.response)
    assert result.response.embeds[0].title == QUESTION
    assert result.response.embeds[0].description.startswith("**No")
    assert "groundless" in text and "> **[1]**" in text
    assert "Sources" in text and "Bloomberg" in text
    ids = custom_ids(result.response)
    assert len(ids) == 2 and ids[0].startswith("newsbot:fb:up:") and ids[1].startswith("newsbot:fb:down:")
    assert_nothing_could_ping(simcord_env)
    assert_within_limits(simcord_env)


@pytest.mark.asyncio
async def test_ask_refuses_a_blank_question_privately(simcord_env: simcord.Env, server: Server) -> None:
    result = await server.alice.slash(server.channel, "ask", question="   \u200b  ")
    simcord.assert_responded(result, ephemeral=True, contains="empty")


@pytest.mark.asyncio
@pytest.mark.simcord(settle_timeout=15)  # below the notice's 20 s self-deletion, which simcord would wait out
@pytest.mark.parametrize("bot_settings", [{"rate_limit_per_minute": 2}], indirect=True)
async def test_rate_limit_is_polite_ephemeral_and_per_user(simcord_env: simcord.Env, server: Server) -> None:
    for _ in range(2):
        result = await server.alice.slash(server.channel, "ask", question=QUESTION)
        assert not result.response.ephemeral
    limited = await server.alice.slash(server.channel, "ask", question=QUESTION)
    simcord.assert_responded(limited, ephemeral=True, contains="try again in")
    assert "2 questions a minute" in limited.response.content
    # Mentions count towards the same limit, and get a reply that removes itself.
    start = len(simcord_env.http_requests)
    await server.alice.send(server.channel, f"{simcord_env.bot.user.mention} {QUESTION}")
    sent = requests_since(simcord_env, start)
    assert [e.method for e in sent] == ["POST"]
    assert "try again in" in sent[0].json["content"] and sent[0].json["message_reference"]
    await simcord_env.advance_time(21)
    assert [e.method for e in requests_since(simcord_env, start)] == ["POST", "DELETE"]
    # Another member is not limited by alice's questions.
    other = await server.ada.slash(server.channel, "ask", question=QUESTION)
    assert not other.response.ephemeral and other.response.embeds
    await simcord_env.advance_time(61)
    again = await server.alice.slash(server.channel, "ask", question=QUESTION)
    assert not again.response.ephemeral and again.response.embeds


@pytest.mark.asyncio
async def test_mention_is_answered_in_a_reply_that_pings_nobody(simcord_env: simcord.Env, server: Server) -> None:
    bot_user = simcord_env.bot.user
    asked = await server.alice.send(server.channel, f"{bot_user.mention} {QUESTION} @everyone @here")
    reply = server.channel.last_message
    assert reply.author.id == bot_user.id
    assert reply.reference is not None and reply.reference.message_id == asked.id
    assert "groundless" in embed_text(reply)
    assert "@everyone" in reply.embeds[0].title  # echoed as text...
    assert not reply.mention_everyone and reply.mentions == [] and reply.role_mentions == []  # ...pinging no one
    assert_nothing_could_ping(simcord_env)


@pytest.mark.asyncio
async def test_plain_messages_are_ignored(simcord_env: simcord.Env, server: Server) -> None:
    await server.alice.send(server.channel, QUESTION)
    assert server.channel.last_message.author.id == server.alice.id


@pytest.mark.asyncio
async def test_a_reply_to_an_answer_is_a_follow_up(simcord_env: simcord.Env, server: Server) -> None:
    bot_user = simcord_env.bot.user
    await server.alice.send(server.channel, f"{bot_user.mention} Did Hyundai confirm the plant deal?")
    answer = server.channel.last_message
    await server.alice.send(server.channel, f"{bot_user.mention} and what did the BAIC executive say?",
                            reply_to=answer)
    follow_up = server.channel.last_message
    assert follow_up.author.id == bot_user.id and follow_up.reference.message_id != answer.id
    # The follow-up was asked with the earlier question as its context.
    assert follow_up.embeds[0].title == "Did Hyundai confirm the plant deal? and what did the BAIC executive say?"


@pytest.mark.asyncio
@pytest.mark.parametrize("bot_settings", [{"answer_channels": [1]}], indirect=True)
async def test_answer_channels_take_every_message_as_a_question(simcord_env: simcord.Env, server: Server) -> None:
    assert simcord_env.bot.intents.message_content  # needed to read messages that do not mention the bot
    newsdesk = server.guild.create_text_channel("ask-the-news")
    simcord_env.bot.settings.answer_channels = [newsdesk.id]  # channel ids exist only now
    await server.alice.send(newsdesk, QUESTION)
    assert "groundless" in embed_text(newsdesk.last_message)
    await server.alice.send(server.channel, QUESTION)  # elsewhere, only mentions count
    assert server.channel.last_message.author.id == server.alice.id


@pytest.mark.asyncio
@pytest.mark.parametrize("bot_settings", [{"thread_mode": True}], indirect=True)
async def test_thread_mode_answers_in_a_new_thread(simcord_env: simcord.Env, server: Server) -> None:
    await server.alice.send(server.channel, f"{simcord_env.bot.user.mention} {QUESTION}")
    threads = server.channel.threads
    assert len(threads) == 1 and threads[0].name == QUESTION
    answer = threads[0].last_message
    assert answer.author.id == simcord_env.bot.user.id and "groundless" in embed_text(answer)


@pytest.mark.asyncio
async def test_company_answers_or_waits_for_issue_5(simcord_env: simcord.Env, server: Server,
                                                    news_service: NewsService) -> None:
    choices = await server.alice.autocomplete(server.channel, "company", "name", "xia")
    assert choices and all(len(c["name"]) <= 100 for c in choices)
    assert any("Xiaomi" in c["name"] for c in choices)
    result = await server.alice.slash(server.channel, "company", name="Xiaomi")
    try:
        news_service.company_summary("Xiaomi")
    except NotImplementedError:
        assert result.followups and result.followups[-1].ephemeral
        assert result.followups[-1].content == COMPANIES_PENDING
        pytest.skip("companies land with issue 5")
    text = embed_text(result.response)
    assert "Xiaomi" in text and "> **[1]**" in text
    assert_within_limits(simcord_env)


@pytest.mark.asyncio
async def test_sources_pages_with_buttons(simcord_env: simcord.Env, server: Server,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord_app, "SOURCES_PAGE_SIZE", 3)  # 8 test articles: 3 pages
    result = await server.alice.slash(server.channel, "sources")
    first = result.response
    assert first.embeds[0].footer.text.startswith("Page 1")
    first_page = first.embeds[0].description
    assert first_page.count("\n") == 2  # three articles
    assert custom_ids(first) == ["newsbot:src:newer:0", "newsbot:src:older:3"]
    await server.alice.click(first, custom_id="newsbot:src:older:3")
    second = server.channel.history()[-1]
    assert second.id == first.id  # edited in place
    assert second.embeds[0].footer.text.startswith("Page 2")
    assert second.embeds[0].description != first_page
    await server.alice.click(second, custom_id="newsbot:src:older:6")
    third = server.channel.history()[-1]
    footer = third.embeds[0].footer.text
    assert footer.startswith("Page 3") and "more on the next page" not in footer
    older = next(c for row in third.components for c in row.children if c.custom_id.startswith("newsbot:src:older"))
    assert older.disabled


# ----------------------------------------------------------------------------- admin commands


@pytest.mark.asyncio
async def test_non_admins_are_refused_even_when_the_command_is_shown_to_them(
        simcord_env: simcord.Env, server: Server) -> None:
    # An admin can override the default_permissions hint per guild; the server check stays.
    for name in ("reindex", "article"):
        server.guild.set_command_permissions(await server.command_id(name), {server.alice: True})
    result = await server.alice.slash(server.channel, "reindex")
    simcord.assert_responded(result, ephemeral=True, contains="only for server admins")
    simcord.assert_error(simcord_env, AdminOnly)
    added = await server.alice.slash(server.channel, "article add", file=("quill.txt", NEW_ARTICLE))
    simcord.assert_responded(added, ephemeral=True, contains="only for server admins")
    removed = await server.alice.slash(server.channel, "article remove", id="wire-0001")
    simcord.assert_responded(removed, ephemeral=True, contains="only for server admins")
    simcord.assert_error(simcord_env, AdminOnly)
    asked = await server.alice.slash(server.channel, "ask", question="Where did Quillfeather open a factory?")
    assert "Port Ellery" not in embed_text(asked.response)


@pytest.mark.asyncio
@pytest.mark.parametrize("bot_settings", [{"admin_role": "Editors"}], indirect=True)
async def test_the_configured_admin_role_may_manage_articles(simcord_env: simcord.Env, server: Server) -> None:
    editors = server.guild.create_role("Editors")
    eddie = server.guild.add_member(simcord_env.create_user("eddie"), roles=[editors])
    server.guild.set_command_permissions(await server.command_id("article"), {editors: True})
    result = await eddie.slash(server.channel, "article remove", id="wire-0002")
    simcord.assert_responded(result, ephemeral=True)
    assert "Removed `wire-0002`" in result.response.content


@pytest.mark.asyncio
async def test_admin_adds_an_attachment_that_is_answerable_right_after(
        simcord_env: simcord.Env, server: Server) -> None:
    start = len(simcord_env.http_requests)
    result = await server.ada.slash(server.channel, "article add", file=("../../etc/quill.txt", NEW_ARTICLE))
    requests = requests_since(simcord_env, start)
    assert requests[0].path.endswith("/callback") and requests[0].json == {"type": 5, "data": {"flags": 64}}
    edits = [e for e in requests if e.method == "PATCH" and "@original" in e.path]
    assert "Indexing quill.txt" in edits[0].json["content"]  # progress, then the result
    final = result.response
    assert final.ephemeral and not final.content
    assert final.embeds[0].title == "quill.txt: 1 article indexed"
    assert "added" in final.embeds[0].description and "Quillfeather" in final.embeds[0].description
    asked = await server.alice.slash(server.channel, "ask", question="Where did Quillfeather Robotics open a factory?")
    assert "Port Ellery" in embed_text(asked.response)
    assert_nothing_could_ping(simcord_env)
    assert_within_limits(simcord_env)


@pytest.mark.asyncio
@pytest.mark.parametrize("bot_settings", [{"max_attachment_bytes": 1024}], indirect=True)
async def test_uploads_are_checked_for_type_and_size(simcord_env: simcord.Env, server: Server) -> None:
    wrong = await server.ada.slash(server.channel, "article add", file=("tool.exe", b"MZ\x90\x00"))
    assert wrong.response.ephemeral and ".jsonl" in wrong.response.content
    big = await server.ada.slash(server.channel, "article add", file=("big.txt", b"word " * 400))
    simcord.assert_responded(big, ephemeral=True, contains="that file is 2 KB; the limit is 1 KB")
    broken = await server.ada.slash(server.channel, "article add", file=("broken.json", b"{not json"))
    assert broken.response.embeds[0].title == "broken.json: 0 articles indexed"
    assert "rejected" in broken.response.embeds[0].description


@pytest.mark.asyncio
async def test_admin_removes_an_article_chosen_by_autocomplete(simcord_env: simcord.Env, server: Server) -> None:
    choices = await server.ada.autocomplete(server.channel, "article remove", "id", "ferry")
    assert [c["value"] for c in choices] == ["wire-0002"]
    result = await server.ada.slash(server.channel, "article remove", id="wire-0002")
    assert "Removed `wire-0002`" in result.response.content and result.response.ephemeral
    again = await server.ada.slash(server.channel, "article remove", id="wire-0002")
    assert "no article with the id" in again.response.content


@pytest.mark.asyncio
async def test_admin_reindexes(simcord_env: simcord.Env, server: Server) -> None:
    result = await server.ada.slash(server.channel, "reindex")
    assert result.response.ephemeral
    assert result.response.embeds[0].title == "Knowledge base rebuilt"
    assert "Re-embedded 8 articles" in result.response.embeds[0].description
    asked = await server.alice.slash(server.channel, "ask", question=QUESTION)
    assert "groundless" in embed_text(asked.response)


# ----------------------------------------------------------------------------- articles by URL and feeds

INTAKE = {"fetch_allow_hosts": ["127.0.0.1"], "fetch_timeout": 2.0, "fetch_max_bytes": 200_000}


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite(feed_size=3, slow_seconds=4.0) as news:
        yield news


@pytest.mark.asyncio
@pytest.mark.parametrize("bot_settings", [INTAKE], indirect=True)
async def test_admin_adds_a_page_by_url_that_is_answerable_right_after(
        simcord_env: simcord.Env, server: Server, site: NewsSite, news_service: NewsService) -> None:
    item = story(7)
    url = site.url(f"/news/{item.slug}.html")
    result = await server.ada.slash(server.channel, "article add", url=url)
    final = result.response
    assert final.ephemeral and final.embeds[0].title.endswith(": 1 article indexed")
    assert "added" in final.embeds[0].description and item.company in final.embeds[0].description
    asked = await server.alice.slash(server.channel, "ask", question=f"Where did {item.company} open a factory?")
    assert item.town in embed_text(asked.response)
    assert_nothing_could_ping(simcord_env)
    assert_within_limits(simcord_env)


@pytest.mark.asyncio
@pytest.mark.parametrize("bot_settings", [INTAKE], indirect=True)
async def test_bad_urls_are_rejected_with_the_reason_and_change_nothing(
        simcord_env: simcord.Env, server: Server, site: NewsSite, news_service: NewsService) -> None:
    before = news_service.kb.counts()
    for path, reason in (("/photo.png", "not a web page"), ("/missing", "HTTP 404"),
                         ("/away", "127.0.0.2, a loopback address"), ("/empty.html", "no article text")):
        result = await server.ada.slash(server.channel, "article add", url=site.url(path))
        embed = result.response.embeds[0]
        assert embed.title.endswith(": 0 articles indexed") and "rejected" in embed.description
        assert reason in embed.description.replace("\\", "")
    scheme = await server.ada.slash(server.channel, "article add", url="file:///etc/passwd")
    assert "only http:// and https://" in scheme.response.embeds[0].description.replace("\\", "")
    neither = await server.ada.slash(server.channel, "article add")
    simcord.assert_responded(neither, ephemeral=True, contains="Give either a file or a url")
    assert news_service.kb.counts() == before
    assert_within_limits(simcord_env)


@pytest.mark.asyncio
@pytest.mark.parametrize("bot_settings", [INTAKE], indirect=True)
async def test_non_admins_cannot_add_urls_or_feeds(simcord_env: simcord.Env, server: Server, site: NewsSite,
                                                   news_service: NewsService) -> None:
    for name in ("article", "feed"):
        server.guild.set_command_permissions(await server.command_id(name), {server.alice: True})
    before = news_service.kb.counts()
    added = await server.alice.slash(server.channel, "article add", url=site.url("/news/story-01.html"))
    simcord.assert_responded(added, ephemeral=True, contains="only for server admins")
    followed = await server.alice.slash(server.channel, "feed add", url=site.url("/feeds/rss.xml"))
    simcord.assert_responded(followed, ephemeral=True, contains="only for server admins")
    listed = await server.alice.slash(server.channel, "feed list")
    simcord.assert_responded(listed, ephemeral=True, contains="only for server admins")
    simcord.assert_error(simcord_env, AdminOnly)
    assert news_service.kb.counts() == before and news_service.list_feeds() == []
    assert site.requests == []  # refused before anything was fetched


@pytest.mark.asyncio
@pytest.mark.parametrize("bot_settings", [INTAKE], indirect=True)
async def test_feed_add_indexes_and_announces_the_articles_without_pings(
        simcord_env: simcord.Env, server: Server, site: NewsSite, news_service: NewsService) -> None:
    news = server.guild.create_text_channel("news")
    simcord_env.bot.settings.announce_channel = news.id
    result = await server.ada.slash(server.channel, "feed add", url=site.url("/feeds/rss.xml"), name="Business")
    simcord.assert_responded(result, ephemeral=True, contains="Following **Business** (feed `1`)")
    await simcord_env.settle()
    [message] = news.history()  # three articles, one message
    assert [e.title for e in message.embeds] == [story(n).title for n in (3, 2, 1)]
    for embed, n in zip(message.embeds, (3, 2, 1), strict=True):
        assert embed.url == site.url(f"/news/{story(n).slug}.html")
        assert embed.description.startswith("> " + story(n).paragraphs[0])   # verbatim first sentence
        assert "Harbor Ledger" in embed.description and story(n).published.strftime("%b %Y") in embed.description
    assert len(news_service.list_articles()) == 8 + 3

    site.feed_size = 4  # the next round announces only the new one
    await simcord_env.bot.poll_feeds()
    assert [e.title for e in news.history()[-1].embeds] == [story(4).title]
    await simcord_env.bot.poll_feeds()  # a 304: nothing new, nothing said
    assert len(news.history()) == 2
    assert_nothing_could_ping(simcord_env)
    assert_within_limits(simcord_env)


@pytest.mark.asyncio
@pytest.mark.parametrize("bot_settings", [INTAKE], indirect=True)
async def test_feed_list_shows_errors_and_feed_remove_takes_an_autocompleted_id(
        simcord_env: simcord.Env, server: Server, site: NewsSite, news_service: NewsService) -> None:
    refused = await server.ada.slash(server.channel, "feed add", url=site.url("/news/story-01.html"))
    simcord.assert_responded(refused, ephemeral=True, contains="can't follow that feed: not a feed")
    await server.ada.slash(server.channel, "feed add", url=site.url("/feeds/atom.xml"))
    await simcord_env.settle()
    site.broken_paths.add("/feeds/atom.xml")
    await simcord_env.bot.poll_feeds(only_due=False)
    listed = await server.ada.slash(server.channel, "feed list")
    text = embed_text(listed.response)
    assert "Harbor Ledger (Atom)" in text and "failing (1×)" in text and "HTTP 503" in text
    choices = await server.ada.autocomplete(server.channel, "feed remove", "id", "atom")
    assert [c["value"] for c in choices] == [1]
    removed = await server.ada.slash(server.channel, "feed remove", id=1)
    simcord.assert_responded(removed, ephemeral=True, contains="No longer following feed `1`")
    assert news_service.list_feeds() == []
    assert_within_limits(simcord_env)


# ----------------------------------------------------------------------------- feedback, errors, limits


@pytest.mark.asyncio
async def test_votes_are_stored_with_a_hashed_voter(simcord_env: simcord.Env, server: Server,
                                                    news_service: NewsService) -> None:
    result = await server.alice.slash(server.channel, "ask", question=QUESTION)
    answer_id = custom_ids(result.response)[0].rsplit(":", 1)[1]
    up = await server.alice.click(result.response, custom_id=f"newsbot:fb:up:{answer_id}")
    simcord.assert_responded(up, ephemeral=True, contains="Thanks, your 👍 is recorded.")
    again = await server.alice.click(result.response, custom_id=f"newsbot:fb:up:{answer_id}")
    assert "already" in again.response.content
    await server.ada.click(result.response, custom_id=f"newsbot:fb:down:{answer_id}")
    assert simcord_env.bot.feedback.tally(answer_id) == {"up": 1, "down": 1}

    db_path = news_service.settings.data_dir / "feedback.db"
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT question, answer_id, vote, voter_hash FROM votes ORDER BY vote").fetchall()
    assert [(q, a, v) for q, a, v, _ in rows] == [(QUESTION, answer_id, "down"), (QUESTION, answer_id, "up")]
    raw = db_path.read_bytes() + (db_path.with_name("feedback.db-wal").read_bytes()
                                  if db_path.with_name("feedback.db-wal").exists() else b"")
    for member in (server.alice, server.ada):
        assert str(member.id).encode() not in raw
        assert all(h != str(member.id) and len(h) == 64 for *_, h in rows)


@pytest.mark.asyncio
async def test_feedback_buttons_survive_a_restart(simcord_env: simcord.Env, server: Server,
                                                  news_service: NewsService) -> None:
    result = await server.alice.slash(server.channel, "ask", question=QUESTION)
    answer_id = custom_ids(result.response)[0].rsplit(":", 1)[1]
    restarted = NewsBot(news_service, warm_up=False)
    try:
        await simcord_env.restart_bot(restarted)
        click = await server.alice.click(result.response, custom_id=f"newsbot:fb:down:{answer_id}")
        simcord.assert_responded(click, ephemeral=True, contains="Thanks, your 👎 is recorded.")
        assert restarted.feedback.tally(answer_id) == {"up": 0, "down": 1}
    finally:
        restarted.engine.shutdown()


@pytest.mark.asyncio
@pytest.mark.simcord(settle_timeout=20)  # below the notice's 60 s self-deletion, which simcord would wait out
async def test_an_engine_failure_is_ephemeral_with_a_reference(
        simcord_env: simcord.Env, server: Server, news_service: NewsService,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(question: str, **kwargs: Any) -> Answer:
        raise RuntimeError("index exploded")

    monkeypatch.setattr(news_service, "ask", broken)
    with caplog.at_level(logging.ERROR, logger="newsbot.discord"):
        result = await server.alice.slash(server.channel, "ask", question=QUESTION)
    simcord.assert_error(simcord_env, RuntimeError, contains="index exploded")
    notice = result.followups[-1]
    assert notice.ephemeral and "reference" in notice.content
    assert "Traceback" not in notice.content and "exploded" not in notice.content
    ref = notice.content.split("`")[1]
    logged = [r for r in caplog.records if f"[ref {ref}]" in r.getMessage()]
    assert logged and logged[0].exc_info and "index exploded" in str(logged[0].exc_info[1])
    assert result.response is None  # the public "thinking…" message was removed
    # A mention that fails gets a short reply with a reference too (which removes itself).
    start = len(simcord_env.http_requests)
    await server.alice.send(server.channel, f"{simcord_env.bot.user.mention} {QUESTION}")
    notice = next(e for e in requests_since(simcord_env, start) if e.method == "POST" and "content" in (e.json or {}))
    assert "Reference: `" in notice.json["content"] and "exploded" not in notice.json["content"]


def huge_answer(question: str) -> Answer:
    body = ("A *very* long_sentence with `code`, a [link](https://x.example) and <@123> @everyone "
            "about the plant deal, " * 60).strip() + "."
    quote = Quote("a-1", "T" * 400 + " [title]", "Outlet " * 40, "https://example.com/" + "p" * 600, "2024-01-02",
                  body, 0, len(body))
    others = [Quote(f"a-{i}", f"Title {i}", "Wire", f"https://example.com/{i}", None, body, 0, len(body))
              for i in range(2, 9)]
    return Answer(question=question, answer="From a very long article: " + "x " * 900, verdict="yes",
                  quotes=[quote, *others], answer_id="abc123def456")


@pytest.mark.asyncio
async def test_a_huge_answer_stays_within_discord_limits(simcord_env: simcord.Env, server: Server,
                                                         news_service: NewsService,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(news_service, "ask", lambda q, **kw: huge_answer(q))
    result = await server.alice.slash(server.channel, "ask", question="@everyone " + "why? " * 390)
    embed = result.response.embeds[0]
    assert limit_problems(result.response.content, [embed.to_dict()]) == []
    assert "> **[1]** A \\*very\\* long\\_sentence" in embed.description  # the first quote, escaped
    assert embed.description.rstrip().endswith("…")
    assert len(embed.title) <= 256
    assert_within_limits(simcord_env)
    assert_nothing_could_ping(simcord_env)


# ----------------------------------------------------------------------------- small parts


def test_sliding_window_limiter() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(limit=2, window=60, clock=lambda: now[0])
    assert limiter.hit("a").allowed and limiter.hit("a").allowed
    refused = limiter.hit("a")
    assert not refused.allowed and refused.retry_after == pytest.approx(60)
    assert limiter.hit("b").allowed
    now[0] = 30.0
    assert not limiter.hit("a").allowed
    now[0] = 60.5
    decision = limiter.hit("a")
    assert decision.allowed and decision.remaining == 1  # both hits at 0.0 left the window; refusals never count
    with pytest.raises(ValueError):
        SlidingWindowLimiter(limit=0)


def test_the_token_is_redacted_from_logs_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    token = "MTAwMDAwMDAwMDAwMDAwMDAw.double.fake-bot-token-secret"
    handler = logging.StreamHandler()
    records: list[str] = []
    handler.emit = lambda record: records.append(handler.format(record))  # type: ignore[method-assign]
    handler.addFilter(RedactSecrets([token]))
    logger = logging.getLogger("newsbot.test.redact")
    logger.addHandler(handler)
    try:
        logger.warning("logging in with %s", token)
        try:
            raise RuntimeError(f"401 for token {token}")
        except RuntimeError:
            logger.exception("failed")
        logger.warning("hmac part alone: %s", token.rsplit(".", 1)[1])
    finally:
        logger.removeHandler(handler)
    assert records and all(token not in r and "fake-bot-token-secret" not in r for r in records)
    assert "[redacted]" in records[0] and "RuntimeError" in records[1]


def test_point_at_discord_sets_the_two_class_attributes(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    point_at_discord(settings_for(tmp_path, discord_api_base="http://127.0.0.1:9/api/v10/",
                                  discord_gateway="ws://127.0.0.1:9/gateway"))
    assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9/gateway"


def test_ranked_choices_prefer_prefixes_and_stop_at_25() -> None:
    names = [(f"Beta {i}", [f"Beta {i}"]) for i in range(30)] + [("Alphabet", ["Alphabet", "Google"])]
    assert [c.name for c in ranked_choices("goo", names)] == ["Alphabet"]
    assert len(ranked_choices("", names)) == 25
    assert ranked_choices("bet", names)[0].name == "Beta 0" and ranked_choices("bet", names)[-1].name != "Alphabet"
