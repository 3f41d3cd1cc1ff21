"""A small English lexicon of news predicates: words that say the same act, and its opposites.

Usage::

    from bot.engine.lexicon import related_stems
    same, opposite = related_stems(stem("confirmed"))
    "acknowledg" in same, "deni" in opposite      # True, True

No WordNet ships offline, so this is written by hand: general English, the acts news
reports (buying, confirming, winning, raising prices, making things), never the wording
of any question set. Matching is by :func:`index.text.stem`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from index.text import stem

# Each group: words that name one act or thing. Groups are not transitive across entries.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("confirm", "acknowledge", "verify", "affirm", "admit", "announce", "agree"),
    ("buy", "bought", "purchase", "acquire", "acquisition", "takeover", "pay", "paid", "stake"),
    ("sell", "sold", "sale", "divest", "offload"),
    ("spend", "spent", "spending", "pay", "paid", "outlay"),
    ("make", "made", "build", "built", "produce", "production", "manufacture", "manufacturing",
     "manufacturer", "construction", "construct", "assemble", "develop", "maker"),
    ("car", "cars", "vehicle", "ev", "evs", "automobile", "auto", "suv", "sedan"),
    ("win", "won", "winner", "victory", "beat", "defeat", "triumph", "clinch", "knock", "knockout", "upset"),
    ("lose", "lost", "loss", "defeat", "beaten"),
    ("raise", "raised", "increase", "hike", "lift", "boost", "rise", "rose", "up"),
    ("cut", "lower", "reduce", "decrease", "slash", "drop", "fell", "fall", "decline"),
    ("approve", "approval", "pass", "passed", "back", "endorse", "authorize", "authorise", "greenlight"),
    ("launch", "release", "unveil", "introduce", "debut", "roll"),
    ("hire", "hired", "appoint", "name", "named", "recruit", "sign", "signed"),
    ("fire", "fired", "dismiss", "sack", "oust", "remove", "terminate"),
    ("people", "employees", "staff", "workers", "staffers", "workforce", "jobs", "headcount"),
    ("resign", "quit", "step", "leave", "depart"),
    ("replace", "replaced", "replacement", "successor", "succeed", "succeeded", "succeeds"),
    ("sue", "sued", "sues", "suing", "lawsuit", "suit", "litigation"),
    ("ban", "prohibit", "forbid", "block", "bar"),
    ("allow", "permit", "let", "enable"),
    ("own", "owner", "ownership", "control"),
    ("keep", "kept", "keeps", "retain", "retained"),
    ("start", "started", "begin", "began", "begun", "commence", "kick", "onset"),
    ("found", "founded", "founder", "cofounder", "co-founder", "start", "started", "create", "created"),
    ("lead", "led", "head", "run", "ran", "chair", "chief", "ceo", "boss", "president", "executive"),
    ("direct", "directed", "director"),
    ("play", "played", "plays", "portray", "portrayed", "star", "starred", "starring"),
    ("coach", "coached", "manager", "trainer"),
    ("child", "children", "kid", "kids", "son", "sons", "daughter", "daughters", "boy", "boys", "girl", "girls"),
    ("partner", "partnership", "team", "ally", "alliance", "collaborate", "collaboration", "join", "tie"),
    ("plant", "factory", "facility", "site", "works"),
    ("revenue", "sales", "turnover", "income"),
    ("earn", "earned", "earnings", "gross", "grossed", "make", "made", "takings"),
    ("price", "cost", "priced", "costs", "fee", "charge"),
    ("contribute", "contribution", "commit", "submit", "patch"),
    ("invest", "investment", "back", "fund", "funding", "financing"),
    # Raising money: a start-up "secured $22 million in funding" raised it.
    ("raise", "raised", "fundraise", "fundraising", "secure", "secured"),
    ("attack", "strike", "assault", "raid", "invade", "invasion", "invaded"),
    ("kill", "killed", "dead", "death", "die", "died"),
    ("arrest", "detain", "charge", "charged", "indict"),
    ("convict", "convicted", "conviction", "guilty"),
    ("plead", "pleaded", "pleads", "pled", "plea"),
    ("close", "closed", "shut", "shutdown"),
    ("open", "opened", "reopen"),
    ("finish", "finished", "end", "ended", "complete"),
    ("record", "recording", "film", "tape"),
)
OPPOSITES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("confirm", "acknowledge", "verify", "affirm", "admit"), ("deny", "reject", "dismiss", "refute", "dispute")),
    (("approve", "pass", "back", "endorse", "accept"), ("reject", "block", "veto", "deny", "vote down", "refuse")),
    (("win", "won", "beat", "defeat"), ("lose", "lost", "loss", "beaten", "fall")),
    (("raise", "increase", "rise", "grow", "gain"), ("cut", "lower", "reduce", "decrease", "drop", "fall", "fell",
                                                       "decline", "shrink", "shrank")),
    (("open", "reopen"), ("close", "shut")),
    (("allow", "permit", "let"), ("ban", "prohibit", "forbid", "block", "bar")),
    (("hire", "appoint"), ("fire", "dismiss", "sack", "oust")),
    (("succeed", "pass"), ("fail",)),
    (("agree", "accept"), ("disagree", "reject", "refuse", "decline")),
    (("buy", "acquire", "purchase"), ("sell", "divest")),
    (("own", "owner", "ownership"), ("sell", "sold", "divest", "offload")),
    (("keep", "retain", "hold"), ("lose", "rescind", "revoke", "strip", "withdraw", "return")),
    (("support", "back"), ("oppose", "against")),
    (("convict", "convicted", "conviction", "guilty"), ("acquit", "acquitted", "acquittal", "innocent")),
)


@lru_cache(maxsize=4096)
def related_stems(word_stem: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """Stems that say the same as ``word_stem``, and stems that say its opposite."""
    if not word_stem:
        return frozenset(), frozenset()
    same = {word_stem}
    for group in SYNONYMS:
        stems = {stem(w) for w in group}
        if word_stem in stems:
            same |= stems
    opposite: set[str] = set()
    for left, right in OPPOSITES:
        left_stems, right_stems = {stem(w) for w in left}, {stem(w) for w in right}
        if word_stem in left_stems:
            opposite |= right_stems
        elif word_stem in right_stems:
            opposite |= left_stems
    return frozenset(same - opposite), frozenset(opposite - {word_stem})


@lru_cache(maxsize=4096)
def is_known_act(word_stem: str) -> bool:
    """Whether the lexicon lists ``word_stem`` as an act (a verb or its noun)."""
    return bool(_ALL_STEMS & {word_stem})


_ALL_STEMS = frozenset(stem(w) for group in SYNONYMS for w in group) | frozenset(
    stem(w) for left, right in OPPOSITES for w in (*left, *right))


_POSSESSIVE_OWN = re.compile(r"\b(?:my|your|his|her|its|our|their|one's)\s+own\b")


def says_predicate(text: str, predicate: str | None) -> bool:
    """Whether a sentence names the act or role asked about ("founded", "ceo"), by stem or a
    synonym: "who founded X" is not answered by a sentence about X's investors. Stems match
    on five letters too, so "headlining" meets "headliner"."""
    if not predicate:
        return True
    same, _ = related_stems(stem(predicate))
    prefixes = {w[:5] for w in same}
    # "a three-and-out of their own": "own" after a possessive owns nothing.
    lowered = _POSSESSIVE_OWN.sub(" ", text.lower())
    for word in re.findall(r"[\w'’-]+", lowered):
        root = stem(word.replace("’", "'").removesuffix("'s").strip(".'-"))
        # Stemmed twice too: "losses" → "loss" → "los", the stem of "lose" and "loss".
        # A word of five letters is no prefix of a longer one: "again" says nothing "against".
        if root in same or (len(root) > 5 and root[:5] in prefixes) or stem(root) in same:
            return True
    return False


# "failed again on a second ballot to become", "fell short of winning", "missed out on": the
# act after it was not done.
_FAILED_BEFORE = re.compile(r"(?:\b(?:fail(?:s|ed|ing)?|unable|refus(?:e|es|ed|ing))\b[^,;:.]{0,60}\bto|"
                            r"\b(?:fell|falls?|falling|came|comes?|coming)\s+(?:up\s+)?short\s+of|"
                            r"\bmiss(?:ed|es|ing)?\s+out\s+on)\s+$", re.IGNORECASE)


def failed_before(text: str, start: int = 0, end: int | None = None) -> bool:
    """Whether ``text[start:end]`` ends in words of failing at what follows it."""
    return _FAILED_BEFORE.search(text, start, len(text) if end is None else end) is not None


# "scored to put Liverpool 1-0 up ..., but the flag went up for offside", "the award was later
# rescinded": what was done was undone after it.
_UNDONE_AFTER = re.compile(r"\b(?:but|only\s+for|before|until|later)\b[^.;]{0,60}?\b(?:disallowed|ruled\s+out|"
                           r"overturned|chalked\s+off|struck\s+off|offside|reversed|annulled|voided|rescinded|"
                           r"revoked|withdrawn|retracted)\b", re.IGNORECASE)


def undone_after(text: str, start: int = 0) -> bool:
    """Whether ``text`` says, after ``start``, that what was done was undone."""
    return _UNDONE_AFTER.search(text, start) is not None
