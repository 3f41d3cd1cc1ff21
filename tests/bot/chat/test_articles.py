"""Article admin (bot/chat/articles.py): /article add (file or URL), /article remove and
/reindex, for admins only, through simcord, the real engine and a loopback news site."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import simcord

from bot.chat.permissions import AdminOnly
from bot.service import NewsService
from tests.bot.chat.simcord_server import (
    INTAKE,
    QUESTION,
    Server,
    assert_nothing_could_ping,
    assert_within_limits,
    embed_text,
    requests_since,
)
from tests.conftest import NEW_ARTICLE
from tests.fixtures.news_site import NewsSite, story

pytestmark = pytest.mark.simcord(settle_timeout=60)


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite(feed_size=3, slow_seconds=4.0) as news:
        yield news


@pytest.mark.asyncio
async def test_non_admins_are_refused_even_when_the_command_is_shown_to_them(
        simcord_env: simcord.Env, server: Server, news_service: NewsService) -> None:
    # An admin can override the default_permissions hint per guild; the server check stays.
    await server.show_to_alice("reindex", "article")
    before = news_service.kb.counts()
    result = await server.alice.slash(server.channel, "reindex")
    simcord.assert_responded(result, ephemeral=True, contains="Sorry, /reindex is only for server admins.")
    simcord.assert_error(simcord_env, AdminOnly)
    added = await server.alice.slash(server.channel, "article add", file=("quill.txt", NEW_ARTICLE))
    simcord.assert_responded(added, ephemeral=True, contains="/article add is only for server admins")
    removed = await server.alice.slash(server.channel, "article remove", id="wire-0001")
    simcord.assert_responded(removed, ephemeral=True, contains="only for server admins")
    simcord.assert_error(simcord_env, AdminOnly)
    assert news_service.kb.counts() == before and news_service.get_article("wire-0001") is not None


@pytest.mark.asyncio
@pytest.mark.parametrize("bot_settings", [{"admin_role": "Editors"}], indirect=True)
async def test_the_configured_admin_role_may_manage_articles(simcord_env: simcord.Env, server: Server) -> None:
    editors = server.guild.create_role("Editors")
    eddie = server.guild.add_member(simcord_env.create_user("eddie"), roles=[editors])
    server.guild.set_command_permissions(await server.command_id("article"), {editors: True, server.alice: True})
    refused = await server.alice.slash(server.channel, "article remove", id="wire-0002")
    simcord.assert_responded(refused, ephemeral=True,
                             contains="only for server admins and members with the Editors role")
    simcord.assert_error(simcord_env, AdminOnly)
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
async def test_uploads_are_checked_for_type_and_size(simcord_env: simcord.Env, server: Server,
                                                     news_service: NewsService) -> None:
    before = news_service.kb.counts()
    wrong = await server.ada.slash(server.channel, "article add", file=("tool.exe", b"MZ\x90\x00"))
    assert wrong.response.ephemeral and ".jsonl" in wrong.response.content
    big = await server.ada.slash(server.channel, "article add", file=("big.txt", b"word " * 400))
    simcord.assert_responded(big, ephemeral=True, contains="file is over the 1 KB limit")
    assert news_service.kb.counts() == before
    broken = await server.ada.slash(server.channel, "article add", file=("broken.json", b"{not json"))
    assert broken.response.embeds[0].title == "broken.json: 0 articles indexed"
    assert "rejected" in broken.response.embeds[0].description
    # .htm is a web page to the parser, so the upload check takes it too.
    page = b"<html><head><title>Quillfeather opens a plant</title></head><body><p>" + NEW_ARTICLE[-150:] + b"</p>"
    htm = await server.ada.slash(server.channel, "article add", file=("quill.htm", page))
    assert htm.response.embeds[0].title.startswith("quill.htm: ")


@pytest.mark.asyncio
async def test_admin_removes_an_article_chosen_by_autocomplete(simcord_env: simcord.Env, server: Server,
                                                               news_service: NewsService) -> None:
    choices = await server.ada.autocomplete(server.channel, "article remove", "id", "ferry")
    assert [c["value"] for c in choices] == ["wire-0002"]
    result = await server.ada.slash(server.channel, "article remove", id="wire-0002")
    assert "Removed `wire-0002`" in result.response.content and result.response.ephemeral
    assert news_service.get_article("wire-0002") is None
    again = await server.ada.slash(server.channel, "article remove", id="wire-0002")
    assert "no article with the id" in again.response.content
    await simcord_env.settle()
    assert await server.ada.autocomplete(server.channel, "article remove", "id", "ferry") == []


@pytest.mark.asyncio
async def test_admin_reindexes(simcord_env: simcord.Env, server: Server) -> None:
    result = await server.ada.slash(server.channel, "reindex")
    assert result.response.ephemeral
    assert result.response.embeds[0].title == "Knowledge base rebuilt"
    assert "Re-embedded 8 articles" in result.response.embeds[0].description
    asked = await server.alice.slash(server.channel, "ask", question=QUESTION)
    assert "groundless" in embed_text(asked.response)


@pytest.mark.asyncio
@pytest.mark.parametrize("bot_settings", [INTAKE], indirect=True)
async def test_admin_adds_a_page_by_url_that_is_answerable_right_after(
        simcord_env: simcord.Env, server: Server, site: NewsSite) -> None:
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
    both = await server.ada.slash(server.channel, "article add", url=site.url("/news/story-01.html"),
                                  file=("quill.txt", NEW_ARTICLE))
    simcord.assert_responded(both, ephemeral=True, contains="Give either a file or a url")
    assert news_service.kb.counts() == before
    assert_within_limits(simcord_env)
