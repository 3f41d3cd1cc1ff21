"""Articles: the record, and one parser per file format.

Usage::

    from index.articles import parse_paths
    result = parse_paths([Path("seeds/")])
    for article in result.articles: print(article.id, article.title)
    for rejection in result.rejections: print(rejection.file, rejection.reason)

A file either yields articles or a :class:`Rejection` that says why, so one bad file
never stops the good ones in the same call.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

MAX_FILE_BYTES = 20 * 1024 * 1024
SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")
# Ids travel through CLI arguments, Discord options and log lines; keeping them to a
# plain alphabet rules out path tricks and invisible look-alikes.
ARTICLE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
MAX_JSON_NESTING = 64
MIN_PAGE_TEXT_CHARS = 150  # a fetched page with less main text than this holds no article


@dataclass(frozen=True)
class Article:
    """One news article. ``body`` is the exact text that quotes and offsets refer to."""

    id: str
    title: str
    body: str
    source: str = ""
    url: str | None = None
    published_at: str | None = None
    author: str | None = None
    origin: str = ""

    @property
    def content_hash(self) -> str:
        return content_hash(self.title, self.body, self.source, self.url, self.published_at)

    @property
    def outlets(self) -> list[str]:
        return [part.strip() for part in self.source.split(",") if part.strip()]


@dataclass(frozen=True)
class Rejection:
    file: str
    reason: str


@dataclass
class ParseResult:
    articles: list[Article] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def extend(self, other: ParseResult) -> None:
        self.articles.extend(other.articles)
        self.rejections.extend(other.rejections)


class ArticleFormatError(ValueError):
    """A file, or a record in it, that cannot become an article; the message is the reason."""


def content_hash(title: str, body: str, source: str = "", url: str | None = None,
                 published_at: str | None = None) -> str:
    digest = hashlib.sha256()
    for part in (title, body, source, url or "", published_at or ""):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def derive_article_id(title: str, body: str) -> str:
    """A stable id for an article that brings none: the same text always gets the same id."""
    normalised = " ".join(f"{title}\n{body}".split()).casefold()
    return "a-" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:16]


def validate_article_id(article_id: str) -> str:
    if not ARTICLE_ID_PATTERN.match(article_id):
        raise ArticleFormatError(
            f"invalid article id {article_id[:40]!r}: use 1-128 letters, digits, '.', '_', ':' or '-'"
        )
    return article_id


# Day-first and month-first dates seen in bylines; RFC 822 and ISO 8601 are read first.
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%a, %d %b %Y", "%A, %d %B %Y",
                 "%B %d, %Y %I:%M %p")
_ZONE_WORD = re.compile(r"\s*(?:UTC|GMT|Z)$", re.IGNORECASE)


def parse_date(value: object) -> datetime | None:
    """A date in ISO 8601 (``2024-07-02``, ``2024-07-02T09:30:00+02:00``, ``20240702T0930Z``,
    ``2024-W27-2``), RFC 822 (``Tue, 02 Jul 2024 09:30:00 GMT``, as RSS has it) or a byline
    format ("July 2, 2024"); None when it is none of them. A date without a zone is UTC."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    text = " ".join(str(value).split())
    parsed = _parse_iso(text) or _parse_rfc822(text)
    if parsed is None:
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_iso(text: str) -> datetime | None:
    candidate = _ZONE_WORD.sub("+00:00", text) if re.match(r"^\d{4}", text) else text
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _parse_rfc822(text: str) -> datetime | None:
    from email.utils import parsedate_to_datetime

    if not re.search(r"\d{1,2}:\d{2}", text):  # parsedate reads a bare "2024" as a time
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def normalise_published_at(value: object) -> str | None:
    """ISO 8601 in UTC when the value parses as a date, else None (never a guess)."""
    parsed = parse_date(value)
    return parsed.isoformat() if parsed else None


