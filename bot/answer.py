"""The Answerer: a question in, an :class:`Answer` out, quoted verbatim from the articles.

Usage::

    from bot.answer import Answerer
    answerer = Answerer(kb)
    answer = answerer.ask("Did Hyundai confirm the plant deal?")
    answer.verdict, answer.quotes[0].text      # "no", "A spokesperson for Hyundai rejected ..."

It knows nothing of Discord or terminals: the CLI prints ``answer.to_dict()`` and the
Discord layer renders the same record.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field

import numpy as np

from bot.verdict import EvidenceSentence, decide_verdict
from index.search import HybridSearcher, SearchResult, content_terms
from index.store import ArticleRow, KnowledgeBase, Snapshot

ABSTAIN_TEXT = "The indexed articles don't say."


@dataclass(frozen=True)
class Quote:
    article_id: str
    title: str
    source: str
    url: str | None
    published_at: str | None
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class PassageRef:
    article_id: str
    text: str
    start: int
    end: int
    score: float


@dataclass
class Answer:
    question: str
    answer: str
    short_answer: str | None = None
    verdict: str | None = None  # "yes", "no" or None
    abstained: bool = False
    quotes: list[Quote] = field(default_factory=list)
    passages: list[PassageRef] = field(default_factory=list)
    answer_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ScoredSentence:
    article_id: str
    start: int
    end: int
    score: float
    similarity: float
    overlap: float


@dataclass(frozen=True)
class AnswerSettings:
    quotes: int = 3
    quotes_per_article: int = 2
    passages_for_quotes: int = 5
    overlap_weight: float = 0.35
    min_evidence: float = 0.42
    verdict_candidates: int = 8
    min_quote_words: int = 6
    fragment_penalty: float = 0.1


def term_overlap(question_terms: list[str], text: str) -> float:
    """Share of the question's content terms found in ``text``, matching on a 5-letter stem
    so "confirmed" meets "confirm" and "rejected" meets "rejects"."""
    if not question_terms:
        return 0.0
    stems = {t[:5] for t in content_terms(text)}
    return sum(1 for t in question_terms if t[:5] in stems) / len(question_terms)


class Answerer:
    def __init__(self, kb: KnowledgeBase, searcher: HybridSearcher | None = None,
                 settings: AnswerSettings | None = None) -> None:
        self.kb = kb
        self.searcher = searcher or HybridSearcher(kb)
        self.settings = settings or AnswerSettings()

    def ask(self, question: str, *, top_k: int = 10) -> Answer:
        started = time.perf_counter()
        with self.kb.reader() as snap:
            result = self.searcher.search(snap, question, k=top_k)
            picked = time.perf_counter()
            sentences = self.score_sentences(snap, question, result)
            answer = self.compose(question, result, sentences)
        timings = {**result.timings, "quotes": time.perf_counter() - picked,
                   "total": time.perf_counter() - started}
        answer.timings_ms = {k: round(v * 1000, 2) for k, v in timings.items()}
        return answer

    def score_sentences(self, snap: Snapshot, question: str, result: SearchResult) -> list[ScoredSentence]:
        """Sentences of the best passages, scored against the question with the sentence
        vectors stored at index time (no model call here)."""
        terms = content_terms(question)
        query = result.query_vector
        scored: dict[tuple[str, int], ScoredSentence] = {}
        for passage in result.passages[: self.settings.passages_for_quotes]:
            body = result.articles[passage.article_id].body
            for sentence in snap.sentences(passage.article_id, passage.start, passage.end):
                key = (passage.article_id, sentence.start)
                if key in scored:
                    continue
                text = body[sentence.start:sentence.end]
                similarity = float(np.dot(sentence.vector, query))
                overlap = term_overlap(terms, text)
                score = similarity + self.settings.overlap_weight * overlap
                if len(text.split()) < self.settings.min_quote_words:
                    score -= self.settings.fragment_penalty  # headings and captions quote poorly
                scored[key] = ScoredSentence(passage.article_id, sentence.start, sentence.end, score,
                                             similarity, overlap)
        return sorted(scored.values(), key=lambda s: -s.score)

    def select_quotes(self, sentences: list[ScoredSentence], articles: dict[str, ArticleRow]) -> list[Quote]:
        """The best sentences, at most ``quotes_per_article`` from one article while other
        articles have candidates left; then the remaining slots go to the best left over."""
        chosen: list[ScoredSentence] = []
        per_article: dict[str, int] = {}
        for sentence in sentences:
            if len(chosen) < self.settings.quotes and \
                    per_article.get(sentence.article_id, 0) < self.settings.quotes_per_article:
                chosen.append(sentence)
                per_article[sentence.article_id] = per_article.get(sentence.article_id, 0) + 1
        for sentence in sentences:
            if len(chosen) < self.settings.quotes and sentence not in chosen:
                chosen.append(sentence)
        return [quote_of(articles[s.article_id], s.start, s.end) for s in chosen]

    def compose(self, question: str, result: SearchResult, sentences: list[ScoredSentence]) -> Answer:
        passages = [PassageRef(p.article_id, p.text, p.start, p.end, round(p.score, 6)) for p in result.passages]
        best = sentences[0].score if sentences else 0.0
        if best < self.settings.min_evidence:
            return Answer(question, ABSTAIN_TEXT, abstained=True, passages=passages)
        candidates = sentences[: self.settings.verdict_candidates]
        verdict = decide_verdict(question, [
            EvidenceSentence(result.articles[s.article_id].body[s.start:s.end], s.score) for s in candidates
        ])
        if verdict.deciding is not None:
            # The deciding sentence first, then the others that agree with it, then the rest.
            sign = verdict.stances[verdict.deciding]
            agreeing = [c for c, st in zip(candidates, verdict.stances, strict=True) if st == sign]
            agreeing.sort(key=lambda c: c is not candidates[verdict.deciding])
            sentences = agreeing + [s for s in sentences if s not in agreeing]
        quotes = self.select_quotes(sentences, result.articles)
        return Answer(question, lead_text(quotes), verdict=verdict.value, quotes=quotes, passages=passages)


def quote_of(article: ArticleRow, start: int, end: int) -> Quote:
    return Quote(article.id, article.title, article.source, article.url, article.published_at,
                 article.body[start:end], start, end)


def lead_text(quotes: list[Quote]) -> str:
    first = quotes[0]
    return f"From “{first.title}”" + (f" ({first.source})" if first.source else "") + ":"

