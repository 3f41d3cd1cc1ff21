"""Evidence ranking: the sentences of the retrieved passages, best answer first.

Usage::

    from bot.engine.evidence import rank_sentences
    ranked = rank_sentences(question, focus, result, pool, entities)
    ranked[0].text        # the sentence that answers, e.g. "A spokesperson for Hyundai rejected ..."

A sentence answers well when it is close to the question in MiniLM's space (trained on
question–answer pairs), holds the question's rarer words (by stem, IDF-weighted, so
"dropped" meets "drop" and a name counts more than "plant"), and holds a span of the type
asked for. A sentence that is itself a question never leads. Passage rank adds a little,
because the retriever saw the context around the sentence.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.engine.focus import Focus, held_stems
from bot.engine.lexicon import related_stems, says_predicate
from bot.engine.question import Question, is_role
from bot.engine.spans import ArticleNames, TypedSpan, article_names, spans_of, typed_spans
from index.companies.entity_spans import EntitySpan
from index.search import SearchResult
from index.text import stem


@dataclass(frozen=True)
class EvidenceWeights:
    coverage: float = 0.6       # the focus terms a sentence holds, against its cosine to the question
    typed: float = 0.15         # holds a span of the asked-for type that the question does not name
    predicate: float = 0.1      # says the act or role asked about ("founded", "ceo")
    typed_by_act: float = 0.1   # ... with the typed span beside it ("CEO Tony Staffieri", "paid $1.3 billion")
    act_window: int = 25        # characters either side of the span
    passage: float = 0.1        # from a higher-ranked passage
    question_penalty: float = 0.5
    fragment_penalty: float = 0.1
    min_words: int = 6


@dataclass(frozen=True)
class RankedSentence:
    article_id: str
    start: int
    end: int
    text: str
    score: float
    similarity: float
    coverage: float
    spans: tuple[TypedSpan, ...]      # the typed spans it holds (every type)
    passage_rank: int
    vector: np.ndarray
    states_act: bool = True           # says the act or role asked about (always, when none is asked)
    names_asked: bool = True          # it or its article's title names a name of the question

    @property
    def is_question(self) -> bool:
        return is_question(self.text)


def is_question(text: str) -> bool:
    """A sentence that asks rather than states ("When will the X be available?")."""
    return text.rstrip(" \"'”’)").endswith("?")


_TITLE_WORDS = frozenset("and & co-founder cofounder founder chair chairman president".split())


def beside_act(body: str, start: int, end: int, span: TypedSpan, predicate: str, window: int) -> bool:
    """The span stands in the act or role asked about: an act within ``window`` characters
    ("paid $1.3 billion"); a role as its title ("CEO Lena Voss", "Chief Executive Officer
    Lena Voss") or in apposition ("Lena Voss, the CEO"), not merely in the same clause
    ("Ines Harrow had opposed the CEO change")."""
    if not is_role(predicate):
        return says_predicate(body[max(start, span.start - window):min(end, span.end + window)], predicate)
    title = re.findall(r"[\w'’-]+", body[max(start, span.start - window):span.start])[-3:]
    if _REPORTER.match(body, span.end) and re.search(r",\s*$", body[max(start, span.start - 3):span.start]):
        return False  # "... will be the new CEO, Zhao shared": the one who said it, not its title holder
    # The role's own words, then titles or "and co-founder" up to the name.
    if any(says_predicate(word, predicate) and all(w[:1].isupper() or w.lower() in _TITLE_WORDS for w in title[i + 1:])
           for i, word in enumerate(title)):
        return True
    apposition = re.match(r",\s+(?:the\s+|its\s+|a\s+)?([\w'’-]+(?:\s+[\w'’-]+){0,2})", body[span.end:end])
    return apposition is not None and says_predicate(apposition.group(1), predicate)


# A reporting verb right after a name: the name is who says the clause before it.
_REPORTER = re.compile(r"\s+(?:said|says|shared|told|wrote|added|posted|explained|noted|stated|confirmed|announced)\b")
# Words that are part of a title before its role word ("head coach", "vice president").
_TITLE_MODIFIERS = frozenset("head assistant associate senior deputy vice general managing executive chief co".split())
# Words that may stand before a title without owning it ("the CEO", "former CEO").
_NOT_AN_OWNER = frozenset("the a an its their his her our former then new interim acting current ex and".split())


def role_word_before(body: str, start: int, span: TypedSpan,
                      predicate: str) -> tuple[str, list[re.Match[str]], int | None]:
    """The words before the span (within its sentence, from ``start``) and the index of the
    last of them, among the three nearest, that says the role asked about (None if none)."""
    segment = body[max(start, span.start - 60):span.start]
    words = list(re.finditer(r"[\w'’&-]+", segment))
    at = next((i for i in range(len(words) - 1, max(-1, len(words) - 4), -1)
               if says_predicate(words[i].group(0), predicate)), None)
    return segment, words, at


def titled_elsewhere(body: str, start: int, span: TypedSpan, predicate: str, names: Sequence[str]) -> bool:
    """The role asked about is the span's title at another organisation: "Quora CEO Adam
    D'Angelo", asked who runs OpenAI. The capitalised words just before the title own it
    ("and" joins owners: "Tesla and SpaceX CEO Elon Musk"). A person's title may say an act
    asked about too: "who runs OpenAI" is not answered by Quora's CEO either."""
    if not names or "person" not in span.kinds:
        return False
    asked = {w.lower() for name in names for w in re.findall(r"[\w&-]+", name.replace("’", "'"))}
    segment, words, at = role_word_before(body, start, span, predicate)
    if at is None or any(not (w.group(0)[:1].isupper() or w.group(0).lower() in _TITLE_WORDS)
                         for w in words[at + 1:]):
        return False  # no title of the asked role right before the name
    while at > 0 and (says_predicate(words[at - 1].group(0), predicate) or
                      words[at - 1].group(0).lower() in _TITLE_MODIFIERS):
        at -= 1  # "Chief Executive Officer", "head coach": the title's first word
    owners: list[list[str]] = [[]]  # capitalised runs, "and" between them
    for i in range(at - 1, -1, -1):
        if segment[words[i].end():words[i + 1].start()].strip():
            break  # punctuation between: "...; Quora CEO" is owned by Quora, "...1990s. CEO X" by no one
        word = words[i].group(0).replace("’", "'").removesuffix("'s")
        if word.lower() in ("and", "&") and owners[-1]:
            owners.append([])
            continue
        if not word[:1].isupper() or word.lower() in _NOT_AN_OWNER:
            break
        owners[-1].append(word.lower())
    owners = [run for run in owners if run]
    # "Warner Music Group CEO", asked about Capitol Music Group: the whole run must be asked.
    return bool(owners) and not any(all(w in asked for w in run) for run in owners)


_FORMER = re.compile(r"\b(?:former|ex|then|previous|past|outgoing|ousted|late)\b[\s-]+(?:[\w'’&-]+\s+){0,3}$",
                     re.IGNORECASE)


def formerly_titled(body: str, start: int, span: TypedSpan, predicate: str) -> bool:
    """The span held the role asked about once: "former CEO Joe Natale", "then-CEO Natale"."""
    segment, words, at = role_word_before(body, start, span, predicate)
    return at is not None and _FORMER.search(segment[:words[at].start()]) is not None


_PLAYING = related_stems(stem("play"))[0]
_PART = r"((?:[A-Z][\w'’.-]*\s+){0,3}[A-Z][\w'’.-]*)"


def asks_casting(predicate: str | None) -> bool:
    return bool(predicate) and bool(related_stems(stem(predicate))[0] & _PLAYING)


def cast_part(body: str, span: TypedSpan) -> str | None:
    """The part a person is cast in, as news writes it: "Owen Teale unleashes the darkness
    as Ser Alliser Thorne", "Prince Charles (Dominic West)", "Diana (played by Elizabeth
    Debicki)"; None when the sentence casts them in none."""
    before = re.search(_PART + r"\s+\((?:played\s+by\s+|as\s+)?$", body[max(0, span.start - 60):span.start])
    if before:
        return before.group(1).rstrip(".")
    after = re.match(r"(?:\s+[\w'’-]+){0,4}?\s+as\s+(?:the\s+)?" + _PART, body[span.end:span.end + 80])
    return after.group(1).rstrip(".") if after else None


def plays_asked_part(part: str | None, names: Sequence[str]) -> bool:
    return part is not None and any(n.lower() in part.lower() or part.lower() in n.lower() for n in names)


# How many of the best sentences get their typed spans: more than any reader of spans looks
# at (short answers and abstention take the top three that are not questions). Spans add at
# most a bonus to a score, so a sentence whose score before them, plus that bonus, is below
# the sixteenth best cannot move into the top sixteen; typing only what can saves most of
# the pattern work (about 80 sentences a question).
TYPED_DEPTH = 16


def rank_sentences(question: Question, focus: Focus, result: SearchResult, pool: Sequence[object],
                   entities: Mapping[str, list[EntitySpan]],
                   weights: EvidenceWeights | None = None) -> list[RankedSentence]:
    """Every pool sentence scored against the question, best first. Sentences below the
    best :data:`TYPED_DEPTH` may come without their typed spans."""
    w = weights or EvidenceWeights()
    unspanned = sorted(_scored_without_spans(question, focus, result, pool, w), key=lambda s: -s.score)
    casting = asks_casting(question.predicate)
    bonus = (w.typed + w.typed_by_act if question.wants_span else 0.0) + (w.predicate if casting else 0.0)
    typer = _SpanTyper(question, focus, result, entities, w)
    typed: list[RankedSentence] = []
    best: list[float] = []  # the best TYPED_DEPTH typed scores, a min-heap: best[0] is the lowest of them
    for at, sentence in enumerate(unspanned):
        if len(best) == TYPED_DEPTH and sentence.score + bonus < best[0]:
            return sorted(typed, key=lambda s: -s.score) + unspanned[at:]
        typed.append(typer.with_spans(sentence))
        if len(best) < TYPED_DEPTH:
            heapq.heappush(best, typed[-1].score)
        else:
            heapq.heappushpop(best, typed[-1].score)
    return sorted(typed, key=lambda s: -s.score)


# "3,00,000 units a year": a count of whatever is made or sold, said without its name.
_COUNT_OF_UNITS = re.compile(r"\d[\d,.]*\s*(?:(?:thousand|million|billion|k|m)\s+)?units\b", re.IGNORECASE)


def _scored_without_spans(question: Question, focus: Focus, result: SearchResult, pool: Sequence[object],
                          w: EvidenceWeights) -> list[RankedSentence]:
    """Each sentence's score from its vector, the question's words, its passage and its form."""
    rank_of = {}
    for rank, passage in enumerate(result.passages):
        for sentence in passage.sentences:
            rank_of.setdefault((passage.article_id, sentence.start), rank)
    total = max(1, len(result.passages))
    title_stems: dict[str, set[str]] = {}
    lowered_bodies: dict[str, str] = {}
    scored = []
    for sentence in pool:
        article = result.articles[sentence.article_id]
        similarity = float(np.dot(sentence.vector, result.query_vector))
        # The title says what "the company" of a sentence is; it counts a little less.
        if sentence.article_id not in title_stems:
            title_stems[sentence.article_id] = held_stems(article.title)
            lowered_bodies[sentence.article_id] = article.body.lower()
        in_sentence = held_stems(sentence.text)
        coverage = max(focus.coverage_of(in_sentence),
                       0.85 * focus.coverage_of(in_sentence | title_stems[sentence.article_id]))
        rank = rank_of.get((sentence.article_id, sentence.start), total)
        score = similarity + w.coverage * coverage + w.passage * (1 - rank / total)
        states_act = says_predicate(sentence.text, question.predicate) or \
            (question.answer_type == "number" and _COUNT_OF_UNITS.search(sentence.text) is not None)
        if question.predicate and states_act:
            score += w.predicate
        if len(sentence.text.split()) < w.min_words:
            score -= w.fragment_penalty  # headings and captions quote poorly
        if is_question(sentence.text):
            score -= w.question_penalty
        scored.append(RankedSentence(sentence.article_id, sentence.start, sentence.end, sentence.text, score,
                                     similarity, coverage, (), rank, sentence.vector, states_act,
                                     focus.names_any(in_sentence | title_stems[sentence.article_id],
                                                     lowered_bodies[sentence.article_id])))
    return scored


class _SpanTyper:
    """Adds a sentence's typed spans, and what they add to its score: a span of the type
    asked for, beside the act asked about, or cast in the part asked about."""

    def __init__(self, question: Question, focus: Focus, result: SearchResult,
                 entities: Mapping[str, list[EntitySpan]], w: EvidenceWeights) -> None:
        self.question, self.focus, self.result, self.entities, self.w = question, focus, result, entities, w
        self.wanted = (question.answer_type, *question.also) if question.wants_span else ()
        self.names_of: dict[str, ArticleNames] = {}

    def with_spans(self, sentence: RankedSentence) -> RankedSentence:
        question, focus, w = self.question, self.focus, self.w
        body = self.result.articles[sentence.article_id].body
        stored = self.entities.get(sentence.article_id, ())
        if sentence.article_id not in self.names_of:  # once per article, not once per sentence
            self.names_of[sentence.article_id] = article_names(body, stored)
        # Only the entities that start inside the sentence, found by bisection (entity_spans
        # gives them in body order), not by a scan.
        inside = stored[bisect_left(stored, sentence.start, key=lambda e: e.start):
                        bisect_left(stored, sentence.end, key=lambda e: e.start)]
        spans = tuple(typed_spans(body, sentence.start, sentence.end, inside, self.names_of[sentence.article_id]))
        score = sentence.score
        answers = [t for t in spans_of(spans, self.wanted) if not focus.asks_about(body[t.start:t.end])] \
            if self.wanted else []
        if answers:
            score += w.typed
            if question.predicate and any(beside_act(body, sentence.start, sentence.end, t, question.predicate,
                                                     w.act_window) for t in answers):
                score += w.typed_by_act
        states_act = sentence.states_act
        if not states_act and asks_casting(question.predicate) and any(
                plays_asked_part(cast_part(body, t), focus.names) for t in spans_of(spans, ("person",))):
            states_act = True
            score += w.predicate
        return replace(sentence, spans=spans, score=score, states_act=states_act)
