"""The .json (an object or a list) and .jsonl formats: one record per article.

Usage::

    from index.intake.json_file import parse_json_file, parse_jsonl_file
    result = parse_jsonl_file('{"title": "T", "body": "B"}\\n{"title": "no body"}', "a.jsonl")
    len(result.articles), result.rejections[0].file      # (1, "a.jsonl:2")
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from index.intake.article import Article, ArticleFormatError, ParseResult, Rejection, make_article

MAX_JSON_NESTING = 64


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
