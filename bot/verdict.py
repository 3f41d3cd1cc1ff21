"""Yes/no verdicts from quoted evidence, by stance cues aligned with the question.

Usage::

    from bot.verdict import decide_verdict
    verdict = decide_verdict("Did Hyundai confirm the plant deal?", evidence)
    verdict.value            # "no"
    verdict.deciding         # index into `evidence` of the sentence that decides it

No NLI model is available offline, so the method is explicit: find the question's
subject (its names) and predicate (its main verb), then read each relevant evidence
sentence that names the subject for the predicate itself (affirms), the predicate under
negation, or a word that contradicts it (denies). Agreement decides; disagreement or
silence gives no verdict, because no verdict is better than a wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

YES_NO_OPENERS = frozenset(
    "is are was were do does did has have had can could will would should shall may might must isn't aren't "
    "wasn't weren't doesn't don't didn't hasn't haven't hadn't can't couldn't won't wouldn't shouldn't".split()
)
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|none|without)\b|n['’]t\b", re.IGNORECASE)
# Words that deny or undo a claim, whatever the claim's verb.
_DENIAL = re.compile(
    r"\b(?:reject\w*|den(?:y|ied|ies|ial)\w*|dismiss\w*|refut\w*|rebut\w*|groundless|baseless|unfounded|untrue|"
    r"false(?:ly)?|dispute[sd]?|disputing|contradict\w*|ruled out|rules out|scrap(?:s|ped)?|call(?:ed|s)? off|"
    r"cancel(?:l?ed|s)?|abandon\w*|declin(?:e|ed|es) to)\b",
    re.IGNORECASE,
)
# Predicates whose opposite is a different word rather than a negation.
_OPPOSITES: dict[str, tuple[str, ...]] = {
    "increas": ("decreas", "fell", "fall", "drop", "declin", "shrank", "shrink", "cut", "lower"),
    "rise": ("fell", "fall", "drop", "declin", "lower"), "rose": ("fell", "fall", "drop", "declin"),
    "grow": ("shrank", "shrink", "declin", "contract"), "gain": ("los", "lost", "fell", "drop"),
    "win": ("los", "lost", "defeat"), "won": ("los", "lost", "defeat"),
    "open": ("clos", "shut"), "approv": ("reject", "block", "veto", "den"),
    "accept": ("reject", "declin", "refus"), "agree": ("disagree", "reject", "refus"),
    "support": ("oppos", "against"), "allow": ("ban", "prohibit", "forbid", "block"),
    "improv": ("worsen", "deteriorat", "declin"), "succeed": ("fail",), "pass": ("fail", "reject"),
}
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# Filler between the opener and the verb that names no one ("Did the ... article", "Is there").
_NOT_A_VERB = frozenset(
    "the a an this that these those there it its their his her any some article report reports story piece "
    "post recent latest new news same other both".split()
)


@dataclass(frozen=True)
class EvidenceSentence:
    text: str
    relevance: float


@dataclass(frozen=True)
class Verdict:
    value: str | None           # "yes", "no" or None
    deciding: int | None        # index of the sentence that decides it
    stances: tuple[int, ...]    # +1 affirms, -1 denies, 0 silent, per evidence sentence


@dataclass(frozen=True)
class YesNoQuestion:
    subject: tuple[str, ...]    # lower-cased names the evidence must mention
    predicate: str | None       # the main verb's stem, e.g. "confirm"
    negated: bool               # "Didn't Hyundai confirm ...?"


def stem(word: str) -> str:
    word = word.lower().replace("’", "'")
    for suffix in ("'s", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


_NP_END = frozenset("the a an any its their his her this that these those to for on in with of about at".split())


def parse_yes_no(question: str) -> YesNoQuestion | None:
    """Subject and predicate of "Did Hyundai confirm the deal?" or "Did the council approve
    the toll?": names (or the noun phrase) after the opener, then the verb."""
    words = _WORD.findall(question)
    if not words or words[0].lower() not in YES_NO_OPENERS:
        return None
    negated = words[0].lower().endswith(("n't", "n’t")) or bool(_NEGATION.search(" ".join(words[1:4])))
    rest = [w for w in words[1:] if not _NEGATION.fullmatch(w)]
    while rest and rest[0].lower() in _NOT_A_VERB:
        rest.pop(0)
    subject: list[str] = []
    predicate = None
    if rest and rest[0][0].isupper():
        while rest and rest[0][0].isupper():
            subject.append(rest.pop(0).lower().removesuffix("'s").removesuffix("’s"))
        predicate = next((stem(w) for w in rest if w.lower() not in _NOT_A_VERB), None)
    elif rest:
        # A common-noun subject ends where the object starts: the verb is the word before it.
        end = next((i for i in range(1, len(rest)) if rest[i].lower() in _NP_END), None)
        if end is not None and end >= 2:
            subject = [w.lower() for w in rest[:end - 1]]
            predicate = stem(rest[end - 1])
        elif len(rest) >= 2:
            subject, predicate = [rest[0].lower()], stem(rest[1])
    return YesNoQuestion(tuple(subject), predicate, negated)


