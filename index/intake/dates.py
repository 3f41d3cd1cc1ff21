"""Publication dates as articles and feeds write them, read into one ISO 8601 UTC form.

Usage::

    from index.intake.dates import normalise_published_at, parse_date
    normalise_published_at("Tue, 02 Jul 2024 09:30:00 GMT")   # "2024-07-02T09:30:00+00:00"
    normalise_published_at("July 2, 2024")                     # "2024-07-02T00:00:00+00:00"
    normalise_published_at("soon")                             # None (never a guess)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

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
