"""The client (bot/chat/client.py): the commands it syncs, its cogs, restarts and shards."""

from __future__ import annotations

import discord
import pytest
import simcord

from bot.chat.client import NewsBot, shard_options
from bot.service import NewsService
from tests.bot.chat.simcord_server import QUESTION, Server, custom_ids
from tests.conftest import settings_for

pytestmark = pytest.mark.simcord(settle_timeout=60)


@pytest.mark.asyncio
async def test_commands_are_synced_with_admin_hints(simcord_env: simcord.Env, server: Server) -> None:
    synced = {c.name: c for c in await simcord_env.bot.tree.fetch_commands()}
    assert set(synced) == {"ask", "company", "sources", "article", "reindex", "feed"}
    assert set(simcord_env.bot.cogs) == {"Asking", "Companies", "Sources", "ArticleAdmin", "Feeds"}
    for admin_command in ("article", "reindex", "feed"):
        assert synced[admin_command].default_member_permissions == discord.Permissions(administrator=True)
        sent = simcord_env.bot.tree.get_command(admin_command).to_dict(simcord_env.bot.tree)
        assert sent["contexts"] == [0] and sent["dm_permission"] is False  # guild only
    for public in ("ask", "company", "sources"):
        assert synced[public].default_member_permissions is None
    assert {o.name for o in synced["article"].options} == {"add", "remove"}
    assert {o.name for o in synced["feed"].options} == {"add", "remove", "list"}
    [article_add] = [o for o in synced["article"].options if o.name == "add"]
    assert {(o.name, o.required) for o in article_add.options} == {("file", False), ("url", False)}
    assert [(o.name, o.required) for o in synced["ask"].options] == [("question", True)]
    assert [(o.name, o.autocomplete) for o in synced["company"].options] == [("name", True)]
    # A member without the permission does not even see them...
    assert "reindex" not in server.alice.available_commands(server.channel)
    assert "ask" in server.alice.available_commands(server.channel)
    with pytest.raises(simcord.SetupError):
        await server.alice.slash(server.channel, "reindex")


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
        pages = await server.alice.slash(server.channel, "sources")  # the restarted bot has every cog
        assert pages.response.embeds[0].title == "Indexed articles"
    finally:
        restarted.engine.shutdown()


def test_shard_options(tmp_path) -> None:
    assert shard_options(settings_for(tmp_path)) == {}
    assert shard_options(settings_for(tmp_path, shard_count=2)) == {"shard_count": 2, "shard_ids": [0, 1]}
    assert shard_options(settings_for(tmp_path, shard_count=2, shard_ids=[1])) == {"shard_count": 2,
                                                                                   "shard_ids": [1]}
    for bad in ({"shard_ids": [0]}, {"shard_count": 2, "shard_ids": [2]}, {"shard_count": 2, "shard_ids": [1, 1]}):
        with pytest.raises(ValueError, match="NEWSBOT_SHARD_IDS"):
            shard_options(settings_for(tmp_path, **bad))