def clean_text(text: str) -> str:
    """Unicode NFC with Windows and old-Mac line ends unified; offsets refer to this text."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def make_article(*, title: str, body: str, origin: str, article_id: str | None = None,
                 source: str = "", url: str | None = None, published_at: object = None,
                 author: str | None = None) -> Article:
    body = clean_text(body).strip()
    title = " ".join(clean_text(title).split())
    if not body:
        raise ArticleFormatError("no article body")
    if not title:
        title = body.split("\n", 1)[0][:120]
    return Article(
        id=validate_article_id(article_id) if article_id else derive_article_id(title, body),
        title=title,
        body=body,
        source=" ".join(clean_text(source).split()),
        url=(url or "").strip() or None,
        published_at=normalise_published_at(published_at),
        author=(author or "").strip() or None,
        origin=origin,
    )


# --------------------------------------------------------------------------- decoding

def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; then a detected encoding if it is confident."""
    if not data.strip():
        raise ArticleFormatError("empty file")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ArticleFormatError("binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.chaos > 0.2:
        raise ArticleFormatError("cannot decode the text (not UTF-8, and no other encoding fits)")
    text = str(best)
    controls = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Co", "Cn") and ch not in "\n\r\t")
    if controls > len(text) * 0.01:
        raise ArticleFormatError("binary file, not text")
    return text


# --------------------------------------------------------------------------- text / markdown

_META_LINE = re.compile(
    r"^\s*(?:\*\*)?(source|sources|url|link|date|published|published_at|author|by|id)(?:\*\*)?\s*:\s*(.+?)\s*$",
    re.IGNORECASE,
)
_META_KEYS = {
    "source": "source", "sources": "source", "url": "url", "link": "url", "date": "published_at",
    "published": "published_at", "published_at": "published_at", "author": "author", "by": "author",
    "id": "id",
}


def parse_text_article(text: str, origin: str) -> Article:
    """The seed's shape: the first non-empty line is the title; ``Key: value`` lines right
    after the title or at the end (Source, URL, Date, Author, Id) are metadata; the rest,
    bullets included, is the body."""
    lines = clean_text(text).split("\n")
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index == len(lines):
        raise ArticleFormatError("empty file")
    title = lines[index].strip().lstrip("#").strip()
    rest = lines[index + 1:]
    meta: dict[str, str] = {}

    def take_meta(candidates: Iterable[int]) -> set[int]:
        taken: set[int] = set()
        for i in candidates:
            line = rest[i]
            if not line.strip():
                continue
            match = _META_LINE.match(line)
            if not match:
                break
            meta.setdefault(_META_KEYS[match.group(1).lower()], match.group(2))
            taken.add(i)
        return taken

    taken = take_meta(range(len(rest)))
    taken |= take_meta(range(len(rest) - 1, -1, -1))
    body = "\n".join(line for i, line in enumerate(rest) if i not in taken)
    return make_article(
        title=title, body=body, origin=origin, article_id=meta.get("id"),
        source=meta.get("source", ""), url=meta.get("url"),
        published_at=meta.get("published_at"), author=meta.get("author"),
    )


# --------------------------------------------------------------------------- html

def parse_html_article(text: str, origin: str, *, page_url: str | None = None,
                       published_at: object = None) -> Article:
    """The main text and metadata of an HTML page, through trafilatura. ``page_url`` is
    where the page was fetched from: the article's url is the page's canonical URL
    (``<link rel="canonical">`` or ``og:url``, resolved against ``page_url``), else
    ``page_url``. ``published_at``, a date known from elsewhere (a feed entry's), wins
    over the date found in the page, which is often only a day."""
    import trafilatura
    from trafilatura.metadata import set_date_params

    # The page's time of day too, where it gives one (trafilatura keeps only the day).
    dates = {**set_date_params(True), "outputformat": "%Y-%m-%dT%H:%M:%S%z"}
    document = trafilatura.bare_extraction(
        text, url=page_url, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True,
        date_extraction_params=dates,
    )
    if document is None or not (document.text or "").strip():
        raise ArticleFormatError("no article text found in the HTML")
    if page_url is not None and len(document.text.strip()) < MIN_PAGE_TEXT_CHARS:
        # What is left of a page without an article is a menu or a footer, not news.
        raise ArticleFormatError(f"no article text found in the page (only {len(document.text.strip())} "
                                 f"characters outside navigation and ads)")
    source = document.sitename or ""
    title = document.title or ""
    body = document.text
    # Extractors keep the headline as the first line; the title already carries it.
    first_line, _, rest = body.strip().partition("\n")
    if title and first_line.strip() == title.strip() and rest.strip():
        body = rest
    url = document.url
    if page_url is not None:
        url = page_canonical_url(_declared_canonical(text) or document.url, page_url)
    return make_article(
        title=title, body=body, origin=origin, source=source, url=url,
        published_at=normalise_published_at(published_at) or document.date, author=document.author,
        article_id=url_article_id(url) if page_url is not None else None,
    )


_CANONICAL_LINK = re.compile(
    r"""<link\b(?=[^>]*\brel\s*=\s*["']?canonical\b)[^>]*\bhref\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_TRACKING_PARAMS = re.compile(r"^(?:utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid)$", re.IGNORECASE)


def _declared_canonical(html: str) -> str | None:
    """``<link rel="canonical" href>`` as written (trafilatura drops relative ones)."""
    match = _CANONICAL_LINK.search(html[:200_000])
    return match.group(1).replace("&amp;", "&") if match else None


def canonical_url(url: str, base: str | None = None) -> str | None:
    """``url`` (resolved against ``base``) in one spelling: scheme and host in lower
    case, no default port, no fragment, no tracking parameters (``utm_*``, ``fbclid``…).
    None unless it is an http(s) URL with a host."""
    from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

    try:
        parts = urlsplit(urljoin(base, url.strip()) if base else url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _TRACKING_PARAMS.match(k)])
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def page_canonical_url(declared: str | None, page_url: str) -> str:
    """The canonical URL a page declares, when it is on the page's own site; else the
    page's URL. A page may not claim another site's URL (and so its article id)."""
    page = canonical_url(page_url) or page_url
    claimed = canonical_url(declared, base=page_url) if declared else None
    if claimed is None:
        return page
    from urllib.parse import urlsplit

    def site(u: str) -> str:
        host = urlsplit(u).hostname or ""
        return host[4:] if host.startswith("www.") else host

    return claimed if site(claimed) == site(page) else page


def url_article_id(url: str) -> str:
    """The id of an article fetched from ``url`` (its canonical URL): fetching the page
    again finds the same article, so a changed page replaces its old version."""
    return "u-" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------- json / jsonl

def _json_depth(value: object, depth: int = 0) -> int:
    if depth > MAX_JSON_NESTING:
        return depth
    if isinstance(value, dict):
        return max((_json_depth(v, depth + 1) for v in value.values()), default=depth + 1)
    if isinstance(value, list):
        return max((_json_depth(v, depth + 1) for v in value), default=depth + 1)
    return depth


def article_from_record(record: object, origin: str) -> Article:
    if not isinstance(record, dict):
        raise ArticleFormatError("a JSON article must be an object")
    body = record.get("body")
    if body is None:
        body = record.get("text")
    if not isinstance(body, str) or not body.strip():
        raise ArticleFormatError("JSON record has no body (expected a 'body' or 'text' string)")

    def text_field(name: str) -> str | None:
        value = record.get(name)
        if value is None:
            return None
        if isinstance(value, list):
            return ", ".join(str(v) for v in value if v)
        return str(value)

    article_id = record.get("id")
    return make_article(
        title=text_field("title") or "", body=body, origin=origin,
        article_id=str(article_id) if article_id not in (None, "") else None,
        source=text_field("source") or "", url=text_field("url"),
        published_at=record.get("published_at") or record.get("date"),
        author=text_field("author"),
    )


def _load_json(text: str) -> object:
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise ArticleFormatError("malformed JSON: nested too deeply") from exc
    if _json_depth(value) > MAX_JSON_NESTING:
        raise ArticleFormatError("malformed JSON: nested too deeply")
    return value


def parse_json_file(text: str, origin: str) -> ParseResult:
    try:
        value = _load_json(text)
    except json.JSONDecodeError as exc:
        raise ArticleFormatError(f"malformed JSON: {exc.msg} at line {exc.lineno}") from exc
    records = value if isinstance(value, list) else [value]
    if not records:
        raise ArticleFormatError("the JSON list holds no articles")
    return _records_to_result(((f"{origin}#{i + 1}", rec) for i, rec in enumerate(records)), origin)


def parse_jsonl_file(text: str, origin: str) -> ParseResult:
    def records() -> Iterator[tuple[str, object]]:
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            where = f"{origin}:{number}"
            try:
                yield where, _load_json(line)
            except json.JSONDecodeError as exc:
                yield where, ArticleFormatError(f"malformed JSON: {exc.msg}")
            except ArticleFormatError as exc:
                yield where, exc

    result = _records_to_result(records(), origin)
    if not result.articles and not result.rejections:
        raise ArticleFormatError("empty file")
    return result


def _records_to_result(records: Iterable[tuple[str, object]], origin: str) -> ParseResult:
    result = ParseResult()
    for where, record in records:
        try:
            if isinstance(record, ArticleFormatError):
                raise record
            result.articles.append(article_from_record(record, origin))
        except ArticleFormatError as exc:
            result.rejections.append(Rejection(where, str(exc)))
    return result


# --------------------------------------------------------------------------- files and folders

def parse_bytes(data: bytes, name: str) -> ParseResult:
    """Parse one file's content; ``name`` gives the format (by extension) and the origin."""
    suffix = Path(name).suffix.lower()
    try:
        if suffix not in SUPPORTED_SUFFIXES:
            raise ArticleFormatError(
                f"unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
            )
        if len(data) > MAX_FILE_BYTES:
            raise ArticleFormatError(f"file is over the {MAX_FILE_BYTES // (1024 * 1024)} MB limit")
        text = decode_text(data)
        if suffix in (".txt", ".md"):
            return ParseResult(articles=[parse_text_article(text, name)])
        if suffix in (".html", ".htm"):
            return ParseResult(articles=[parse_html_article(text, name)])
        if suffix == ".json":
            return parse_json_file(text, name)
        return parse_jsonl_file(text, name)
    except ArticleFormatError as exc:
        return ParseResult(rejections=[Rejection(name, str(exc))])


def parse_file(path: Path) -> ParseResult:
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return ParseResult(rejections=[Rejection(
                name, f"file is over the {MAX_FILE_BYTES // (1024 * 1024)} MB limit")])
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            return parse_bytes(b"", name)
        data = path.read_bytes()
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
