"""Parsing: one parser per format, stable ids, and a clear rejection for each bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.intake import (
    MAX_FILE_BYTES,
    derive_article_id,
    parse_bytes,
    parse_file,
    parse_paths,
    parse_text_article,
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


def test_html_character_references_in_a_title_are_written_out_and_the_body_kept_as_given() -> None:
    data = json.dumps({"title": "&#039;Calm&#039; at Harrow &amp; Lyon docks", "body": "Tom &amp; Ada said so.",
                       "source": "Valley Ledger"}).encode()
    [article] = parse_bytes(data, "one.json").articles
    assert article.title == "'Calm' at Harrow & Lyon docks" and article.body == "Tom &amp; Ada said so."


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
