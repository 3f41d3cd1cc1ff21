"""Files and folders to articles: the format by extension, one parser per format, and
every file checked by :func:`index.intake.limits.check_upload` first.

Usage::

    from index.intake.files import parse_bytes, parse_paths
    result = parse_paths([Path("seeds/")])
    for article in result.articles: print(article.id, article.title)
    for rejection in result.rejections: print(rejection.file, rejection.reason)
    parse_bytes(upload_bytes, "notes.md")          # an upload: the name gives the format
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from index.intake.article import ArticleFormatError, ParseResult, Rejection
from index.intake.decode import decode_text
from index.intake.html_file import parse_html_article
from index.intake.json_file import parse_json_file, parse_jsonl_file
from index.intake.limits import SUPPORTED_SUFFIXES, check_upload
from index.intake.text_file import parse_text_article


def _text(text: str, name: str) -> ParseResult:
    return ParseResult(articles=[parse_text_article(text, name)])


def _html(text: str, name: str) -> ParseResult:
    return ParseResult(articles=[parse_html_article(text, name)])


# One parser per format; the keys are exactly :data:`index.intake.limits.SUPPORTED_SUFFIXES`.
PARSERS: dict[str, Callable[[str, str], ParseResult]] = {
    ".txt": _text, ".md": _text, ".html": _html, ".htm": _html, ".json": parse_json_file, ".jsonl": parse_jsonl_file,
}
assert tuple(PARSERS) == SUPPORTED_SUFFIXES


def parse_bytes(data: bytes, name: str) -> ParseResult:
    """Parse one file's content; ``name`` gives the format (by extension) and the origin."""
    try:
        check_upload(name, len(data))
        return PARSERS[Path(name).suffix.lower()](decode_text(data), name)
    except ArticleFormatError as exc:
        return ParseResult(rejections=[Rejection(name, str(exc))])


def parse_file(path: Path) -> ParseResult:
    """One file from disk: checked by name and size before a byte of it is read."""
    name = str(path)
    try:
        check_upload(name, path.stat().st_size)
        data = path.read_bytes()
    except ArticleFormatError as exc:
        return ParseResult(rejections=[Rejection(name, str(exc))])
    except OSError as exc:
        return ParseResult(rejections=[Rejection(name, f"cannot read the file: {exc.strerror or exc}")])
    return parse_bytes(data, name)


def iter_article_files(path: Path) -> Iterator[Path]:
    """A file as given; a folder walked recursively, hidden entries skipped, in name order."""
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            relative = child.relative_to(path)
            if child.is_file() and not any(part.startswith(".") for part in relative.parts):
                yield child
    else:
        yield path


def parse_paths(paths: Iterable[Path]) -> ParseResult:
    result = ParseResult()
    for path in paths:
        if not path.exists():
            result.rejections.append(Rejection(str(path), "no such file or folder"))
            continue
        for file in iter_article_files(path):
            result.extend(parse_file(file))
    return result
