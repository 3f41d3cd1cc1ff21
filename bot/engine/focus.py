"""The question's focus, read against the knowledge base's own vocabulary.

Usage::

    from bot.engine.focus import read_focus
    with kb.reader() as snap:
        focus = read_focus(snap, "did shaomi buy the hyundai plant?")
    focus.text           # "did Xiaomi buy the hyundai plant?"
    focus.corrections    # (("shaomi", "Xiaomi"),)
    focus.names          # ("Xiaomi", "Hyundai")
    focus.weights        # {"xiaomi": 4.1, "buy": 1.2, "hyundai": 3.9, "plant": 2.2}

Names are found by what the articles call names (the entity spans stored at ingest), not
by capital letters, so "hyundai" is a name and "Hey" is not. A word no article contains is
matched to the closest name the articles use (one edit for short words, two for longer
ones). Term weights are inverse document frequencies over chunks, so a rare name counts
for more than "plant" when judging whether a sentence is about the question.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from bot.engine.lexicon import related_stems
from index.companies.entity_spans import most_used_name_with_end, name_key, name_vocabulary, name_word_counts
from index.text import STOP_WORDS as STOPWORDS
from index.text import stem

_WORD = re.compile(r"[A-Za-z0-9][\w'’.&-]*[\w]|[A-Za-z0-9]")
# Words of the question's form, not its topic: they are not looked for in the evidence.
QUESTION_WORDS = frozenset(
    "who whom whose what what's whats which when where why how much many is are was were do does did done has "
    "have had can could will would should name called named kind type sort thing things get got happen happened "
    "happening right now currently still ever yet exactly actually really anything something someone "
    "vs vs. v versus".split())  # "49ers vs eagles": the two sides are the terms, not the word between
_KIN = re.compile(r"\b(?:brother|sister|sibling|wife|husband|spouse|son|daughter|father|mother|dad|mom|mum|"
                  r"parent|family|relative|cousin|uncle|aunt|nephew|niece|grand\w+|partner|girlfriend|boyfriend|"
                  r"fianc[eé]e?|twin|kids?|children|child|boys|girls)s?\b", re.IGNORECASE)
# Of the chunks holding a word, the share of articles that tag it as a name (articles against
# chunks: a word in an article's title is in each of its chunks, so the names articles are about,
# "messi", "ftx", "twitter" at .12-.14 on the 609 articles, fell under .15; common words that some
# article tags as a name alone stay far under .10: "game" .06, "year" .02, "said" .01).
_NAME_SHARE = 0.10


def without_article(name_words: list[str]) -> list[str]:
    return name_words[1:] if len(name_words) > 1 and name_words[0] in ("the", "a", "an") else name_words


@dataclass(frozen=True)
class Focus:
    text: str
    corrections: tuple[tuple[str, str], ...] = ()
    names: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)   # stem → weight
    # Last words of the names that the articles mostly use as plain words ("communications"
    # of Rogers Communications): they do not stand for the name as a surname does.
    plain_last_words: frozenset[str] = frozenset()

    @cached_property
    def rarest(self) -> list[tuple[str, float]]:
        """The focus terms, rarest (heaviest) first; ranked once, though every candidate
        sentence is scored against them."""
        return sorted(self.weights.items(), key=lambda item: -item[1])

    @cached_property
    def question_stems(self) -> frozenset[str]:
        return frozenset(stem(w) for w in words(self.text))

    @cached_property
    def _term_prefixes(self) -> frozenset[str]:
        return frozenset(k[:5] for k in self.weights if len(k) >= 5)

    def is_term(self, word: str) -> bool:
        """Whether a sentence's word is one of the question's own terms, by stem or by its
        first five letters ("director" for "directed")."""
        root = stem(word)
        return root in self.weights or (len(root) >= 5 and root[:5] in self._term_prefixes)

    def asks_about(self, span_text: str) -> bool:
        """Whether a span is one of the question's own names or words ("Xiaomi" for "who is
        Xiaomi partnering with?"): such a span is never the answer."""
        content = [w for w in words(span_text) if w not in STOPWORDS]
        if content and all(stem(w) in self.question_stems for w in content):
            return True
        key = " ".join(words(span_text))
        # "Activision Blizzard" for "who bought activision": the question's name, written in full.
        if any(f" {' '.join(without_article(words(name)))} " in f" {key} " for name in self.names):
            return True  # ... and "ODI World Cup 2023" for "The World Cup" the question names
        # "Cruiserweight Opetaia" for "who did Jai Opetaia beat": the same person by surname,
        # unless the question asks for a relative, who shares it.
        last = key.split()[-1] if key else ""
        return len(last) >= 4 and not _KIN.search(self.text) and \
            any(words(name)[-1:] == [last] for name in self.names)

    def coverage(self, text: str, top: int = 6) -> float:
        """The weighted share of the ``top`` rarest focus terms that ``text`` holds (by stem):
        a long question strings several claims together, and no one sentence holds them all."""
        return self.coverage_of(held_stems(text), top)

    def _by_surname(self, parts: list[str], held: set[str] | frozenset[str]) -> bool:
        return _by_surname(parts, held, self.plain_last_words)

    @cached_property
    def _name_parts(self) -> list[list[str]]:
        return [[stem(w) for w in words(name)] for name in self.names]

    def names_any(self, held: set[str] | frozenset[str], article: str = "",
                  surnames: set[str] | frozenset[str] | None = None) -> bool:
        """Whether a text reduced to :func:`held_stems` names one of the question's names at
        least (a person by surname too), when it has any: "the company confirmed laying off
        129 people", in a list of other companies' layoffs, is not about Google. A name of
        several words is named by its first word too in an ``article`` (lower-cased) that
        writes it in full: news shortens "Rogers Communications" to "Rogers". ``surnames``:
        the stems a last word must be among to stand for its name (the text's capitalised
        words, say), when not all of ``held``."""
        last = held if surnames is None else surnames
        return not self._name_parts or any(
            set(parts) <= held or self._by_surname(parts, last) or _by_first_word(parts, held, name, article)
            for parts, name in zip(self._name_parts, self.names, strict=True))

    def says_every_name(self, text: str) -> bool:
        """Each of the question's names is in the text, by its last word at least ("Quell"
        for Mara Quell, as news names people after the first mention), with a short ending
        ("pixels", "North American")."""
        lowered = text.lower()
        return all(re.search(_name_pattern(name.split()[-1].lower()), lowered) for name in self.names)

    def coverage_of(self, held: set[str] | frozenset[str], top: int = 6) -> float:
        """:meth:`coverage` of a text already reduced to :func:`held_stems` (a caller scoring
        many sentences against one title stems the title once)."""
        chosen = self.rarest[:top]
        total = sum(weight for _, weight in chosen)
        if not total:
            return 0.0
        held = set(held)
        for parts in self._name_parts:
            if self._by_surname(parts, held):
                held.update(parts)
        return sum(weight for s, weight in chosen if s in held or related_stems(s)[0] & held) / total


