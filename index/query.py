"""Question analysis: the outlets, dates, names and content terms a question carries.

Usage::

    from index.query import analyse_question
    analysis = analyse_question("Did the TechCrunch article published on October 7, 2023 ...",
                                known_outlets=["TechCrunch", "The Verge"])
    analysis.outlets[0].outlets     # ("TechCrunch",)
    analysis.dates[0]               # DateRange(2023-10-07 .. 2023-10-07)
    analysis.segments               # one clause per outlet mention, for per-source retrieval

Nothing here touches the knowledge base: the caller passes the outlets it knows.
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from index.text import STOP_WORDS

# Words that frame a question about articles rather than name its topic ("Does the article
# suggest ...", "was there a change in ..."); they match everywhere and drown the topic.
FRAMING_WORDS = frozenset((
    "suggest suggests suggested indicate indicates indicated imply implies implied claim claims claimed "
    "focus focuses focused discuss discusses discussed mention mentions mentioned highlight highlights "
    "highlighted describe describes described portray portrays portrayed depict depicts depicted cover "
    "covers covered covering concerning considering information piece pieces story stories later earlier "
    "subsequent previous prior recent recently change changed consistent inconsistent same similar "
    "different differ align aligned agree disagree compared comparison whether between"
).split())
_WORD = re.compile(r"[\w][\w'’.-]*[\w]|[\w]", re.UNICODE)


def content_terms(text: str) -> list[str]:
    """Lower-cased words of ``text`` minus stopwords, possessives folded, in order, unique."""
    return list(_content_terms(text))


def term_overlap(question_terms: list[str], text: str) -> float:
    """Share of the question's content terms found in ``text``, matching on a 5-letter stem
    so "confirmed" meets "confirm" and "rejected" meets "rejects"."""
    if not question_terms:
        return 0.0
    stems = {t[:5] for t in content_terms(text)}
    return sum(1 for t in question_terms if t[:5] in stems) / len(question_terms)


@lru_cache(maxsize=8192)  # the same question and candidate sentences are scored again and again
def _content_terms(text: str) -> tuple[str, ...]:
    terms: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group().lower().replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        word = word.strip("'.-")
        if len(word) < 2 and not word.isdigit():
            continue
        if word in STOP_WORDS or word in FRAMING_WORDS or word in terms:
            continue
        terms.append(word)
    return tuple(terms)


def fts_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: any of the terms, each quoted so no input is syntax."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_DATE = re.compile(
    rf"\b(?P<month>{_MONTH_NAMES})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d\d))?\b",
    re.IGNORECASE,
)
_DAY_FIRST_DATE = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH_NAMES})\.?,?\s+(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)(?:[T ][\d:.+-]+Z?)?")
_PART_OF_MONTH = re.compile(
    rf"\b(?P<part>early|beginning of|mid|middle of|late|end of)[\s-]+(?P<month>{_MONTH_NAMES})"
    rf"(?:,?\s+(?P<year>(?:19|20)\d\d))?\b",
    re.IGNORECASE,
)
_MONTH_ONLY = re.compile(
    rf"\b(?:in|during|from|of|since|by)\s+(?P<month>{_MONTH_NAMES})(?:,?\s+(?P<year>(?:19|20)\d\d))?\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?:[A-Z][\w&.’'-]*|\d+[A-Za-z]+)(?:\s+(?:of\s+|de\s+|and\s+)?(?:[A-Z][\w&.’'-]*|\d+))*")
# Capitalised words that open questions or clauses without naming anything.
_NOT_NAMES = frozenset(
    """a an the this that these those which who whom whose what when where why how is are was were do does did
    has have had can could will would should after before between considering given based according in on at
    for from by of and or but while with both either neither if as to then there their it its his her they
    yes no not article articles report reports piece story""".split()
)


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date            # inclusive
    text: str
    at: int              # where the date is mentioned in the question

    def contains(self, day: date, slack_days: int = 1) -> bool:
        # A day either side: outlets stamp UTC, and questions follow the outlet's local date.
        return self.start - timedelta(days=slack_days) <= day <= self.end + timedelta(days=slack_days)


@dataclass(frozen=True)
class OutletMention:
    outlets: tuple[str, ...]  # the knowledge base's outlet names this mention can mean
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Segment:
    """The part of a question about one named outlet: its text, and the date said with it."""

    outlets: tuple[str, ...]
    text: str
    dates: tuple[DateRange, ...]


@dataclass
class QueryAnalysis:
    text: str
    terms: list[str]
    outlets: list[OutletMention] = field(default_factory=list)
    dates: list[DateRange] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)

    @property
    def named_outlets(self) -> set[str]:
        return {o for mention in self.outlets for o in mention.outlets}


def _year_or_none(value: str | None) -> int | None:
    return int(value) if value else None


def _month_range(year: int, month: int, first: int = 1, last: int | None = None) -> tuple[date, date]:
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, first), date(year, month, min(last or last_day, last_day))


def parse_dates(question: str, default_year: int) -> list[DateRange]:
    """Days, parts of months and months named in a question; a missing year is the
    ``default_year`` (the knowledge base's latest publication year)."""
    found: list[DateRange] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    def add(start_day: date, end_day: date, match: re.Match[str]) -> None:
        found.append(DateRange(start_day, end_day, match.group(0), match.start()))
        taken.append(match.span())

    for match in _ISO_DATE.finditer(question):
        try:
            day = date(int(match["year"]), int(match["month"]), int(match["day"]))
        except ValueError:
            continue
        add(day, day, match)
    for pattern in (_DAY_DATE, _DAY_FIRST_DATE):
        for match in pattern.finditer(question):
            if not free(*match.span()):
                continue
            try:
                day = date(_year_or_none(match["year"]) or default_year, MONTHS[match["month"].lower()],
                           int(match["day"]))
            except ValueError:
                continue
            add(day, day, match)
    for match in _PART_OF_MONTH.finditer(question):
        if not free(*match.span()):
            continue
        year = _year_or_none(match["year"]) or default_year
        month = MONTHS[match["month"].lower()]
        part = match["part"].lower()
        first, last = (1, 10) if part in ("early", "beginning of") else (11, 20) if part in ("mid", "middle of") \
            else (21, None)
        add(*_month_range(year, month, first, last), match)
    for match in _MONTH_ONLY.finditer(question):
        if not free(*match.span()):
            continue
        month_word = match["month"].lower()
        if month_word == "may" and not match["year"]:
            continue  # "in may" is too often the verb
        year = _year_or_none(match["year"]) or default_year
        add(*_month_range(year, MONTHS[month_word]), match)
    return sorted(found, key=lambda d: d.at)


def outlet_aliases(outlet: str) -> set[str]:
    """Ways a question may name an outlet: in full, and its short name before a
    separator ("Cnbc | World Business News Leader" → "Cnbc"; "FOX News - Health" → "FOX News")."""
    names = {outlet}
    for separator in (" | ", " - ", ": "):
        if separator in outlet:
            names.add(outlet.split(separator, 1)[0])
    names |= {n[4:] for n in names if n.lower().startswith("the ") and len(n) > 7}
    return {n.strip() for n in names if len(n.strip()) >= 3}


def find_outlets(question: str, known_outlets: Iterable[str]) -> list[OutletMention]:
    by_alias: dict[str, set[str]] = {}
    for outlet in known_outlets:
        for alias in outlet_aliases(outlet):
            by_alias.setdefault(alias.lower(), set()).add(outlet)
    mentions: list[OutletMention] = []
    taken: list[tuple[int, int]] = []
    for alias in sorted(by_alias, key=len, reverse=True):  # longest first: "The Independent - Sports"
        pattern = re.compile(rf"(?<![\w'])['\"‘“]?{re.escape(alias)}(?![\w])", re.IGNORECASE)
        for match in pattern.finditer(question):
            span = (match.start(), match.end())
            if any(not (span[1] <= a or span[0] >= b) for a, b in taken):
                continue
            # A lower-case hit of a common-word alias ("the age of 16") is not the outlet.
            if not any(ch.isupper() for ch in match.group(0)):
                continue
            taken.append(span)
            mentions.append(OutletMention(tuple(sorted(by_alias[alias])), match.group(0).strip("'\"‘“"), *span))
    return sorted(mentions, key=lambda m: m.start)


def find_names(question: str, skip_spans: Sequence[tuple[int, int]]) -> list[str]:
    """Capitalised names (people, companies, places, products) outside the given spans."""
    names: list[str] = []
    pieces = []
    for match in _NAME.finditer(question):
        start, end = match.span()
        if any(not (end <= a or start >= b) for a, b in skip_spans):
            continue
        # A possessive ends a name: "OpenAI's GPT-3.5" is two names.
        pieces.extend(re.split(r"['’]s\s+", match.group(0)))
    for piece in pieces:
        words = piece.replace("’", "'").split()
        while words and (words[0].lower() in _NOT_NAMES or words[0].lower() in MONTHS):
            words.pop(0)
        while words and (words[-1].lower() in _NOT_NAMES or words[-1].lower() in MONTHS):
            words.pop()
        name = " ".join(words).removesuffix("'s").strip(".,'")
        if len(name) >= 2 and name.lower() not in STOP_WORDS and not name.isdigit() and name not in names:
            names.append(name)
    return names


_CLAUSE_BREAK = re.compile(r",\s+|;\s+|\s+(?:and|while|whereas|but)\s+")


def analyse_question(question: str, known_outlets: Iterable[str], default_year: int = 2023) -> QueryAnalysis:
    outlets = find_outlets(question, known_outlets)
    dates = parse_dates(question, default_year)
    skip = [(m.start, m.end) for m in outlets] + [(d.at, d.at + len(d.text)) for d in dates]
    names = find_names(question, skip)
    # Each outlet's clause runs to the last clause break before the next outlet's mention.
    bounds = [0]
    for before, after in itertools.pairwise(outlets):
        between = question[before.end:after.start]
        breaks = [m.end() for m in _CLAUSE_BREAK.finditer(between)]
        bounds.append(before.end + (breaks[-1] if breaks else 0))
    bounds.append(len(question))
    segments: list[Segment] = []
    for index, mention in enumerate(outlets):
        begin, finish = bounds[index], bounds[index + 1]
        text = question[begin:finish]
        near = tuple(d for d in dates if begin <= d.at < finish)
        segments.append(Segment(mention.outlets, text, near))
    return QueryAnalysis(question, content_terms(question), outlets, dates, names, segments)
