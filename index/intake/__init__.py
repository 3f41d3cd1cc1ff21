"""Article intake: files, uploads, web pages and feeds become :class:`Article` records.

Usage::

    from index.intake import check_upload, parse_bytes, parse_paths
    result = parse_paths([Path("seeds/")])            # files and folders (walked recursively)
    name = check_upload(upload.filename, upload.size, max_bytes=8 << 20)   # raises ArticleFormatError
    result = parse_bytes(data, name)                  # articles, or rejections that say why

Modules, in the order an article passes through them:

- :mod:`index.intake.limits`: the accepted types and sizes, and ``check_upload``
- :mod:`index.intake.files`: files and folders, one parser per format (``PARSERS``)
- :mod:`index.intake.decode`: bytes to text
- :mod:`index.intake.text_file`, :mod:`~index.intake.html_file`, :mod:`~index.intake.json_file`:
  the formats
- :mod:`index.intake.article`: the Article record, ids and content hashes
- :mod:`index.intake.dates`, :mod:`index.intake.urls`: published dates and canonical URLs
- :mod:`index.intake.fetch`: web pages, fetched safely (imports httpx; not loaded here)
- :mod:`index.intake.feeds`: RSS/Atom/JSON Feed and their poll state (not loaded here)

This package exports the names of the modules above except ``fetch`` and ``feeds``, so
``from index.intake import Article`` stays cheap.
"""

from index.intake.article import (
    ARTICLE_ID_PATTERN,
    Article,
    ArticleFormatError,
    ParseResult,
    Rejection,
    clean_text,
    content_hash,
    derive_article_id,
    make_article,
    validate_article_id,
)
from index.intake.dates import normalise_published_at, parse_date
from index.intake.decode import decode_text
from index.intake.files import PARSERS, iter_article_files, parse_bytes, parse_file, parse_paths
from index.intake.html_file import MIN_PAGE_TEXT_CHARS, parse_html_article
from index.intake.json_file import MAX_JSON_NESTING, article_from_record, parse_json_file, parse_jsonl_file
from index.intake.limits import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, check_upload, megabytes
from index.intake.text_file import parse_text_article
from index.intake.urls import canonical_url, page_canonical_url, url_article_id

__all__ = [
    "ARTICLE_ID_PATTERN", "MAX_FILE_BYTES", "MAX_JSON_NESTING", "MIN_PAGE_TEXT_CHARS", "PARSERS",
    "SUPPORTED_SUFFIXES", "Article", "ArticleFormatError", "ParseResult", "Rejection", "article_from_record",
    "canonical_url", "check_upload", "clean_text", "content_hash", "decode_text", "derive_article_id",
    "iter_article_files", "make_article", "megabytes", "normalise_published_at", "page_canonical_url",
    "parse_bytes", "parse_date", "parse_file", "parse_html_article", "parse_json_file", "parse_jsonl_file",
    "parse_paths", "parse_text_article", "url_article_id", "validate_article_id",
]
