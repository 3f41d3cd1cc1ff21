"""index.intake.dates: feed, page and file dates read into ISO 8601 UTC, never guessed."""

from __future__ import annotations

import pytest

from index.intake.dates import normalise_published_at


@pytest.mark.parametrize(("text", "expected"), [
    ("Tue, 02 Jul 2024 09:30:00 GMT", "2024-07-02T09:30:00+00:00"),          # RSS (RFC 822)
    ("Tue, 02 Jul 2024 09:30:00 +0200", "2024-07-02T07:30:00+00:00"),
    ("2 Jul 2024 09:30 EST", "2024-07-02T14:30:00+00:00"),
    ("Wed, 02 Oct 02 08:00:00 -0000", "2002-10-02T08:00:00+00:00"),           # two-digit year
    ("Tue, 02 Jul 2024", "2024-07-02T00:00:00+00:00"),
    ("2024-07-02T09:30:00Z", "2024-07-02T09:30:00+00:00"),                    # Atom, JSON Feed (ISO 8601)
    ("2024-07-02T09:30:00.123+05:30", "2024-07-02T04:00:00.123000+00:00"),
    ("20240702T093000Z", "2024-07-02T09:30:00+00:00"),
    ("2024-07-02 09:30 UTC", "2024-07-02T09:30:00+00:00"),
    ("2024-W27-2", "2024-07-02T00:00:00+00:00"),
    ("2024-07-02", "2024-07-02T00:00:00+00:00"),
    ("July 2, 2024", "2024-07-02T00:00:00+00:00"),
    ("2 July 2024", "2024-07-02T00:00:00+00:00"),
])
def test_feed_and_page_dates_parse_to_utc(text: str, expected: str) -> None:
    assert normalise_published_at(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "2024", "2024-07", "Tue, 32 Jul 2024 09:30:00 GMT", "12:30", "1e9"])
def test_what_is_not_a_date_gives_none_rather_than_a_guess(text: str) -> None:
    assert normalise_published_at(text) is None
