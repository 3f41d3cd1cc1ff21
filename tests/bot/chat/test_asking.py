"""Asking (bot/chat/asking.py): /ask, mentions, follow-ups, answer channels and threads,
through simcord and the real engine."""

from __future__ import annotations

from typing import Any

import pytest
import simcord

from bot.chat.render import limit_problems
from bot.engine.answer import Answer, Quote
from bot.service import NewsService
from tests.bot.chat.simcord_server import (
    QUESTION,
    Server,
    assert_nothing_could_ping,
    assert_within_limits,
    custom_ids,
    embed_text,
    requests_since,
)

# The engine runs for real in worker threads; simcord waits for them, so give it room.
pytestmark = pytest.mark.simcord(settle_timeout=60)


@pytest.mark.asyncio
async def test_ask_defers_at_once_then_answers_with_quotes(simcord_env: simcord.Env, server: Server,
                                                           news_service: NewsService,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    acknowledged_before_work: list[bool] = []
    asked: list[str] = []
    real_ask = news_service.ask

    def ask(question: str, **kwargs: Any) -> Answer:
        # Runs in the worker: by now the interaction must already be acknowledged.
        acknowledged_before_work.append(any("/callback" in e.path for e in simcord_env.http_requests[start:]))
        asked.append(question)
        return real_ask(question, **kwargs)

    monkeypatch.setattr(news_service, "ask", ask)
    start = len(simcord_env.http_requests)
    result = await server.alice.slash(server.channel, "ask", question=f"  {QUESTION}\n")

    assert acknowledged_before_work == [True]
    assert asked == [f"  {QUESTION}\n"]  # as typed: the service cleans it, not the Discord face
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
@pytest.mark.simcord(settle_timeout=15)  # below the notice's 20 s self-deletion, which simcord would wait out
@pytest.mark.parametrize("bot_settings", [{"max_question_chars": 40}], indirect=True)
async def test_a_question_the_service_refuses_is_answered_privately(simcord_env: simcord.Env,
                                                                    server: Server) -> None:
    blank = await server.alice.slash(server.channel, "ask", question="   \u200b  ")
    notice = blank.followups[-1]
    assert notice.ephemeral and notice.content == "Sorry, the question is empty."
    assert blank.response is None  # the public "thinking…" message was removed
    long = await server.alice.slash(server.channel, "ask", question="why " * 20)
    assert long.followups[-1].ephemeral and "the limit is 40" in long.followups[-1].content
    # In a channel: a mention with nothing else gets an example, a long one the reason.
    start = len(simcord_env.http_requests)
    await server.alice.send(server.channel, f"{simcord_env.bot.user.mention}   ")
    await server.alice.send(server.channel, f"{simcord_env.bot.user.mention} {'why ' * 20}")
    notices = [e.json for e in requests_since(simcord_env, start) if e.method == "POST" and e.json]
    assert len(notices) == 2 and not any(n.get("embeds") for n in notices)
    assert notices[0]["content"].startswith("Ask me about the news, for example: @")
    assert "the limit is 40" in notices[1]["content"]
    assert_nothing_could_ping(simcord_env)


@pytest.mark.asyncio
@pytest.mark.simcord(settle_timeout=15)  # below the notice's 20 s self-deletion, which simcord would wait out
@pytest.mark.parametrize("bot_settings", [{"rate_limit_per_minute": 2}], indirect=True)
async def test_rate_limit_is_polite_ephemeral_and_per_user(simcord_env: simcord.Env, server: Server) -> None:
    for _ in range(2):
        result = await server.alice.slash(server.channel, "ask", question=QUESTION)
        assert not result.response.ephemeral and result.response.embeds
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
    start = len(simcord_env.http_requests)
    await server.alice.send(server.channel, QUESTION)
    assert server.channel.last_message.author.id == server.alice.id
    assert requests_since(simcord_env, start) == []


@pytest.mark.asyncio
async def test_a_reply_to_an_answer_is_a_follow_up(simcord_env: simcord.Env, server: Server) -> None:
    bot_user = simcord_env.bot.user
    await server.alice.send(server.channel, f"{bot_user.mention} Did Hyundai confirm the plant deal?")
    answer = server.channel.last_message
    assert answer.author.id == bot_user.id
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
async def test_without_answer_channels_the_privileged_intent_is_not_asked_for(simcord_env: simcord.Env) -> None:
    assert not simcord_env.bot.intents.message_content


@pytest.mark.asyncio
@pytest.mark.parametrize("bot_settings", [{"thread_mode": True}], indirect=True)
async def test_thread_mode_answers_in_a_new_thread(simcord_env: simcord.Env, server: Server) -> None:
    await server.alice.send(server.channel, f"{simcord_env.bot.user.mention}   {QUESTION}")
    threads = server.channel.threads
    assert len(threads) == 1 and threads[0].name == QUESTION  # named after the cleaned question
    answer = threads[0].last_message
    assert answer.author.id == simcord_env.bot.user.id and "groundless" in embed_text(answer)


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
    assert "\\<@123>" in embed.description  # shown as written, not as a mention
    assert embed.description.rstrip().endswith("…")
    assert len(embed.title) <= 256
    assert_within_limits(simcord_env)
    assert_nothing_could_ping(simcord_env)