_QUARTERS = {"q1": "first", "q2": "second", "q3": "third", "q4": "fourth"}


def _name_pattern(word: str) -> str:
    """How a name's last word is found in a text: "pixels" for Pixel; "third quarter" for Q3."""
    said = rf"(?<!\w){re.escape(word)}\w{{0,3}}(?!\w)"
    return rf"{said}|\b{_QUARTERS[word]}[\s-]quarter\b" if word in _QUARTERS else said


def _by_surname(parts: list[str], held: set[str] | frozenset[str], plain: frozenset[str] = frozenset()) -> bool:
    """"Sinner" names Jannik Sinner, after the first mention: a two-word name's last word
    (of four letters or more, and not one the articles mostly use as a plain word: "his
    communications" names no Rogers Communications) is among the stems a text holds."""
    return len(parts) > 1 and len(parts[-1]) >= 4 and parts[-1] in held and parts[-1] not in plain


def _by_first_word(parts: list[str], held: set[str] | frozenset[str], name: str, article: str) -> bool:
    """"Rogers" names Rogers Communications in an article (lower-cased) that writes it in full."""
    return len(parts) > 1 and len(parts[0]) >= 4 and parts[0] in held and bool(article) and name.lower() in article


def held_stems(text: str) -> set[str]:
    """The stems of a text's words, and of the parts of its compounds ("pre-tax" holds "tax");
    an abbreviation with stops holds its letters too ("K.O." holds "ko", as members type it)."""
    found = words(text)
    return {stem(w) for w in found} | {stem(part) for w in found if "-" in w for part in w.split("-") if part} | \
        {stem(w.replace(".", "")) for w in found if "." in w}


def words(text: str) -> list[str]:
    return [m.group(0).lower().replace("’", "'").removesuffix("'s").strip(".'-") for m in _WORD.finditer(text)]


def document_frequency(snap: object, word: str) -> int:
    return snap.memo(("df", word), lambda: snap.phrase_count(word))  # type: ignore[attr-defined]


def chunk_total(snap: object) -> int:
    return snap.memo("chunk_total", lambda: max(1, snap.chunk_count))  # type: ignore[attr-defined]


