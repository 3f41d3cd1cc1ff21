"""The .html format, and the article in a fetched page: main text and metadata through
trafilatura.

Usage::

    from index.intake.html_file import parse_html_article
    article = parse_html_article(html, "page.html")
    fetched = parse_html_article(html, url, page_url=url)   # id and url from the canonical URL
"""

from __future__ import annotations

import re

from index.intake.article import Article, ArticleFormatError, make_article
from index.intake.dates import normalise_published_at
from index.intake.urls import page_canonical_url, url_article_id

MIN_PAGE_TEXT_CHARS = 150  # a fetched page with less main text than this holds no article


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


def _declared_canonical(html: str) -> str | None:
    """``<link rel="canonical" href>`` as written (trafilatura drops relative ones)."""
    match = _CANONICAL_LINK.search(html[:200_000])
    return match.group(1).replace("&amp;", "&") if match else None
