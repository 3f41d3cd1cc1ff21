"""The Article record: the fields every format fills, its id and its content hash.

Usage::

    from index.intake.article import make_article
    article = make_article(title="Xiaomi and BAIC", body="Xiaomi said ...", origin="notes.txt",
                           source="Reuters", published_at="2023-10-07")
    article.id              # "a-..." derived from the text (or the id the file gave)
    article.published_at    # "2023-10-07T00:00:00+00:00"
    article.outlets         # ["Reuters"]

A file either yields articles or a :class:`Rejection` that says why (see
:mod:`index.intake.files`), so one bad file never stops the good ones in the same call.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field

from index.intake.dates import normalise_published_at

# Ids travel through CLI arguments, Discord options and log lines; keeping them to a
# plain alphabet rules out path tricks and invisible look-alikes.
ARTICLE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


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


def clean_text(text: str) -> str:
    """Unicode NFC with Windows and old-Mac line ends unified; offsets refer to this text."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _without_entities(title: str) -> str:
    """A title with HTML character references written out: feeds and exports often carry
    "&#039;" and "&amp;" in titles, which every citation would show. Bodies keep their text
    as given: quotes are offsets into them."""
    return html.unescape(title) if re.search(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);", title) else title


def make_article(*, title: str, body: str, origin: str, article_id: str | None = None,
                 source: str = "", url: str | None = None, published_at: object = None,
                 author: str | None = None) -> Article:
    body = clean_text(body).strip()
    title = " ".join(_without_entities(clean_text(title)).split())
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