def stance(sentence: str, question: YesNoQuestion) -> int:
    """+1 when the sentence asserts the predicate, -1 when it denies it, 0 when silent."""
    lowered = sentence.lower()
    if question.subject and not any(name in lowered for name in question.subject):
        return 0
    stems = [stem(w) for w in _WORD.findall(sentence)]
    predicate = question.predicate
    if predicate and predicate in stems:
        at = stems.index(predicate)
        window = " ".join(_WORD.findall(sentence)[max(0, at - 4):at])
        return -1 if _NEGATION.search(window) else 1
    if predicate and any(s.startswith(o) for o in _OPPOSITES.get(predicate, ()) for s in stems):
        return -1
    if _DENIAL.search(sentence):
        return -1
    return 0


_CONTRAST = re.compile(r"\b(?:no|not|never|without|none|nor|differ\w*|different|same|unlike|contrary|rather than)\b|"
                       r"n['’]t\b", re.IGNORECASE)
SIMPLE_QUESTION_WORDS = 25


def is_yes_no(question: str) -> bool:
    return parse_yes_no(question) is not None


def decide_by_support(question: str, claim_support: Sequence[float], threshold: float) -> str | None:
    """For a question that strings several claims together ("Does A report X, while B
    reports Y?"): "yes" when every claim has a closely matching evidence sentence from its
    source. Negations and contrasts ("no change", "differ", "the same") need understanding
    that matching cannot give, so they get no verdict."""
    if not claim_support or not is_yes_no(question) or _CONTRAST.search(question):
        return None
    return "yes" if min(claim_support) >= threshold else None


_ORDER_BEFORE_OUTLET = re.compile(
    r"\b(before|after|earlier than|later than|prior to)\W*(?:the\W+)?$", re.IGNORECASE)


def order_between(question: str, first_end: int, second_start: int) -> str | None:
    """"before" or "after" when the question sets one source's report against another's
    in time ("reported by A before B", "did A report X after B reported Y"): the order word
    must lead straight into the second source. "before October 1" dates a report instead,
    and is left alone."""
    match = _ORDER_BEFORE_OUTLET.search(question[first_end:second_start])
    if not match:
        return None
    return "before" if match.group(1).lower() in ("before", "earlier than", "prior to") else "after"


def decide_by_order(relation: str, first: date | None, second: date | None) -> str | None:
    """Publication dates settle "did A report it before/after B?"; the same day settles nothing."""
    if first is None or second is None or first == second:
        return None
    holds = first < second if relation == "before" else first > second
    return "yes" if holds else "no"


def decide_verdict(question: str, evidence: Sequence[EvidenceSentence], min_relevance: float = 0.0,
                   min_margin: int = 1) -> Verdict:
    """Stance reading for a simple question ("Did Hyundai confirm the plant deal?"); long
    multi-claim questions are left to :func:`decide_by_support`."""
    parsed = parse_yes_no(question)
    if parsed is None or len(question.split()) > SIMPLE_QUESTION_WORDS:
        return Verdict(None, None, tuple(0 for _ in evidence))
    stances = tuple(stance(e.text, parsed) if e.relevance >= min_relevance else 0 for e in evidence)
    balance = sum(stances)
    if abs(balance) < min_margin or (balance > 0 and -1 in stances and balance < 2):
        return Verdict(None, None, stances)
    sign = 1 if balance > 0 else -1
    value = "yes" if (sign > 0) != parsed.negated else "no"
    deciding = max((i for i, s in enumerate(stances) if s == sign), key=lambda i: evidence[i].relevance)
    return Verdict(value, deciding, stances)
