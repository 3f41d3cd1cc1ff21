"""When not to answer: the question is about something the articles never mention, or
the evidence found does not hold the kind of answer asked for.

Usage::

    from bot.abstention import check_abstention
    reason = check_abstention(question, analysis, snap, evidence_texts, best_relevance)
    if reason: print(reason)          # "None of the indexed articles mention David Sutter."

Each rule looks at the question and the knowledge base, never at a dataset: a name no
article contains, an outlet the knowledge base has nothing from, an amount or date asked
for that the evidence does not state, or evidence too weak to quote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.query import MONTHS, QueryAnalysis, outlet_aliases
from index.store import Snapshot

_SOURCE_WORDS = r"(?:article|articles|report|reports|piece|story|analysis|coverage|op-ed|column|review|update)"
_NAMED_SOURCE = re.compile(
    rf"\b(?:an?|the)\s+(?P<before>(?:[A-Z][\w&.'’-]*\s+){{1,5}}){_SOURCE_WORDS}\b"
    rf"|\b{_SOURCE_WORDS}\s+(?:in|from|by)\s+(?P<after>(?:The\s+)?(?:[A-Z][\w&.'’-]*\s*){{1,5}})"
    rf"|\b(?:according to|reported by|published by)\s+(?P<by>(?:The\s+)?(?:[A-Z][\w&.'’-]*\s*){{1,5}})"
)
_MONEY = re.compile(r"[$€£¥₹]\s?\d|\b\d[\d,.]*\s?(?:dollars?|euros?|pounds?|yuan|yen|rupees?|usd|eur|rmb)\b|"
                    r"\b(?:US|USD|EUR|RMB|CNY|INR)\s?\d|\bprice[ds]?\s+(?:at|of|from)\s+\S*\d", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                     r"dozen|hundred|thousand|million|billion)\b", re.IGNORECASE)
_DATE = re.compile(r"\b(?:19|20)\d\d\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|"
                   r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow|"
                   r"next (?:week|month|year)|this (?:week|month|year)|quarter|q[1-4])\b", re.IGNORECASE)
_ASKS_AMOUNT = re.compile(r"^\s*(?:how much|what(?:'s| is| was| will be)? the (?:price|cost))|\bcost\b.*\?\s*$",
                          re.IGNORECASE)
_ASKS_COUNT = re.compile(r"^\s*how many\b", re.IGNORECASE)
_ASKS_WHEN = re.compile(r"^\s*when\b", re.IGNORECASE)


def missing_names(analysis: QueryAnalysis, snap: Snapshot) -> list[str]:
    """Names from the question that no chunk contains. Only fully capitalised names are
    checked ("Spider-themed" is a description, not a name)."""
    missing = []
    for name in analysis.names:
        words = re.split(r"[\s-]+", name)
        if not all(w[:1].isupper() or w[:1].isdigit() for w in words if w):
            continue
        if snap.phrase_count(name) == 0:
            missing.append(name)
    return missing


def unknown_sources(question: str, known_outlets: Sequence[str]) -> list[str]:
    """Outlets the question asks about that the knowledge base has no article from."""
    known = {alias.lower() for outlet in known_outlets for alias in outlet_aliases(outlet)}
    unknown = []
    for match in _NAMED_SOURCE.finditer(question):
        name = (match.group("before") or match.group("after") or match.group("by") or "").strip()
        name = re.sub(r"[’']s$", "", name).strip(" ,.")
        if not name or name.lower() in known or name.lower().removeprefix("the ") in known:
            continue
        words = name.split()
        if not words[-1][:1].isupper() or name.lower() in ("the", "a", "an") or words[0].lower() in MONTHS:
            continue
        if any(k in name.lower() for k in known):
            continue  # "the TechCrunch Disrupt report": a known outlet inside a longer name
        unknown.append(name)
    return unknown


def missing_answer_type(question: str, evidence: Sequence[str]) -> str | None:
    """What kind of answer is asked for and absent from the evidence, if any."""
    text = " ".join(evidence)
    if _ASKS_AMOUNT.search(question) and not _MONEY.search(text):
        return "an amount"
    if _ASKS_COUNT.search(question) and not _NUMBER.search(text):
        return "a number"
    if _ASKS_WHEN.search(question) and not _DATE.search(text):
        return "a date"
    return None


def check_abstention(question: str, analysis: QueryAnalysis, snap: Snapshot, evidence: Sequence[str],
                     best_relevance: float, min_relevance: float) -> str | None:
    """A plain-words reason to abstain, or None to answer."""
    unknown = unknown_sources(question, snap.outlets())
    if unknown:
        return f"The indexed articles include nothing from {unknown[0]}."
    missing = missing_names(analysis, snap)
    if missing:
        listed = " or ".join(missing[:2])
        return f"None of the indexed articles mention {listed}."
    kind = missing_answer_type(question, evidence)
    if kind:
        return f"The indexed articles don't give {kind} for that."
    if best_relevance < min_relevance:
        return "The indexed articles don't say."
    return None
