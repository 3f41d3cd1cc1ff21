"""Feeds: parsing RSS, Atom and JSON Feed; polling the loopback news site into a real
knowledge base: 20 entries, then the 2 new ones, then nothing (a 304); a restart between
polls; entries that fail now and then; a failing feed's back-off and its error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.service import NewsService
from index.intake.feeds import FeedError, feed_problems, parse_feed
from index.intake.fetch import FetchError
from tests.conftest import settings_for
from tests.fixtures.news_site import NOT_A_FEED, PNG, NewsSite, story


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite(feed_size=20) as news:
        yield news


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "kb"


def service_for(data_dir: Path, embedder) -> NewsService:
    return NewsService(settings_for(data_dir, fetch_allow_hosts=["127.0.0.1"], fetch_timeout=5.0,
                                    feed_interval=15.0), embedder=embedder)


@pytest.fixture
def service(data_dir: Path, embedder) -> Iterator[NewsService]:
    svc = service_for(data_dir, embedder)
    yield svc
    svc.close()


def article_count(service: NewsService) -> int:
    return service.kb.counts()["articles"]


# ----------------------------------------------------------------------------- parsing


def test_rss_atom_and_json_feeds_give_the_same_entries(site: NewsSite) -> None:
    site.feed_size = 3
    feeds = {kind: parse_feed(body, ctype, site.url("/feeds/x")) for kind, body, ctype in (
        ("rss", site.rss(), "application/rss+xml"), ("atom", site.atom(), "application/atom+xml"),
        ("json", site.json_feed(), "application/feed+json"))}
    assert [f.kind for f in feeds.values()] == ["rss20", "atom10", "json"]
    assert feeds["rss"].title == "Harbor Ledger: Business"
    for parsed in feeds.values():
        assert [e.title for e in parsed.entries] == [story(n).title for n in (3, 2, 1)]
        assert [e.published_at for e in parsed.entries] == [story(n).published.isoformat() for n in (3, 2, 1)]
        assert all(e.link and e.link.startswith(site.url("/news/story-0")) for e in parsed.entries)
    assert [e.key for e in feeds["rss"].entries] == ["harbor-3", "harbor-2", "harbor-1"]   # the guid
    assert feeds["atom"].entries[0].link == site.url("/news/story-03.html")                # relative, resolved


@pytest.mark.parametrize(("body", "ctype", "reason"), [
    (b"<html><body><p>Just a page</p></body></html>", "text/html", "no RSS, Atom or JSON Feed"),
    (NOT_A_FEED, "application/xml", "no RSS, Atom or JSON Feed"),
    (PNG, "image/png", "no RSS, Atom or JSON Feed"),
    (b'{"title": "not a feed", "items": []}', "application/json", "not a JSON Feed"),
    (b"{broken", "application/json", "the JSON does not parse"),
])
def test_what_is_not_a_feed_is_refused(body: bytes, ctype: str, reason: str) -> None:
    with pytest.raises(FeedError, match=reason):
        parse_feed(body, ctype)


# ----------------------------------------------------------------------------- polling


def test_twenty_entries_then_the_two_new_ones_then_nothing(site: NewsSite, service: NewsService,
                                                           data_dir: Path, embedder) -> None:
    feed = service.add_feed(site.url("/feeds/rss.xml"))
    assert feed.name == "Harbor Ledger: Business" and article_count(service) == 0

    [first] = service.poll_feeds()
    assert (first.entries, len(first.outcomes), len(first.added_ids)) == (20, 20, 20)
    assert article_count(service) == 20

    # A restart between polls: a new service and store over the same folder.
    service.close()
    site.feed_size = 22
    again = service_for(data_dir, embedder)
    try:
        [second] = again.poll_feeds()
        assert (second.entries, len(second.added_ids)) == (22, 2)
        assert {again.get_article(a).title for a in second.added_ids} == {story(21).title, story(22).title}
        assert article_count(again) == 22

        [third] = again.poll_feeds()
        assert third.not_modified and third.outcomes == [] and article_count(again) == 22
        assert site.requests[-1].path == "/feeds/rss.xml" and site.requests[-1].status == 304
        assert site.requests[-1].headers["if-none-match"]

        [listed] = again.list_feeds()
        assert (listed.entries_seen, listed.articles_added, listed.status) == (22, 22, "ok")
    finally:
        again.close()


def test_entry_articles_carry_the_canonical_url_and_the_feeds_date(site: NewsSite, service: NewsService) -> None:
    site.feed_size = 2
    service.add_feed(site.url("/feeds/rss.xml"))
    [report] = service.poll_feeds()
    row = service.get_article(report.added_ids[-1])
    assert row.url == site.url("/news/story-01.html")       # not the feed's ?utm_source=rss link
    assert row.published_at == story(1).published.isoformat()
    assert row.source == "Harbor Ledger" and row.body.startswith(story(1).paragraphs[0])


def test_a_second_feed_with_the_same_stories_adds_no_duplicate(site: NewsSite, service: NewsService) -> None:
    site.feed_size = 5
    service.add_feed(site.url("/feeds/rss.xml"))
    service.add_feed(site.url("/feeds/atom.xml"))
    service.add_feed(site.url("/feeds/feed.json"))
    rss, atom, json_feed = service.poll_feeds()
    assert len(rss.added_ids) == 5 and atom.added_ids == [] and json_feed.added_ids == []
    assert atom.count("skipped") == 5 and json_feed.count("skipped") == 5
    assert all("already indexed" in o.detail for o in atom.outcomes)
    assert article_count(service) == 5


def test_an_entry_that_fails_for_now_is_tried_again(site: NewsSite, service: NewsService) -> None:
    site.feed_size = 3
    service.add_feed(site.url("/feeds/rss.xml"))
    site.broken_paths.add("/news/story-03.html")
    [first] = service.poll_feeds()
    assert len(first.added_ids) == 2 and first.count("failed") == 1
    site.broken_paths.clear()
    [second] = service.poll_feeds()     # validators were not kept, so this is a full fetch, not a 304
    assert not second.not_modified and len(second.added_ids) == 1 and second.count("failed") == 0
    assert service.get_article(second.added_ids[0]).title == story(3).title
    assert article_count(service) == 3


def test_a_failing_feed_keeps_its_state_backs_off_and_shows_its_error(site: NewsSite, service: NewsService,
                                                                      data_dir: Path) -> None:
    site.feed_size = 2
    service.add_feed(site.url("/feeds/rss.xml"))
    service.poll_feeds()
    before = service.list_feeds()[0]
    site.broken_paths.add("/feeds/rss.xml")
    now = datetime.now(UTC)
    [failed] = service.feed_poller.poll_due(now)
    assert failed.error == "the server answered HTTP 503 Service Unavailable"
    feed = service.list_feeds()[0]
    assert (feed.failures, feed.status, feed.etag, feed.entries_seen) == (1, "failing", before.etag, 2)
    assert feed.next_poll_at == (now + timedelta(minutes=30)).isoformat()
    assert service.feed_poller.poll_due(now + timedelta(minutes=29)) == []   # backing off
    [problem] = feed_problems(data_dir)
    assert "HTTP 503" in problem and "1 failure(s) in a row" in problem
    assert feed_problems(data_dir, min_failures=2) == []

    [second] = service.feed_poller.poll_due(now + timedelta(minutes=31))
    assert service.list_feeds()[0].failures == 2 and second.error
    assert service.list_feeds()[0].next_poll_at == (now + timedelta(minutes=31 + 60)).isoformat()

    site.broken_paths.clear()
    site.feed_size = 3
    [recovered] = service.poll_feeds(only_due=False)
    assert len(recovered.added_ids) == 1 and recovered.error is None
    assert service.list_feeds()[0].status == "ok" and feed_problems(data_dir) == []


@pytest.mark.parametrize(("path", "error", "reason"), [
    ("/news/story-01.html", FeedError, "not a feed"),
    ("/catalog.xml", FeedError, "not a feed"),
    ("/photo.png", FeedError, "not a feed"),
    ("/missing", FetchError, "HTTP 404"),
    ("/slow", FetchError, "timed out"),
    ("/huge", FetchError, "too big"),
    ("/away", FetchError, "refused"),
])
def test_feed_add_refuses_what_cannot_be_followed(site: NewsSite, data_dir: Path, embedder, path: str,
                                                  error: type[Exception], reason: str) -> None:
    site.slow_seconds = 3.0
    svc = NewsService(settings_for(data_dir, fetch_allow_hosts=["127.0.0.1"], fetch_timeout=1.0,
                                   fetch_max_bytes=100_000), embedder=embedder)
    try:
        with pytest.raises(error, match=reason):
            svc.add_feed(site.url(path))
        assert svc.list_feeds() == []
    finally:
        svc.close()


def test_a_feed_is_followed_once_and_can_be_removed(site: NewsSite, service: NewsService) -> None:
    feed = service.add_feed(site.url("/feeds/rss.xml"), name="Business desk")
    assert feed.name == "Business desk"
    with pytest.raises(FeedError, match=f"already following that feed as {feed.id}"):
        service.add_feed(site.url("/feeds/rss.xml?utm_source=x"))
    assert service.remove_feed(feed.id) and not service.remove_feed(feed.id)
    assert service.list_feeds() == []
