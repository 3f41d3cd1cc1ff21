"""Companies (bot/chat/companies.py): /company with autocomplete, through simcord and the
real engine."""

from __future__ import annotations

import pytest
import simcord

from tests.bot.chat.simcord_server import Server, assert_nothing_could_ping, assert_within_limits, embed_text

pytestmark = pytest.mark.simcord(settle_timeout=60)


@pytest.mark.asyncio
async def test_company_is_autocompleted_and_summarised_with_quotes(simcord_env: simcord.Env,
                                                                   server: Server) -> None:
    await simcord_env.settle()  # the autocomplete lists are filled in the background at start
    choices = await server.alice.autocomplete(server.channel, "company", "name", "xia")
    assert choices and all(len(c["name"]) <= 100 for c in choices)
    assert choices[0]["name"] == "Xiaomi"
    result = await server.alice.slash(server.channel, "company", name="  Xiaomi ")
    simcord.assert_responded(result, ephemeral=False)
    text = embed_text(result.response)
    assert "Xiaomi" in result.response.embeds[0].title and "> **[1]**" in text
    assert_within_limits(simcord_env)
    assert_nothing_could_ping(simcord_env)


@pytest.mark.asyncio
async def test_an_unknown_company_is_said_so(simcord_env: simcord.Env, server: Server) -> None:
    result = await server.alice.slash(server.channel, "company", name="Zzyzx Widgets")
    simcord.assert_responded(result, ephemeral=False)
    assert "> **[1]**" not in embed_text(result.response)
    blank = await server.alice.slash(server.channel, "company", name="   ")
    simcord.assert_responded(blank, ephemeral=True, contains="Give me a company name")