# A word the articles hold this rarely may still be a typo that one article shares
# ("comunications"), when the name it misspells is far more common.
_TYPO_SEEN = 2
_TYPO_RATIO = 25


def correct_word(snap: object, word: str, *, other: bool = False) -> str | None:
    """The name the articles use that ``word`` misspells, if one is close enough; with
    ``other`` (a word some article holds), a name one edit away, never ``word`` itself (a
    typo that an article shares is a name word too)."""
    if len(word) < 4 or not word.isalpha():
        return None
    counts = name_word_counts(snap)
    if not counts:
        return None
    allowed = 1 if len(word) <= 5 or other else 2
    best: tuple[tuple[int, bool, int], str] | None = None
    for candidate, _, _ in process.extract(word, counts.keys(), scorer=fuzz.ratio, score_cutoff=55, limit=25):
        distance = DamerauLevenshtein.distance(word, candidate)
        # A typo seldom changes the first letter: "opatia" is "Opetaia", not "spatial".
        key = (distance, candidate[:1] != word[:1], -counts[candidate])
        if distance == 2 and candidate[:1] != word[:1] and candidate[2:] != word[2:]:
            continue  # another start, and the rest not the same: "Xiaomi" is no "Miami" nor "Kiyomi"
        if (distance or not other) and distance <= allowed and (best is None or key < best[0]):
            best = (key, candidate)
    return best[1] if best else None


def is_name_word(snap: object, word: str) -> bool:
    """Whether the articles use ``word`` as (part of) a name more than as a plain word."""
    entry = name_vocabulary(snap).get(word)
    if entry is None:
        return name_word_counts(snap).get(word, 0) > 0 and document_frequency(snap, word) <= 3
    # Counted inside longer names too: "Activision" is mostly written "Activision Blizzard".
    named = max(entry[1], name_word_counts(snap).get(word, 0))
    return named >= _NAME_SHARE * max(1, document_frequency(snap, word))


def find_names(snap: object, tokens: list[str]) -> list[tuple[int, int, str]]:
    """Runs of question words that name something the articles name: (first, end, form)."""
    vocabulary = name_vocabulary(snap)
    runs = [name_key(" ".join(tokens[at:at + size])) for at in range(len(tokens)) for size in range(1, 6)
            if at + size <= len(tokens)]
    vocabulary.prefetch(runs + [key[:-1] for key in runs if key.endswith("s")])  # one query, not one a run
    found: list[tuple[int, int, str]] = []
    at = 0
    while at < len(tokens):
        for size in range(min(5, len(tokens) - at), 0, -1):
            key = name_key(" ".join(tokens[at:at + size]))
            if key not in vocabulary and key.endswith("s") and key[:-1] in vocabulary:
                key = key[:-1]  # "xiaomis first car": a possessive typed without its apostrophe
            if key in STOPWORDS or key in QUESTION_WORDS or key not in vocabulary:
                continue
            if " " not in key and not is_name_word(snap, key):
                continue  # one word, also when an article led it ("a year" is "year")
            found.append((at, at + size, vocabulary[key][0]))
            at += size
            break
        else:
            if (whole := name_it_ends(snap, tokens[at])) is not None:
                found.append((at, at + 1, whole))
            at += 1
    return found


# A first or last name alone stands for the one name the articles mostly write it in ("elon"
# is Elon Musk, "49ers" the San Francisco 49ers), when they write the word mostly in names and
# that name holds most of those uses.
_ENDS_SHARE = 0.75
_WRITTEN_IN_NAMES = 0.3
_ENDS_SEEN = 3


def name_it_ends(snap: object, word: str) -> str | None:
    """The name a lone word stands for as its first or last word, or None."""
    if len(word) < 3 or word.isdigit() or word in STOPWORDS or word in QUESTION_WORDS:
        return None
    top = most_used_name_with_end(snap, word)
    if top is None:
        return None
    key, articles, in_names = top
    # A word of letters and digits ("49ers") is no plain word, however seldom it is tagged.
    plain_word = word.isalpha() and in_names < _WRITTEN_IN_NAMES * document_frequency(snap, word)
    if articles < max(_ENDS_SEEN, _ENDS_SHARE * in_names) or plain_word:
        return None
    return name_vocabulary(snap).get(key, (key, 0))[0]


def term_weights(snap: object, tokens: list[str], in_names: set[int]) -> dict[str, float]:
    """Smoothed IDF per stem. Words of names count half again: a sentence about another
    company is not about this one. A word no article holds counts as a rare one, not as
    the rarest: it is as likely a paraphrase as a topic the articles lack."""
    total = chunk_total(snap)
    weights: dict[str, float] = {}
    for index, token in enumerate(tokens):
        if token in STOPWORDS or token in QUESTION_WORDS or len(token) < 2:
            continue
        df = max(1, document_frequency(snap, token))
        weight = 1.0 + math.log((total + 1) / (df + 1))
        if index in in_names:
            weight *= 1.25
        weights[stem(token)] = max(weights.get(stem(token), 0.0), weight)
    return weights


