"""Votes (bot/chat/votes.py): the 👍/👎 buttons under an answer, stored with a hashed voter."""

from __future__ import annotations

import sqlite3

import pytest
import simcord

from bot.service import NewsService
from tests.bot.chat.simcord_server import QUESTION, Server, custom_ids

pytestmark = pytest.mark.simcord(settle_timeout=60)


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
