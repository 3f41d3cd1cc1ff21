"""Typed spans of a sentence: the names, amounts, dates and counts it states, with offsets.

Usage::

    from bot.engine.spans import typed_spans
    spans = typed_spans(body, 120, 260, stored_entities)   # spans inside body[120:260]
    [(s.kind, body[s.start:s.end]) for s in spans]
    # [("organization", "BAIC"), ("number", "3,00,000 units"), ("date", "the first half of 2024")]

Two sources, merged: the entity spans spaCy found at ingest (stored, so nothing runs here
but regular expressions), and patterns for what the small model misses or mislabels
("$1.7B", "17.9%", "3,00,000 units", "34-29"). Every span is a slice of the stored body.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from index.companies.entity_spans import EntitySpan
from index.text import STOP_WORDS

# spaCy's OntoNotes labels, as the answer types of bot.engine.question.
LABEL_TYPES: dict[str, tuple[str, ...]] = {
    "PERSON": ("person",),
    "ORG": ("organization",),
    "GPE": ("place", "organization"),
    "LOC": ("place",),
    "FAC": ("place", "product"),
    "NORP": ("organization",),
    "MONEY": ("money",),
    "PERCENT": ("percent",),
    "DATE": ("date",),
    "TIME": ("date",),
    "CARDINAL": ("number",),
    "QUANTITY": ("number",),
    "PRODUCT": ("product",),
    "WORK_OF_ART": ("product",),
    "EVENT": ("product",),
    "LAW": ("product",),
}
_SCALE = r"(?:\s?(?:thousand|million|billion|trillion|mn|bn|crore|lakh|[cC]r(?![a-z])|[kKmMbB](?![a-z])))?"
_NUMBER = r"\d+(?:[,.]\d+)*"
PATTERNS: dict[str, re.Pattern[str]] = {
    "money": re.compile(
        rf"(?:(?:US|C|A|HK|S|NZ)?[$€£¥₹₩]|\b(?:USD|EUR|GBP|JPY|CNY|RMB|INR|CHF|CAD|AUD|NIS|ILS|KRW|SEK|NOK|"
        rf"DKK|BRL|ZAR|AED|SAR)\s?|Rs\.?\s?){_NUMBER}{_SCALE}|"
        rf"\b{_NUMBER}{_SCALE}\s(?:dollars|euros|pounds|yuan|yen|rupees|crore|lakh|shekels|won|francs|"
        rf"(?:USD|EUR|GBP|NIS|INR|RMB)\b)"),
    "percent": re.compile(rf"\b{_NUMBER}\s?(?:%|percent\b|per\s?cent\b|percentage\s+points?\b)"),
    # A comma or full stop may follow ("blowing out Utah, 42-18, extending"), not a digit after one.
    "score": re.compile(r"(?<![\d.,/-])\d{1,3}\s?[-–]\s?\d{1,3}(?![\d/%-]|[.,]\d)"),
    "date": re.compile(
        r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?"
        r"(?:,?\s+(?:19|20)\d\d)?\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|"
        r"oct|nov|dec)[a-z]*\.?(?:,?\s+(?:19|20)\d\d)?\b|\b(?:in|since|by|from|until)\s+(?:19|20)\d\d\b",
        re.IGNORECASE),
    "number": re.compile(rf"\b{_NUMBER}{_SCALE}(?:\s(?!of\b|in\b|on\b|and\b|the\b|to\b)[a-z]+)?"),
}


# Month names and their abbreviations; "mar" and "may" alone are also words, so only a
# DATE span's own anchor takes them.
_MONTH_NAMES = (r"jan(?:uary)?|feb(?:ruary)?|march|apr(?:il)?|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|"
                r"nov(?:ember)?|dec(?:ember)?")
# What makes a DATE span a point in time rather than a stretch of it: a digit, a month or
# weekday, or a word that places it ("earlier this year", "last week", "two years ago").
_PART_OF_DAY = re.compile(r"(?:the\s+)?(?:morning|afternoon|evening|night|noon|midnight|overnight)", re.IGNORECASE)
_TIME_ANCHOR = re.compile(
    rf"\d|\b(?:{_MONTH_NAMES}|mar|may)\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day|"
    r"\b(?:today|tonight|yesterday|tomorrow|now|ago|this|last|next|earlier|later|past|coming|recent|recently|"
    r"spring|summer|autumn|fall|winter|christmas|easter|weekend|morning|afternoon|evening|night|noon|midnight)\b",
    re.IGNORECASE)
# "a few months", "25 years": a length of time, which answers "how long", not "when".
_TIME_UNITS = r"(?:seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|decades?|centuries|century|seasons?)"
_DURATION = re.compile(
    rf"^(?:(?:about|around|nearly|almost|over|more\s+than|less\s+than|up\s+to|at\s+least|the\s+)\s*)?"
    rf"(?:\d+(?:[.,]\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+few|few|several|"
    rf"many|some|a\s+couple\s+of|couple\s+of|dozens\s+of|hundreds\s+of)[\s-]+(?:more\s+|full\s+)?{_TIME_UNITS}"
    rf"(?:[\s-]+(?:old|long|later|earlier))?$", re.IGNORECASE)
_PART_OF_AMOUNT = ("date", "money", "percent", "score", "duration")


_ABSOLUTE = re.compile(rf"\d|\b(?:{_MONTH_NAMES})\b", re.IGNORECASE)


def is_relative_date(text: str) -> bool:
    """"last month", "earlier this year": a date that needs the article's own date to mean
    anything, so a weaker answer to "when" than "November 30"."""
    return _ABSOLUTE.search(text) is None


def _date_kinds(text: str) -> tuple[str, ...]:
    """A DATE span's answer types: a duration when it counts time ("three years"), a date
    when it says when; none when it only names a unit ("months", "for years")."""
    if _DURATION.match(text.strip()):
        return ("duration",)
    if _PART_OF_DAY.fullmatch(text.strip()) or re.fullmatch(r"\d{1,2}", text.strip()):
        return ()  # "night" of "Thursday night", tagged apart, or the "14" of "iPhone 14": no day said
    if PATTERNS["score"].fullmatch(text.strip()):
        return ()  # "42-18", which the small tagger may call a date: a score, which the patterns find
    return ("date",) if _TIME_ANCHOR.search(text) else ()


_CURRENCY = re.compile(r"[$€£¥₹₩]|\b(?:USD|EUR|GBP|JPY|CNY|RMB|INR|CHF|CAD|AUD|NIS|ILS|KRW|Rs)\b|"
                       r"\b(?:dollars?|euros?|pounds?|yuan|yen|rupees?|crores?|lakhs?|shekels?|won|francs?|"
                       r"bucks|pence)\b", re.IGNORECASE)


def _money_kinds(text: str) -> tuple[str, ...]:
    """A MONEY span's types: money when it names a currency; "25 per cent", which the small
    tagger calls money, is a percentage; a bare figure is a number."""
    if _CURRENCY.search(text):
        return ("money",)
    return ("percent",) if PATTERNS["percent"].search(text) else ("number",)


@dataclass(frozen=True)
class TypedSpan:
    start: int
    end: int
    kinds: tuple[str, ...]
    untagged: bool = False  # capitalised words the tagger passed over, not a tagged name


_NAME_LABELS = ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "WORK_OF_ART", "EVENT")


_WORD_START = re.compile(r"(?<![\w])\w+")
_WORD_CHAR = re.compile(r"\w")


class NameMatcher:
    """Finds an article's names in its text, longest first where several start at one word,
    as one alternation of them all would, without compiling one (that took about 4 ms an
    article, a fifth of a question's time when its articles were new).

    Usage::

        matcher = NameMatcher(["Beijing Hyundai", "Hyundai"])
        list(matcher.finditer("Beijing Hyundai and Hyundai Motor", 0, 33))
        # [(0, 15, 'Beijing Hyundai'), (20, 27, 'Hyundai')]
    """

    def __init__(self, names: Sequence[str]) -> None:
        self._by_first_word: dict[str, list[str]] = {}
        for name in sorted(names, key=len, reverse=True):
            first = _WORD_START.match(name)
            if first:
                self._by_first_word.setdefault(first.group(0), []).append(name)

    def finditer(self, text: str, start: int, end: int) -> Iterator[tuple[int, int, str]]:
        """(start, end, name) of each name in ``text[start:end]``, whole words only."""
        after = start
        for word in _WORD_START.finditer(text, start, end):
            if word.start() < after:
                continue
            for name in self._by_first_word.get(word.group(0), ()):
                stop = word.start() + len(name)
                if stop <= end and text.startswith(name, word.start()) and \
                        (stop == end or not _WORD_CHAR.match(text, stop)):
                    yield word.start(), stop, name
                    after = stop
                    break


ArticleNames = tuple[NameMatcher | None, dict[str, str]]


def article_names(body: str, entities: Sequence[EntitySpan]) -> ArticleNames:
    return _article_names(body, tuple(entities))


@lru_cache(maxsize=256)
def _article_names(body: str, entities: tuple[EntitySpan, ...]) -> ArticleNames:
    """The names spaCy tagged anywhere in an article, each with the label it got most often,
    as one pattern: a name tagged once ("BAIC (Beijing Automotive Group Co)") is the same
    name where the tagger missed or mislabelled it."""
    votes: dict[str, Counter[str]] = {}
    for e in entities:
        if e.label not in _NAME_LABELS:
            continue
        # "BAIC’s EV" names BAIC: a possessive ends a name.
        for text in re.split(r"[’']s\b", body[e.start:e.end]):
            text = text.strip(" •(),.")
            if len(text) >= 2 and text[:1].isupper():
                votes.setdefault(text, Counter())[e.label] += 1
    if not votes:
        return None, {}
    labels = {name: count.most_common(1)[0][0] for name, count in votes.items()}
    # News names a person in full once, then by surname, which the small tagger often takes
    # for an organisation ("Alphonzo Terrell", then "Terrell" tagged ORG): the surname is
    # that person, unless the "first name" is a place or company ("Beijing Hyundai").
    for name, label in list(labels.items()):
        parts = name.split()
        if label == "PERSON" and len(parts) > 1 and len(parts[-1]) >= 3 and \
                labels.get(parts[0], "PERSON") == "PERSON":
            labels[parts[-1]] = "PERSON"
    return NameMatcher(list(labels)), labels


def _bracketed_apart(body: str, entity: EntitySpan) -> list[tuple[int, int]]:
    """The entity's extent without a possessive ("Xiaomi's" → "Xiaomi"); a name the tagger
    ran into the bracket after it is two ("Prince Charles (Dominic West": the role, then
    who plays it)."""
    stop = entity.start + len(re.split(r"[’']s\b", body[entity.start:entity.end])[0].rstrip())
    stop = stop if stop > entity.start else entity.end
    bracket = body.find(" (", entity.start, stop)
    if entity.label not in _NAME_LABELS or bracket < 0 or ")" in body[bracket:stop]:
        return [(entity.start, stop)]
    inner = bracket + 2
    return [(entity.start, bracket)] + ([(inner, stop)] if body[inner:stop].strip() else [])


_CAPITALISED_WORD = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_CAPITALISED_RUN = re.compile(rf"(?<![\w’'.-])(?:{_CAPITALISED_WORD}\s+){{1,2}}{_CAPITALISED_WORD}(?![\w’'-])")


@lru_cache(maxsize=256)
def _lower_case_words(body: str) -> frozenset[str]:
    return frozenset(re.findall(r"(?<![\w-])[a-z]+(?![\w-])", body))


def _untagged_names(body: str, start: int, end: int, found: Sequence[TypedSpan]) -> list[TypedSpan]:
    """Two or three capitalised words the tagger passed over ("coached by Australia's
    Darren Cahill"), inside the sentence, not at its start, overlapping no span, and none of
    them a word the article writes in lower case: a name of either kind, which only the
    parse may then make an answer."""
    spans = []
    for match in _CAPITALISED_RUN.finditer(body, start, end):
        s, e = match.span()
        if s == start or any(w.lower() in STOP_WORDS for w in match.group(0).split()) or \
                any(not (e <= t.start or s >= t.end) for t in found):
            continue
        if any(w.lower() in _lower_case_words(body) for w in re.split(r"[\s-]+", match.group(0))):
            continue  # "Executive Orders": words the article also writes in lower case
        spans.append(TypedSpan(s, e, ("person", "organization"), untagged=True))
    return spans


SAYS_A_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|"
    r"millions?|billions?|trillions?|dozens?|half|single|both|once|twice|thrice|a\s+pair)\b", re.IGNORECASE)

# A time zone's abbreviation right after a clock time ("03.08 GMT", "8:15 p.m. ET"): the tagger
# may take it for an organisation, and it is no name or other typed span.
_ZONE_OF_A_TIME = re.compile(r"\d[.:]\d\d\s*(?:[aApP]\.?[mM]\.?\s*)?(?:[A-Z]{1,2}[SDT]T|GMT|UTC|[ECMP]T)$")  # capitals


def typed_spans(body: str, start: int, end: int, entities: Sequence[EntitySpan],
                names: ArticleNames | None = None) -> list[TypedSpan]:
    """Every typed span inside ``body[start:end]``: entity spans (typed as the article mostly
    types that name), then the article's other mentions of names tagged elsewhere in it, then
    patterns that overlap none of them. ``names``: :func:`article_names` of this article,
    computed once by a caller that reads many of its sentences."""
    matcher, article_labels = names or article_names(body, entities)
    found: list[TypedSpan] = []
    for entity in entities:
        if start <= entity.start and entity.end <= end and entity.label in LABEL_TYPES:
            if entity.label == "CARDINAL" and re.search(r"(?:\bNo\.?|#)\s?$", body[max(0, entity.start - 4):
                                                                                    entity.start], re.IGNORECASE):
                continue  # "the No. 2 plant": a label, not a count
            if LABEL_TYPES[entity.label] == ("number",) and not SAYS_A_NUMBER.search(body[entity.start:entity.end]):
                continue  # "more than" cut off its "24 billion": no count is said
            for first, stop in _bracketed_apart(body, entity):
                label = entity.label
                if label in _NAME_LABELS:  # the article's majority label for this name
                    label = article_labels.get(body[first:stop].strip(" •(),."), label)
                kinds = _date_kinds(body[first:stop]) if label in ("DATE", "TIME") else \
                    _money_kinds(body[first:stop]) if label == "MONEY" else LABEL_TYPES[label]
                if kinds:
                    found.append(TypedSpan(first, stop, kinds))
    if matcher is not None:
        for s, e, name in matcher.finditer(body, start, end):
            if not any(not (e <= t.start or s >= t.end) for t in found):
                found.append(TypedSpan(s, e, LABEL_TYPES[article_labels[name]]))
    found += _untagged_names(body, start, end, found)
    text = body[start:end]
    for kind, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            s, e = start + match.start(), start + match.end()
            if kind == "date" and body[s:e].split()[0].lower() in ("in", "since", "by", "from", "until"):
                s = s + len(body[s:e].split()[0]) + 1
            same = [t for t in found if not (e <= t.start or s >= t.end) and kind in t.kinds]
            if same:  # the entity already says it, unless it cut the scale off ("almost £300" of "£300m")
                longer = [t for t in same if t.start <= s < e and t.end < e and re.fullmatch(_SCALE, body[t.end:e])]
                for t in longer:
                    found[found.index(t)] = TypedSpan(t.start, e, t.kinds)
                # ... or the currency ("185,000" of "$185,000")
                for t in same:
                    if kind == "money" and s < t.start and t.end <= e:
                        found[found.index(t)] = TypedSpan(s, max(e, t.end), t.kinds)
                continue
            if kind == "number" and re.search(r"(?:\bNo\.?|#)\s?$", body[max(0, s - 4):s], re.IGNORECASE):
                continue  # "the No. 2 plant": a label, not a count
            if kind == "number" and any(not (e <= t.start or s >= t.end) and set(t.kinds) & set(_PART_OF_AMOUNT)
                                        for t in found):
                continue  # the "2023" of "early 2023", the "5" of "$5m": part of a date or amount, not a count
            found.append(TypedSpan(s, e, (kind,)))
    found = [_with_its_bound(body, start, t) for t in found if not _ZONE_OF_A_TIME.search(body[max(0, t.start - 12):
                                                                                            t.end])]
    amounts = [t for t in found if set(t.kinds) & set(_PART_OF_AMOUNT)]
    # The tagger's "19.89" of "$19.89": a count inside an amount or date is part of it.
    found = [t for t in found if t.kinds != ("number",) or not any(
        a.start <= t.start and t.end <= a.end and a is not t for a in amounts)]
    return sorted(found, key=lambda t: (t.start, -t.end))


# "above 5.25 per cent", "more than 1,500 jobs": a bound is part of the amount said.
_BOUND_BEFORE = re.compile(r"\b(?:just\s+)?(?:above|over|under|below|more\s+than|less\s+than|fewer\s+than|nearly|"
                           r"almost|around|about|roughly|approximately|up\s+to|at\s+least|at\s+most)\s+$",
                           re.IGNORECASE)
_BOUNDED_KINDS = frozenset({"money", "percent", "number"})


def _with_its_bound(body: str, start: int, span: TypedSpan) -> TypedSpan:
    """The span with the bound word right before it, when it is an amount or count."""
    if not _BOUNDED_KINDS & set(span.kinds):
        return span
    bound = _BOUND_BEFORE.search(body, max(start, span.start - 24), span.start)
    return TypedSpan(bound.start(), span.end, span.kinds) if bound else span


def spans_of(spans: Sequence[TypedSpan], kinds: Sequence[str]) -> list[TypedSpan]:
    return [s for s in spans if any(k in s.kinds for k in kinds)]
