"""What intake accepts, checked in one place: the file types, the size cap, and the one
upload check that the file parser, the CLI and the Discord face all go through.

Usage::

    from index.intake.limits import check_upload, megabytes
    name = check_upload("C:\\\\Users\\\\me\\\\notes.md", 2048)      # "notes.md": the base name only
    check_upload("page.htm", 2048)        # "page.htm": a web page, like .html
    check_upload("tool.exe", 2048)        # ArticleFormatError: unsupported file type .exe; use one of ...
    check_upload("big.txt", 3 << 20, max_bytes=1 << 20)   # ArticleFormatError: file is over the 1 MB limit
    megabytes(2048), megabytes(3 << 20)   # ("2 KB", "3.0 MB")
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from index.intake.article import ArticleFormatError

MAX_FILE_BYTES = 20 * 1024 * 1024
# Exactly the documented formats (README "Article formats"); each has one parser in
# index.intake.files.PARSERS.
SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")
_MB = 1024 * 1024


def megabytes(size: int) -> str:
    """A size for people: "2 KB" below a megabyte, else "8.0 MB"."""
    if size < _MB:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / _MB:.1f} MB"


def _limit_text(max_bytes: int) -> str:
    # a whole number of megabytes reads as one ("the 20 MB limit")
    return f"{max_bytes // _MB} MB" if max_bytes % _MB == 0 else megabytes(max_bytes)


def check_upload(filename: str, size_bytes: int, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The one check of a file before it is read: its type by extension (case-insensitive)
    and its size. Returns the base name to use for it (no directory from the uploader
    reaches the disk or a log line; "upload" if nothing is left); raises
    :class:`~index.intake.article.ArticleFormatError` with a one-line reason otherwise."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    if name in ("", ".", ".."):
        name = "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ArticleFormatError(
            f"unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    if size_bytes > max_bytes:
        raise ArticleFormatError(f"file is over the {_limit_text(max_bytes)} limit")
    return name
