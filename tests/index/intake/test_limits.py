"""index.intake.limits: the one upload check (types and sizes) that the parser, the CLI and
the Discord face share; the parser accepts exactly the documented formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.intake.article import ArticleFormatError
from index.intake.files import PARSERS, parse_bytes, parse_file
from index.intake.limits import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, check_upload, megabytes
from tests.conftest import REPO

README = REPO / "README.md"
PAGE = (b"<html><head><title>Harbor crane order</title></head><body><article><p>"
        + b"Port Ellery ordered four electric cranes from Quillfeather Robotics on Monday. " * 4
        + b"</p></article></body></html>")


def test_the_accepted_types_are_the_documented_formats_each_with_one_parser() -> None:
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".html", ".htm", ".json", ".jsonl")
    assert tuple(PARSERS) == SUPPORTED_SUFFIXES
    formats = README.read_text(encoding="utf-8").split("### Article formats", 1)[1].split("\n\n", 2)[1]
    documented = {cell.strip("` ") for line in formats.splitlines()[2:]
                  for cell in line.split("|")[1].replace(" (an object or a list)", "").split(",")}
    assert {s for s in documented if s.startswith(".")} == set(SUPPORTED_SUFFIXES)


def test_an_htm_page_is_read_like_an_html_one_and_other_types_are_refused() -> None:
    [htm] = parse_bytes(PAGE, "crane.htm").articles
    [html] = parse_bytes(PAGE, "crane.html").articles
    assert "Quillfeather Robotics" in htm.body and htm.body == html.body
    assert check_upload("crane.HTM", len(PAGE)) == "crane.HTM"
    refused = parse_bytes(PAGE, "crane.php")
    assert not refused.articles
    assert [r.reason for r in refused.rejections] == [
        "unsupported file type .php; use one of .txt, .md, .html, .htm, .json, .jsonl"]
    with pytest.raises(ArticleFormatError, match=r"^unsupported file type \.php; use one of \.txt"):
        check_upload("crane.PHP", len(PAGE))


def test_an_upload_name_loses_its_folders_and_keeps_its_case() -> None:
    assert check_upload("..\\..\\Windows\\notes.MD", 10) == "notes.MD"
    assert check_upload("/etc/cron.d/a.jsonl", 10) == "a.jsonl"
    for nameless in ("dir/", "a/..", "."):
        with pytest.raises(ArticleFormatError, match=r"^unsupported file type \(none\);"):
            check_upload(nameless, 10)


def test_size_is_checked_against_the_given_limit_with_a_readable_message() -> None:
    assert check_upload("a.txt", 1024, max_bytes=1024) == "a.txt"
    with pytest.raises(ArticleFormatError, match=r"^file is over the 1 KB limit$"):
        check_upload("a.txt", 1025, max_bytes=1024)
    with pytest.raises(ArticleFormatError, match=r"^file is over the 20 MB limit$"):
        check_upload("a.txt", MAX_FILE_BYTES + 1)
    with pytest.raises(ArticleFormatError, match=r"^file is over the 1.5 MB limit$"):
        check_upload("a.txt", 2 << 20, max_bytes=3 << 19)
    assert (megabytes(2048), megabytes(3 << 20)) == ("2 KB", "3.0 MB")


def test_type_is_checked_before_size_so_a_huge_pdf_is_refused_for_its_type(tmp_path: Path) -> None:
    huge = tmp_path / "slides.pdf"
    with huge.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    [rejection] = parse_file(huge).rejections
    assert rejection.reason.startswith("unsupported file type .pdf")
