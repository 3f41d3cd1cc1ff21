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


def parse_yes_no(question: str) -> YesNoQuestion | None:
    words = _WORD.findall(question)
    if not words or words[0].lower() not in YES_NO_OPENERS:
        return None
    negated = words[0].lower().endswith(("n't", "n’t")) or bool(_NEGATION.search(" ".join(words[1:4])))
    subject: list[str] = []
    predicate = None
    for word in words[1:]:
        if word[0].isupper():
            subject.append(word.lower().removesuffix("'s").removesuffix("’s"))
            continue
        if word.lower() in _NOT_A_VERB or word.lower() in YES_NO_OPENERS or _NEGATION.fullmatch(word):
            continue
        if predicate is None:
            predicate = stem(word)
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


def decide_verdict(question: str, evidence: Sequence[EvidenceSentence], min_relevance: float = 0.0,
                   min_margin: int = 1) -> Verdict:
    parsed = parse_yes_no(question)
    if parsed is None:
        return Verdict(None, None, tuple(0 for _ in evidence))
    stances = tuple(stance(e.text, parsed) if e.relevance >= min_relevance else 0 for e in evidence)
    balance = sum(stances)
    if abs(balance) < min_margin or (balance > 0 and -1 in stances and balance < 2):
        return Verdict(None, None, stances)
    sign = 1 if balance > 0 else -1
    value = "yes" if (sign > 0) != parsed.negated else "no"
    deciding = max((i for i, s in enumerate(stances) if s == sign), key=lambda i: evidence[i].relevance)
    return Verdict(value, deciding, stances)
