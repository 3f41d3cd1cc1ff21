"""When not to answer: the question is about something the articles never mention, or
the evidence found does not hold the kind of answer asked for.

Usage::

    from bot.engine.abstention import check_abstention
    reason = check_abstention(question, focus, ranked_sentences, snap.outlets())
    if reason: print(reason)   # "The indexed articles mention Tesla, but not the amount."

Each rule looks at the question and the evidence, never at a dataset: an outlet the
knowledge base has nothing from, a name no article contains (after spelling correction),
best sentences that are not about the question's focus, or an amount, count or date asked
for that no sentence about the focus states.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.engine.evidence import RankedSentence
from bot.engine.focus import Focus
from bot.engine.question import Question, is_role
from index.query import MONTHS, outlet_aliases

_SOURCE_WORDS = r"(?:article|articles|report|reports|piece|story|analysis|coverage|op-ed|column|review|update)"
_NAMED_SOURCE = re.compile(
    rf"\b(?:an?|the)\s+(?P<before>(?:[A-Z][\w&.'’-]*\s+){{1,5}}){_SOURCE_WORDS}\b"
    rf"|\b{_SOURCE_WORDS}\s+(?:in|from|by)\s+(?P<after>(?:The\s+)?(?:[A-Z][\w&.'’-]*\s*){{1,5}})"
    rf"|\b(?:according to|reported by|published by)\s+(?P<by>(?:The\s+)?(?:[A-Z][\w&.'’-]*\s*){{1,5}})"
)
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


ABSTAIN_TEXT = "The indexed articles don't say."
WHAT_IS_MISSING = {
    "money": "the amount", "number": "the number", "percent": "the percentage", "date": "when",
    "person": "who", "organization": "which organization", "place": "where", "product": "its name",
    "score": "the score",
}
# Types whose spans patterns find reliably, so their absence is evidence of absence.
PATTERN_TYPES = frozenset({"money", "number", "percent", "date", "score"})


@dataclass(frozen=True)
class AbstentionSettings:
    min_score: float = 0.42      # the best sentence's ranking score
    # A sentence is about the question when it holds this much of its rarest terms, or is
    # this close to it (on both dev sets, 90% of answerable questions pass either).
    min_coverage: float = 0.35
    strong_similarity: float = 0.55
    about_sentences: int = 8
    typed_coverage: float = 0.45  # a sentence this much about the question must hold the asked-for type
    # ... among the best three: the sentences the short answer is taken from and quoted.
    typed_sentences: int = 3


def subject_phrase(focus: Focus) -> str:
    return " and ".join(focus.names[:2])


def check_abstention(question: Question, focus: Focus, ranked: Sequence[RankedSentence],
                     known_outlets: Sequence[str], settings: AbstentionSettings | None = None,
                     names_sources: bool = False, naming_all: Collection[str] | None = None) -> str | None:
    """A plain-words reason to abstain, or None to answer. A question that names its
    sources strings their claims together, so no one sentence is expected to be about all
    of it: for it, the aboutness test is left out. ``naming_all``: the articles that name
    every name of the question; an amount or date asked of two names ("how much did Sam
    Altman put into Induced AI") is not in an article that names one of them only."""
    s = settings or AbstentionSettings()
    unknown = unknown_sources(question.text, known_outlets)
    if unknown:
        return f"The indexed articles include nothing from {unknown[0]}."
    if focus.missing:
        listed = " or ".join(focus.missing[:2])
        return f"None of the indexed articles mention {listed}."
    top = [r for r in ranked[: s.about_sentences] if not r.is_question]
    if not top or top[0].score < s.min_score:
        return ABSTAIN_TEXT
    about = [r for r in top if r.coverage >= s.min_coverage or r.similarity >= s.strong_similarity]
    if not about and not names_sources:
        return ABSTAIN_TEXT
    if question.answer_type in PATTERN_TYPES:
        kinds = (question.answer_type, *question.also)
        # "How much did X pay": an amount in a sentence that says no paying does not count.
        typed = [r for r in top[: s.typed_sentences] if r.coverage >= s.typed_coverage and r.states_act
                 and any(k in sp.kinds for sp in r.spans for k in kinds)
                 and (naming_all is None or r.article_id in naming_all)]
        if not typed:
            what = WHAT_IS_MISSING[question.answer_type]
            if not focus.names:
                return f"The indexed articles don't say {what}."
            return f"The indexed articles mention {subject_phrase(focus)}, but not {what}."
    return _role_unsaid(question, focus, top)


def _role_unsaid(question: Question, focus: Focus, top: Sequence[RankedSentence]) -> str | None:
    """A role asked of a name ("whos xiaomi's ceo") that no sentence about the question gives
    a person: "an unnamed executive denied it" says the role of no one, and quoting it for
    the CEO would answer as if it did."""
    role = question.predicate
    if question.answer_type != "person" or not role or not is_role(role) or not focus.names:
        return None
    if any(r.states_act and any("person" in span.kinds for span in r.spans) for r in top):
        return None
    shown = role.upper() if len(role) <= 3 else role.lower()
    return f"The indexed articles mention {subject_phrase(focus)}, but not who the {shown} is."
