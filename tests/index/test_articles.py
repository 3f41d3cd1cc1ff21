"""Parsing: one parser per format, stable ids, and a clear rejection for each bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.articles import (
    MAX_FILE_BYTES,
    ArticleFormatError,
    canonical_url,
    derive_article_id,
    normalise_published_at,
    page_canonical_url,
    parse_bytes,
    parse_file,
    parse_html_article,
    parse_paths,
    parse_text_article,
    url_article_id,
)
from tests.conftest import SEEDS, TEST_ARTICLES


def test_seed_text_format_gives_title_outlets_and_keeps_bullets() -> None:
    result = parse_paths([SEEDS])
    assert not result.rejections
    [article] = result.articles
    assert article.title == "Xiaomi’s EV ambitions could involve a partnership with BAIC: Report"
    assert article.outlets == ["Bloomberg", "Reuters"]
    assert "• Meanwhile, a Hyundai spokesperson rejected the notion" in article.body
    assert "Source:" not in article.body
    assert article.body.endswith("mass production by the first half of 2024.")


def test_text_metadata_lines_are_read_and_removed_from_the_body() -> None:
    [article] = parse_file(TEST_ARTICLES / "nordwind-turbine-recall.txt").articles
    assert article.source == "Harbor Ledger"
    assert article.url == "https://harborledger.example/2024/03/nordwind-recall"
    assert article.published_at == "2024-03-14T00:00:00+00:00"
    assert article.author == "Mira Castell"
    assert article.body.startswith("Nordwind Energy confirmed on Thursday")
    assert "URL:" not in article.body


def test_a_metadata_looking_line_inside_the_body_stays_in_the_body() -> None:
    text = "Title\n\nFirst paragraph.\n\nSource: a line in the middle stays.\n\nLast paragraph.\n"
    article = parse_text_article(text, "x.txt")
    assert "Source: a line in the middle stays." in article.body
    assert article.source == ""


def test_markdown_heading_is_the_title() -> None:
    [article] = parse_file(TEST_ARTICLES / "harbor-bridge-toll.md").articles
    assert article.title == "Harbor City council rejects toll plan for the new Eastgate Bridge"
    assert article.source == "Coastal Times"


def test_html_goes_through_the_extractor_with_metadata_and_without_page_chrome() -> None:
    [article] = parse_file(TEST_ARTICLES / "lumen-labs-funding.html").articles
    assert article.title == "Lumen Labs raises 30 million dollars for battery recycling"
    assert article.source == "Valley Wire"
    assert article.author == "Priya Natarajan"
    assert article.published_at is not None and article.published_at.startswith("2024-05-20")
    assert "Series B round led by Greenfield Ventures" in article.body
    assert "Cookie settings" not in article.body and "Subscribe" not in article.body


def test_json_list_and_jsonl_records_with_given_and_derived_ids() -> None:
    result = parse_paths([TEST_ARTICLES / "regional-briefs.json", TEST_ARTICLES / "wire-items.jsonl"])
    assert not result.rejections
    ids = [a.id for a in result.articles]
    assert ids[0] == "brief-rail-strike" and ids[2:] == ["wire-0001", "wire-0002"]
    orchard = result.articles[1]
    assert orchard.id.startswith("a-")
    assert orchard.body.startswith("Apple growers")  # the "text" field works as the body
    assert orchard.published_at == "2024-06-01T00:00:00+00:00"


def test_a_single_json_object_is_one_article() -> None:
    data = json.dumps({"title": "T", "body": "One body.", "source": ["A", "B"]}).encode()
    [article] = parse_bytes(data, "one.json").articles
    assert article.outlets == ["A", "B"]


def test_derived_ids_are_stable_and_depend_on_content() -> None:
    assert derive_article_id("T", "Body text.") == derive_article_id("T", "Body  text.")
    assert derive_article_id("T", "Body text.") != derive_article_id("T", "Other text.")


def test_folder_is_walked_recursively_and_hidden_files_skipped(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.txt").write_text("Deep title\n\nDeep body.\n")
    (tmp_path / "top.md").write_text("# Top\n\nTop body.\n")
    (tmp_path / ".hidden.txt").write_text("Hidden\n\nNot read.\n")
    titles = sorted(a.title for a in parse_paths([tmp_path]).articles)
    assert titles == ["Deep title", "Top"]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("binary.txt", b"\x00\x01\x02\x03\x89PNG" * 64, "binary file"),
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\n\t\n", "empty file"),
        ("garbled.txt", bytes(range(128, 256)) * 8, "cannot decode"),
        ("slides.pdf", b"%PDF-1.7 ...", "unsupported file type .pdf"),
        ("broken.json", b'{"title": "x", "body": ', "malformed JSON"),
        ("nobody.json", b'{"title": "x", "source": "y"}', "no body"),
        ("deep.json", b"[" * 3000 + b"]" * 3000, "nested too deeply"),
    ],
)
def test_each_bad_input_is_rejected_with_its_reason(name: str, data: bytes, reason: str) -> None:
    result = parse_bytes(data, name)
    assert not result.articles
    assert len(result.rejections) == 1
    assert reason in result.rejections[0].reason
    assert result.rejections[0].file.startswith(name)


def test_oversized_file_is_rejected_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.txt"
    with open(big, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    [rejection] = parse_file(big).rejections
    assert "20 MB" in rejection.reason


def test_a_bad_jsonl_line_is_rejected_and_the_good_lines_kept() -> None:
    data = b'{"title": "Good", "body": "Fine body."}\n{not json}\n{"title": "No body"}\n'
    result = parse_bytes(data, "mixed.jsonl")
    assert [a.title for a in result.articles] == ["Good"]
    assert [(r.file, r.reason.split(":")[0]) for r in result.rejections] == [
        ("mixed.jsonl:2", "malformed JSON"),
        ("mixed.jsonl:3", "JSON record has no body (expected a 'body' or 'text' string)"),
    ]


def test_unsafe_ids_are_rejected() -> None:
    data = json.dumps({"id": "../../etc/passwd", "title": "x", "body": "y"}).encode()
    [rejection] = parse_bytes(data, "evil.json").rejections
    assert "invalid article id" in rejection.reason


def test_other_encodings_are_detected() -> None:
    text = "Café owners protest\n\nThe café owners of the old town protested on Monday against new rents. " * 3
    [article] = parse_bytes(text.encode("cp1252"), "latin.txt").articles
    assert article.title == "Café owners protest"


# ----------------------------------------------------------------------------- dates and URLs


@pytest.mark.parametrize(("text", "expected"), [
    ("Tue, 02 Jul 2024 09:30:00 GMT", "2024-07-02T09:30:00+00:00"),          # RSS (RFC 822)
    ("Tue, 02 Jul 2024 09:30:00 +0200", "2024-07-02T07:30:00+00:00"),
    ("2 Jul 2024 09:30 EST", "2024-07-02T14:30:00+00:00"),
    ("Wed, 02 Oct 02 08:00:00 -0000", "2002-10-02T08:00:00+00:00"),           # two-digit year
    ("Tue, 02 Jul 2024", "2024-07-02T00:00:00+00:00"),
    ("2024-07-02T09:30:00Z", "2024-07-02T09:30:00+00:00"),                    # Atom, JSON Feed (ISO 8601)
    ("2024-07-02T09:30:00.123+05:30", "2024-07-02T04:00:00.123000+00:00"),
    ("20240702T093000Z", "2024-07-02T09:30:00+00:00"),
    ("2024-07-02 09:30 UTC", "2024-07-02T09:30:00+00:00"),
    ("2024-W27-2", "2024-07-02T00:00:00+00:00"),
    ("2024-07-02", "2024-07-02T00:00:00+00:00"),
    ("July 2, 2024", "2024-07-02T00:00:00+00:00"),
    ("2 July 2024", "2024-07-02T00:00:00+00:00"),
])
def test_feed_and_page_dates_parse_to_utc(text: str, expected: str) -> None:
    assert normalise_published_at(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "2024", "2024-07", "Tue, 32 Jul 2024 09:30:00 GMT", "12:30", "1e9"])
def test_what_is_not_a_date_gives_none_rather_than_a_guess(text: str) -> None:
    assert normalise_published_at(text) is None


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
