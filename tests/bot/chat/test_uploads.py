"""The Discord side's upload check (bot/chat/uploads.py)."""

from __future__ import annotations

from bot.chat.uploads import check_upload, megabytes, upload_name
from index.articles import SUPPORTED_SUFFIXES


def test_every_type_the_parser_takes_is_accepted_and_nothing_else() -> None:
    for suffix in SUPPORTED_SUFFIXES:
        assert check_upload(f"story{suffix.upper()}", 10, limit=1024) is None
    assert ".htm" in SUPPORTED_SUFFIXES  # the type the two checks once disagreed on
    for name in ("tool.exe", "story.txt.exe", "story", "story.pdf"):
        problem = check_upload(name, 10, limit=1024)
        assert problem is not None and problem.startswith("I can only index .txt")


def test_sizes_are_checked_and_said_for_people() -> None:
    assert check_upload("a.txt", 1024, limit=1024) is None
    assert check_upload("a.txt", 2048, limit=1024) == "that file is 2 KB; the limit is 1 KB"
    assert megabytes(10) == "1 KB" and megabytes(8 * 1024 * 1024) == "8.0 MB"


def test_only_the_base_name_of_an_upload_is_used() -> None:
    assert upload_name("../../etc/quill.txt") == "quill.txt"
    assert upload_name("C:\\Users\\x\\quill.txt") == "quill.txt"
    assert upload_name("../") == "upload"
