"""index.intake.urls and the fetched page's id: one spelling per URL, a page keyed by its
canonical URL on its own site only."""

from __future__ import annotations

import pytest

from index.intake.article import ArticleFormatError
from index.intake.html_file import parse_html_article
from index.intake.urls import canonical_url, page_canonical_url, url_article_id
from tests.conftest import TEST_ARTICLES


@pytest.mark.parametrize(("url", "base", "expected"), [
    ("HTTP://News.Example:80/a/b?utm_source=x&id=3#top", None, "http://news.example/a/b?id=3"),
    ("/story?fbclid=abc", "https://news.example:8443/x/y", "https://news.example:8443/story"),
    ("//cdn.example/p", "https://news.example/", "https://cdn.example/p"),
    ("http://[::1]:99/z", None, "http://[::1]:99/z"),
    ("ftp://news.example/a", None, None),
    ("mailto:desk@news.example", None, None),
])
def test_canonical_urls_have_one_spelling(url: str, base: str | None, expected: str | None) -> None:
    assert canonical_url(url, base=base) == expected


def test_a_page_may_claim_a_canonical_url_on_its_own_site_only() -> None:
    page = "https://www.news.example/2024/story.html?utm_medium=rss"
    assert page_canonical_url("/2024/story", page) == "https://www.news.example/2024/story"
    assert page_canonical_url("https://news.example/2024/story", page) == "https://news.example/2024/story"
    assert page_canonical_url("https://other.example/famous", page) == "https://www.news.example/2024/story.html"
    assert page_canonical_url(None, page) == "https://www.news.example/2024/story.html"


def test_a_fetched_page_is_keyed_by_its_canonical_url() -> None:
    html = (TEST_ARTICLES / "lumen-labs-funding.html").read_text()
    page = "https://valleywire.example/lumen-labs-series-b?utm_source=feed"
    article = parse_html_article(html, page, page_url=page, published_at="Mon, 20 May 2024 11:00:00 GMT")
    assert article.url == "https://valleywire.example/lumen-labs-series-b"       # og:url, same site
    assert article.id == url_article_id(article.url)
    assert article.published_at == "2024-05-20T11:00:00+00:00"                     # the feed's date wins
    as_file = parse_html_article(html, "lumen.html")
    assert as_file.id != article.id and as_file.body == article.body
    assert as_file.published_at == "2024-05-20T09:30:00+00:00"                     # the page's time of day
    with pytest.raises(ArticleFormatError, match="no article text found in the page"):
        parse_html_article("<html><body><nav>Home News</nav><p>Short.</p></body></html>", page, page_url=page)
