"""Names voted for across sources: the answer to a question that names its sources.

Usage::

    from bot.engine.name_vote import vote_for_name
    vote_for_name("Which company, reported by the Ledger and the Gazette, ...?", evidence, ["Ledger"])
    # "Korvath"

A question that strings claims from several outlets together ("Which company, covered by A
and reported by B, ...?") is answered by no one sentence: its answer is the name the
evidence of all those sources shares.

The method: collect the capitalised names in the evidence (best passages first), drop
those the question already names, and prefer the one named most often across different
articles, weighted by how high its passage ranks. A name is always a span of the
evidence, never composed. Questions that offer a choice ("agree or disagree") are left
to the caller's judgement and get no short answer here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

_WH = re.compile(r"^\s*(?:so,?\s+|and\s+)?(who|whom|whose|which|what)\b", re.IGNORECASE)
_PERSON_CUES = re.compile(r"\b(who|whom|whose|individual|person|player|ceo|founder|executive|cricketer|"
                          r"athlete|author|singer|actor|actress|quarterback|receiver|coach|star)\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][\w&’'.-]*(?:\s+(?:[A-Z][\w&’'.-]*|of|de|la|van|von))*")
_GENERIC = frozenset(
    """The A An This That These Those It Its He She They We I You His Her Their Our In On At For From By Of And
    Or But If As To With After Before When While Where Why How What Which Who Also However Meanwhile Still Yet
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August
    September October November December Mr Mrs Ms Dr CEO Inc Co Corp Ltd LLC Read More Related Image Photo Getty
    Images Advertisement Sign Subscribe Click Here According Last Next First Second Third New Year Today Week
    Other Another Some Many Most All Both Each Every Several""".split()
)


_ORG_CUES = re.compile(r"\b(company|companies|organi[sz]ation|firm|exchange|startup|start-up|carmaker|automaker|"
                       r"maker|manufacturer|brand|developer|publisher|studio|retailer|platform|network|bank|"
                       r"team|club|agency|group)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ShortAnswerQuestion:
    wants_person: bool
    wants_org: bool


def parse_wh_question(question: str) -> ShortAnswerQuestion | None:
    if not _WH.match(question):
        return None
    if re.search(r"\b\w+\s+or\s+\w+\s*\?\s*$", question):
        return None  # "...agree or disagree?": a choice, not a name
    # The noun right after the question word says what is asked for ("Which company", "Who is the player").
    head = question[:80]
    return ShortAnswerQuestion(wants_person=bool(_PERSON_CUES.search(head)),
                               wants_org=bool(_ORG_CUES.search(head)) and not re.match(r"\s*who\b", head, re.I))


def person_like(name: str) -> bool:
    """Two or more words, each a capital then lower case ("Sam Bankman-Fried"), not an acronym."""
    words = name.split()
    return len(words) >= 2 and all(re.match(r"^[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*\.?$", w) for w in words)


def candidate_names(text: str) -> list[str]:
    """Capitalised word runs, cut at possessives and sentence ends ("BAIC's EV brand" names
    BAIC; "China. Keeping" is two words). A lone word that only ever opens a sentence
    ("Furthermore", "Such") is not a name."""
    parts: list[tuple[str, bool]] = []
    for match in _NAME.finditer(text):
        opens_sentence = match.start() == 0 or bool(re.search(r"(?:[.!?:]['’”\"]?|\n)\s*$", text[:match.start()]))
        for index, piece in enumerate(re.split(r"[’']s\b|\.\s+", match.group(0))):
            parts.append((piece, opens_sentence and index == 0))
    mid_sentence = {p.split()[0] for p, opens in parts if not opens and p.split()}
    names = []
    for part, opens in parts:
        words = part.split()
        if opens and len(words) == 1 and words[0] not in mid_sentence:
            continue
        while words and (words[0] in _GENERIC or words[0].lower() in ("of", "de", "la", "van", "von")):
            words.pop(0)
        while words and (words[-1] in _GENERIC or words[-1].lower() in ("of", "de", "la", "van", "von")):
            words.pop()
        name = " ".join(words).strip(".,;:’'-")
        if len(name) >= 2 and not name.isdigit():
            names.append(name)
    return names


def vote_for_name(question: str, evidence: Sequence[tuple[str, str, float]], question_names: Sequence[str],
                 max_words: int = 12, bodies: Sequence[str] = ()) -> str | None:
    """``evidence`` is (article id, text, weight) from best to worst; ``bodies``, the
    retrieved articles' whole texts, say which of two full names a shared surname means."""
    parsed = parse_wh_question(question)
    if parsed is None:
        return None
    asked = {n.lower() for n in question_names} | {w.lower() for n in question_names for w in n.split()}
    lowered_question = question.lower()
    score: dict[str, float] = defaultdict(float)
    articles: dict[str, set[str]] = defaultdict(set)
    for article_id, text, weight in evidence:
        # Every mention counts: repetition across the retrieved text is the signal.
        for name in candidate_names(text):
            key = name.lower()
            if key in asked or key in lowered_question:
                continue
            score[name] += weight
            articles[name].add(article_id)
    if not score:
        return None
    # A surname alone counts for the full name it ends ("Bankman-Fried" → "Sam Bankman-Fried");
    # a short form counts for a longer name when that longer form is common too.
    merged: dict[str, float] = defaultdict(float)
    spread: dict[str, set[str]] = defaultdict(set)
    for name in score:
        full_names = [o for o in score if o != name and person_like(o) and o.split()[-1] == name]
        longer = [o for o in score if o != name and f" {name} " in f" {o} " and score[o] >= 0.5 * score[name]]
        pool = full_names or longer
        # The full name that more articles use takes the surname's mentions: siblings share
        # one, and the one the news is about ("Sam Altman", not his brother) is named most.
        target = max(pool, key=lambda o: (sum(o in body for body in bodies), len(articles[o]), score[o])) \
            if pool else name
        merged[target] += score[name]
        spread[target] |= articles[name]

    def rank(name: str) -> float:
        fit = 1.0
        if parsed.wants_person:
            fit = 2.0 if person_like(name) else 0.25
        elif parsed.wants_org and person_like(name):
            fit = 0.5
        return merged[name] * (1 + 0.5 * (len(spread[name]) - 1)) * fit

    best = max(merged, key=rank)
    return " ".join(best.split()[:max_words])
