"""The Discord side's upload check: which attachments ``/article add file:`` may index.

Usage::

    from bot.chat.uploads import check_upload, upload_name
    name = upload_name("../../etc/quill.txt")          # "quill.txt": no uploader path reaches the disk
    check_upload(name, 512, limit=1024)                # None: fine
    check_upload(name, 2048, limit=1024)               # "that file is 2 KB; the limit is 1 KB"
    check_upload("tool.exe", 10, limit=1024)           # "I can only index .txt, .md, … files"

The file types are the parser's own (``index.articles.SUPPORTED_SUFFIXES``), so the two
cannot disagree (they once did, on ``.htm``). When one upload check serves every face,
:func:`check_upload`'s body becomes a call to it.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from index.articles import SUPPORTED_SUFFIXES


def upload_name(filename: str) -> str:
    """The base name of an uploaded file ("upload" when it has none)."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    return name if name not in ("", ".", "..") else "upload"


def check_upload(name: str, size: int, limit: int) -> str | None:
    """None when a file of this name and size may be indexed; else why not, in one line."""
    if not name.lower().endswith(SUPPORTED_SUFFIXES):
        return f"I can only index {', '.join(SUPPORTED_SUFFIXES)} files"
    if size > limit:
        return f"that file is {megabytes(size)}; the limit is {megabytes(limit)}"
    return None


def megabytes(size: int) -> str:
    """A file size for people: "2 KB", "8.0 MB"."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"
