"""Safe fetching: the address check (with resolvers the tests control: nothing outside
127.0.0.0/8 is ever a connection target), then the real client against the loopback news
site: redirects, timeouts, size caps, charsets, conditional requests and refusals."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

import httpx
import pytest

from index.intake.fetch import (
    USER_AGENT,
    AddressPolicy,
    Fetcher,
    FetchError,
    FetchPolicy,
    check_url,
    fetch_article,
    refused_address,
)
from tests.fixtures.news_site import CHARSET_TEXT, NewsSite, story


@pytest.fixture(scope="module")
def outside() -> Iterator[NewsSite]:
    """A second site on 127.0.0.2, which is not in the allow-list: it must see no request."""
    with NewsSite(host="127.0.0.2") as site:
        yield site


@pytest.fixture(scope="module")
def site(outside: NewsSite) -> Iterator[NewsSite]:
    with NewsSite(slow_seconds=3.0, huge_bytes=300_000) as news:
        news.outside = outside
        yield news


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    client = Fetcher(FetchPolicy(allow_hosts=["127.0.0.1"], timeout=1.0, max_bytes=200_000))
    yield client
    client.close()


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a refused address was connected to: {request.url}")


def fetcher_with(resolver: dict[str, list[str]], allow: list[str] | None = None) -> Fetcher:
    """A fetcher whose DNS is ``resolver`` and whose transport fails the test if used."""
    return Fetcher(FetchPolicy(allow_hosts=allow or []), resolver=lambda host, port: resolver[host],
                   transport=httpx.MockTransport(no_network))


# ----------------------------------------------------------------------------- address checks


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.0.0.2", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.9", "private"), ("192.168.1.1", "private"), ("fd12::1", "private"),
    ("169.254.169.254", "metadata"), ("169.254.10.1", "link-local"), ("fe80::1", "link-local"),
    ("fd00:ec2::254", "metadata"), ("100.100.100.200", "metadata"),
    ("100.64.0.1", "non-public"), ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
    ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "metadata"), ("240.0.0.1", "reserved"),
])
def test_non_public_addresses_are_refused_with_their_kind(address: str, reason: str) -> None:
    assert reason in (refused_address(ipaddress.ip_address(address)) or "")


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "8.8.4.4"])
def test_public_addresses_pass_the_check(address: str) -> None:
    assert refused_address(ipaddress.ip_address(address)) is None


def test_one_bad_address_among_good_ones_refuses_the_host() -> None:
    policy = AddressPolicy([])
    assert str(policy.check("news.example", ["93.184.216.34"])) == "93.184.216.34"
    with pytest.raises(FetchError, match=re.escape("10.0.0.7, a private address")):
        policy.check("news.example", ["93.184.216.34", "10.0.0.7"])


def test_the_allow_list_takes_names_addresses_and_networks() -> None:
    policy = AddressPolicy(["intranet.example", "127.0.0.1", "10.8.0.0/16"])
    assert str(policy.check("Intranet.Example.", ["10.0.0.5"])) == "10.0.0.5"
    assert str(policy.check("anything.example", ["127.0.0.1"])) == "127.0.0.1"
    assert str(policy.check("vpn.example", ["10.8.3.4"])) == "10.8.3.4"
    for host, address in (("anything.example", "127.0.0.2"), ("vpn.example", "10.9.0.1")):
        with pytest.raises(FetchError, match="refused"):
            policy.check(host, [address])


@pytest.mark.parametrize(("host", "addresses"), [
    ("metadata.example", ["169.254.169.254"]), ("private.example", ["192.168.0.10"]),
    ("rebind.example", ["93.184.216.34", "127.0.0.1"]), ("v6.example", ["fe80::1%eth0"]),
])
def test_a_fetch_is_refused_before_any_connection(host: str, addresses: list[str]) -> None:
    fetcher = fetcher_with({host: addresses})
    with pytest.raises(FetchError, match="refused"):
        fetcher.fetch(f"http://{host}/news.html")


def test_literal_addresses_in_urls_are_checked_too() -> None:
    fetcher = fetcher_with({"169.254.169.254": ["169.254.169.254"], "::1": ["::1"]})
    for url in ("http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/"):
        with pytest.raises(FetchError, match="refused"):
            fetcher.fetch(url)


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://127.0.0.1/news.txt", "only http:// and https://"), ("file:///etc/passwd", "only http:// and https://"),
    ("javascript:alert(1)", "only http:// and https://"), ("gopher://127.0.0.1:70/", "only http:// and https://"),
    ("http://user:secret@127.0.0.1/", "user name or password"), ("http:///nohost", "no host"),
])
def test_bad_schemes_and_forms_are_refused(url: str, reason: str) -> None:
    with pytest.raises(FetchError, match=reason):
        check_url(url)


# ----------------------------------------------------------------------------- the real client


def test_a_page_is_fetched_with_our_user_agent_and_validators(site: NewsSite, fetcher: Fetcher) -> None:
    result = fetcher.fetch(site.url("/feeds/rss.xml"))
    assert result.status == 200 and result.content_type == "application/rss+xml" and result.charset == "utf-8"
    assert result.etag and result.last_modified and result.is_feed_type
    assert site.requests[-1].headers["user-agent"] == USER_AGENT
    again = fetcher.fetch(site.url("/feeds/rss.xml"), etag=result.etag, last_modified=result.last_modified)
    assert again.not_modified and again.body == b""
    assert site.requests[-1].headers["if-none-match"] == result.etag and site.requests[-1].status == 304


def test_a_redirect_chain_is_followed_and_each_hop_is_recorded(site: NewsSite, fetcher: Fetcher) -> None:
    result = fetcher.fetch(site.url("/redirect/3/story-02"))
    assert result.final_url == site.url("/news/story-02.html")
    assert result.redirects == [site.url(f"/redirect/{n}/story-02") for n in (3, 2, 1)]


def test_too_many_redirects_are_refused(site: NewsSite, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="too many redirects"):
        fetcher.fetch(site.url("/redirect/6/story-02"))


def test_a_redirect_to_a_host_outside_the_allow_list_is_refused(site: NewsSite, outside: NewsSite,
                                                                 fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=re.escape("127.0.0.2, a loopback address")):
        fetcher.fetch(site.url("/away"))
    with pytest.raises(FetchError, match="refused"):
        fetcher.fetch(outside.url("/news/story-01.html"))
    assert outside.requests == []  # refused before connecting, not by a failed connection


def test_the_checked_address_is_the_one_connected_to(site: NewsSite) -> None:
    """DNS is asked once per hop; the connection goes to that answer with the name in Host."""
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    fetcher = Fetcher(FetchPolicy(allow_hosts=["news.test"]), resolver=resolver)
    result = fetcher.fetch(f"http://news.test:{site.port}/redirect/1/story-03")
    assert result.final_url == f"http://news.test:{site.port}/news/story-03.html"
    assert asked == ["news.test", "news.test"]
    assert site.requests[-1].headers["host"] == f"news.test:{site.port}"


def test_a_slow_response_and_a_dripping_one_time_out(site: NewsSite, fetcher: Fetcher) -> None:
    for path in ("/slow", "/drip"):
        with pytest.raises(FetchError, match="timed out after 1 s") as caught:
            fetcher.fetch(site.url(path))
        assert caught.value.retryable


def test_bodies_over_the_cap_are_refused_declared_or_not(site: NewsSite, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="too big: 293 KB, over the 195 KB limit"):
        fetcher.fetch(site.url("/huge"))
    with pytest.raises(FetchError, match="too big: over the 195 KB limit"):
        fetcher.fetch(site.url("/huge-chunked"))


def test_http_errors_say_the_status_and_5xx_is_worth_retrying(site: NewsSite, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="HTTP 404 Not Found") as missing:
        fetcher.fetch(site.url("/missing"))
    assert not missing.value.retryable
    site.broken_paths.add("/feeds/atom.xml")
    try:
        with pytest.raises(FetchError, match="HTTP 503") as busy:
            fetcher.fetch(site.url("/feeds/atom.xml"))
        assert busy.value.retryable
    finally:
        site.broken_paths.clear()


def test_the_header_charset_is_honoured(site: NewsSite, fetcher: Fetcher) -> None:
    result = fetcher.fetch(site.url("/latin1.html"))
    assert result.charset == "ISO-8859-1" and CHARSET_TEXT in result.text()


def test_fetch_article_keeps_the_article_and_drops_the_page_around_it(site: NewsSite, fetcher: Fetcher) -> None:
    item = story(4)
    article = fetch_article(fetcher, site.url(f"/news/{item.slug}.html?utm_source=newsletter#top"))
    assert article.title == item.title and article.source == "Harbor Ledger" and article.author == "Ines Harrow"
    assert article.url == site.url(f"/news/{item.slug}.html")  # the canonical URL, tracking gone
    assert article.published_at == item.published.isoformat()
    assert article.body.startswith(item.paragraphs[0]) and article.body.rstrip().endswith(item.paragraphs[-1])
    for chrome in ("Advertisement", "cookies", "Related stories", "Subscribe", "Copyright", story(5).title):
        assert chrome not in article.body


@pytest.mark.parametrize(("path", "reason"), [
    ("/photo.png", "not a web page: the server sent image/png"),
    ("/report.pdf", "not a web page: the server sent application/pdf"),
    ("/empty.html", "no article text found in the page"),
    ("/feeds/rss.xml", "this is a feed (application/rss+xml), not an article page"),
    ("/missing", "HTTP 404"),
])
def test_what_is_not_an_article_page_is_refused_with_the_reason(site: NewsSite, fetcher: Fetcher,
                                                                 path: str, reason: str) -> None:
    with pytest.raises(FetchError, match=re.escape(reason)):
        fetch_article(fetcher, site.url(path))