def _kept_by_a_neighbour(snap: object, tokens: list[str], index: int, better: str) -> bool:
    """The word at ``index`` and the one before or after it are a name the articles have, and
    with ``better`` in its place they are none ("shawn fain", not "shawn fan"; an article's
    "korvath comunications" is still Korvath Communications)."""
    vocabulary = name_vocabulary(snap)
    for at in (index - 1, index):
        if at >= 0 and at + 1 < len(tokens):
            pair = tokens[at:at + 2]
            fixed = [better if at + offset == index else word for offset, word in enumerate(pair)]
            if name_key(" ".join(pair)) in vocabulary and name_key(" ".join(fixed)) not in vocabulary:
                return True
    return False


def _unknown_name_pairs(snap: object, text: str, matches: list[re.Match[str]], tokens: list[str],
                        fixed: list[str], corrections: list[tuple[int, str, str]], missing: list[str]) -> None:
    """Two words side by side, each taken for a misspelt name, that together are no name the
    articles have: a name they lack ("coco gauff" is not "como" and "Gruff"). Their
    corrections are dropped, and the two words are a missing name. Both words of a name
    misspelt still correct ("janik siner" is Jannik Sinner)."""
    corrected = {index for index, _, _ in corrections}
    pairs = [index for index in sorted(corrected) if index + 1 in corrected
             and not text[matches[index].end():matches[index + 1].start()].strip()
             and name_key(f"{fixed[index]} {fixed[index + 1]}") not in name_vocabulary(snap)]
    for index in pairs:
        if index - 1 in pairs:
            continue  # three in a row: the first two are one name lacked, the third stands alone
        fixed[index:index + 2] = tokens[index:index + 2]
        corrections[:] = [c for c in corrections if c[0] not in (index, index + 1)]
        missing.append(text[matches[index].start():matches[index + 1].end()])


def read_focus(snap: object, text: str) -> Focus:
    """Corrections, names, names no article has, and term weights for a cleaned question."""
    matches = list(_WORD.finditer(text))
    tokens = words(text)
    corrections: list[tuple[str, str]] = []
    missing: list[str] = []
    fixed = list(tokens)
    for index, (match, token) in enumerate(zip(matches, tokens, strict=True)):
        if token in STOPWORDS or token in QUESTION_WORDS:
            continue
        seen = document_frequency(snap, token)
        if seen > _TYPO_SEEN:
            continue
        better = correct_word(snap, token, other=seen > 0)
        if seen and better and _kept_by_a_neighbour(snap, tokens, index, better):
            continue  # "shawn fain": a rare word of a name the articles have, not a typo of "fan"
        if seen and better and document_frequency(snap, better) < _TYPO_RATIO * seen:
            continue  # a rare word the articles use, not an article's own typo of a common name
        if better:
            corrections.append((index, match.group(0), name_vocabulary(snap).get(better, (better, 0))[0]))
            fixed[index] = better
        elif not seen and match.group(0)[:1].isupper() and index > 0 and token.replace("-", "").isalpha():
            # A capitalised word no article contains; its neighbour joins it ("Zephyrine Okonkwo").
            if missing and text[matches[index - 1].end():match.start()].strip() == "" and \
                    missing[-1].endswith(matches[index - 1].group(0)):
                missing[-1] = f"{missing[-1]} {match.group(0)}"
            else:
                missing.append(match.group(0))
    _unknown_name_pairs(snap, text, matches, tokens, fixed, corrections, missing)
    spans = find_names(snap, fixed)
    names = [form for _, _, form in spans]
    in_names = {i for first, end, _ in spans for i in range(first, end)}
    weights = term_weights(snap, fixed, in_names)
    corrected = text
    said: list[tuple[str, str]] = []
    for index, typed, form in corrections:
        corrected = re.sub(rf"(?<!\w){re.escape(typed)}(?!\w)", form, corrected, count=1)
        # "rogers comunications": the name the corrected word is part of, as the articles write it.
        whole = next((name for first, end, name in spans if first <= index < end), form)
        said.append((typed, whole))
    plain = frozenset(stem(words(name)[-1]) for name in names
                      if len(words(name)) > 1 and not is_name_word(snap, words(name)[-1]))
    return Focus(corrected, tuple(said), tuple(dict.fromkeys(names)), tuple(missing), weights, plain)
