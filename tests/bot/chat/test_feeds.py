"""Feeds (bot/chat/feeds.py): /feed add|remove|list for admins, the poll and its
announcements, through simcord, the real engine and a loopback news site."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import simcord

from bot.chat.feeds import Feeds
from bot.chat.permissions import AdminOnly
from bot.service import NewsService
from tests.bot.chat.simcord_server import INTAKE, Server, assert_nothing_could_ping, assert_within_limits, embed_text
from tests.fixtures.news_site import NewsSite, story

pytestmark = [pytest.mark.simcord(settle_timeout=60), pytest.mark.parametrize("bot_settings", [INTAKE],
                                                                             indirect=True)]


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite(feed_size=3, slow_seconds=4.0) as news:
        yield news


def feeds_cog(env: simcord.Env) -> Feeds:
    cog = env.bot.get_cog("Feeds")
    assert isinstance(cog, Feeds)
    return cog


@pytest.mark.asyncio
async def test_non_admins_cannot_add_urls_or_feeds(simcord_env: simcord.Env, server: Server, site: NewsSite,
                                                   news_service: NewsService) -> None:
    await server.show_to_alice("article", "feed")
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
    await feeds_cog(simcord_env).poll_feeds()
    assert [e.title for e in news.history()[-1].embeds] == [story(4).title]
    await feeds_cog(simcord_env).poll_feeds()  # a 304: nothing new, nothing said
    assert len(news.history()) == 2
    assert_nothing_could_ping(simcord_env)
    assert_within_limits(simcord_env)


@pytest.mark.asyncio
async def test_feed_list_shows_errors_and_feed_remove_takes_an_autocompleted_id(
        simcord_env: simcord.Env, server: Server, site: NewsSite, news_service: NewsService) -> None:
    refused = await server.ada.slash(server.channel, "feed add", url=site.url("/news/story-01.html"))
    simcord.assert_responded(refused, ephemeral=True, contains="can't follow that feed: not a feed")
    await server.ada.slash(server.channel, "feed add", url=site.url("/feeds/atom.xml"))
    await simcord_env.settle()
    site.broken_paths.add("/feeds/atom.xml")
    await feeds_cog(simcord_env).poll_feeds(only_due=False)
    listed = await server.ada.slash(server.channel, "feed list")
    text = embed_text(listed.response)
    assert listed.response.ephemeral
    assert "Harbor Ledger (Atom)" in text and "failing (1×)" in text and "HTTP 503" in text
    choices = await server.ada.autocomplete(server.channel, "feed remove", "id", "atom")
    assert [c["value"] for c in choices] == [1]
    removed = await server.ada.slash(server.channel, "feed remove", id=1)
    simcord.assert_responded(removed, ephemeral=True, contains="No longer following feed `1`")
    assert news_service.list_feeds() == []
    again = await server.ada.slash(server.channel, "feed remove", id=1)
    simcord.assert_responded(again, ephemeral=True, contains="There is no feed `1`")
    assert await server.ada.autocomplete(server.channel, "feed remove", "id", "atom") == []
    assert_within_limits(simcord_env)
