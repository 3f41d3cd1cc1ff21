"""Replies (bot/chat/replies.py): a failure is told privately with a reference that is in
the log with its traceback, for a command and for a channel message."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import simcord

from bot.engine.answer import Answer
from bot.service import NewsService
from tests.bot.chat.simcord_server import QUESTION, Server, requests_since


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
    ref = notice.json["content"].split("`")[1]
    assert any(f"[ref {ref}]" in r.getMessage() and r.exc_info for r in caplog.records)
