"""Sources (bot/chat/sources.py): /sources and its page buttons, through simcord."""

from __future__ import annotations

import pytest
import simcord

import bot.chat.sources as sources
from tests.bot.chat.simcord_server import Server, custom_ids

pytestmark = pytest.mark.simcord(settle_timeout=60)


@pytest.mark.asyncio
async def test_sources_pages_with_buttons(simcord_env: simcord.Env, server: Server,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "SOURCES_PAGE_SIZE", 3)  # 8 test articles: 3 pages
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
