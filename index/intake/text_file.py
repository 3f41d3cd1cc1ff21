"""The .txt / .md format: a title line, ``Key: value`` metadata lines, the body.

Usage::

    from index.intake.text_file import parse_text_article
    article = parse_text_article("Xiaomi and BAIC\\nSource: Reuters\\n\\nXiaomi said ...", "a.txt")
    article.title, article.source      # ("Xiaomi and BAIC", "Reuters")
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from index.intake.article import Article, ArticleFormatError, clean_text, make_article

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
