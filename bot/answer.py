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

from bot.abstention import check_abstention
from bot.short_answer import short_answer
from bot.verdict import (
    EvidenceSentence,
    decide_by_order,
    decide_by_support,
    decide_verdict,
    is_yes_no,
    order_between,
)
from index.query import content_terms, term_overlap
from index.search import HybridSearcher, SearchResult, published_day
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
    passage_name_weight: float = 0.25  # names in whole passages, against those in the best sentences
    claim_support: float = 0.62     # every claim of a yes/no question needs a sentence this close
    order_support: float = 0.5      # ... or this close, when the two sources' dates decide it


@dataclass(frozen=True)
class CandidateSentence:
    """A sentence of a retrieved passage, with its stored vector: the pool quotes come from."""

    article_id: str
    start: int
    end: int
    text: str
    vector: np.ndarray
    source: str


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
            pool = self.candidate_sentences(snap, result)
            answer = self.compose(snap, question, result, pool)
        timings = {**result.timings, "answer": time.perf_counter() - picked,
                   "total": time.perf_counter() - started}
        answer.timings_ms = {k: round(v * 1000, 2) for k, v in timings.items()}
        return answer

    def candidate_sentences(self, snap: Snapshot, result: SearchResult) -> list[CandidateSentence]:
        """Every sentence of the retrieved passages, once, in passage order."""
        pool: dict[tuple[str, int], CandidateSentence] = {}
        for passage in result.passages:
            article = result.articles[passage.article_id]
            for sentence in passage.sentences:
                key = (passage.article_id, sentence.start)
                if key not in pool:
                    pool[key] = CandidateSentence(passage.article_id, sentence.start, sentence.end,
                                                  article.body[sentence.start:sentence.end], sentence.vector,
                                                  article.source)
        return list(pool.values())

    def support(self, claim: str, vector: np.ndarray, sentence: CandidateSentence) -> float:
        """How closely a sentence matches a claim: the stored sentence vector against the
        claim's, plus the share of the claim's words it contains."""
        score = float(np.dot(sentence.vector, vector)) + self.settings.overlap_weight * term_overlap(
            content_terms(claim), sentence.text)
        if len(sentence.text.split()) < self.settings.min_quote_words:
            score -= self.settings.fragment_penalty  # headings and captions quote poorly
        return score

    def score_sentences(self, question: str, result: SearchResult,
                        pool: list[CandidateSentence]) -> list[ScoredSentence]:
        """The pool's sentences from the best passages, ranked against the whole question."""
        best_articles = {p.article_id for p in result.passages[: self.settings.passages_for_quotes]}
        best_spans = [(p.article_id, p.start, p.end) for p in result.passages[: self.settings.passages_for_quotes]]
        scored = []
        for sentence in pool:
            if sentence.article_id not in best_articles or not any(
                    a == sentence.article_id and s <= sentence.start and sentence.end <= e for a, s, e in best_spans):
                continue
            similarity = float(np.dot(sentence.vector, result.query_vector))
            overlap = term_overlap(content_terms(question), sentence.text)
            scored.append(ScoredSentence(sentence.article_id, sentence.start, sentence.end,
                                         self.support(question, result.query_vector, sentence), similarity, overlap))
        return sorted(scored, key=lambda s: -s.score)

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

    def decide_yes_no(self, question: str, result: SearchResult, pool: list[CandidateSentence],
                      sentences: list[ScoredSentence]) -> tuple[str | None, list[ScoredSentence]]:
        """The verdict and the sentences that decide it, in the order to show them."""
        ordered = self.decide_by_dates(question, result, pool)  # "before"/"after" is about dates, not stance
        if ordered:
            return ordered
        candidates = sentences[: self.settings.verdict_candidates]
        texts = [self.kb_text(result, s) for s in candidates]
        verdict = decide_verdict(question, [EvidenceSentence(t, s.score) for t, s in zip(texts, candidates,
                                                                                          strict=True)])
        if verdict.deciding is not None:
            sign = verdict.stances[verdict.deciding]
            lead = candidates[verdict.deciding]
            agreeing = [c for c, st in zip(candidates, verdict.stances, strict=True) if st == sign]
            return verdict.value, [lead] + [c for c in agreeing if c is not lead]
        if not is_yes_no(question):
            return None, []
        # Several claims: each needs its own supporting sentence, from the outlet it names.
        segments = result.analysis.segments
        claims = [(seg.text, vec, set(seg.outlets)) for seg, vec in zip(segments, result.segment_vectors,
                                                                        strict=True)]
        claims = claims or [(question, result.query_vector, set())]
        deciding = []
        for text, vector, outlets in claims:
            best = self.best_support(text, vector, pool, outlets)
            if best is None:
                return None, []
            deciding.append(best)
        value = decide_by_support(question, [s.score for s in deciding], self.settings.claim_support)
        return (value, deciding) if value else (None, [])

    def decide_by_dates(self, question: str, result: SearchResult,
                         pool: list[CandidateSentence]) -> tuple[str, list[ScoredSentence]] | None:
        """"Did A report it before B?": when each source has a sentence close to the question,
        their articles' publication dates decide, and the two are shown in the question's order."""
        first_mentions = {m.outlets: m for m in reversed(result.analysis.outlets)}  # the first mention of each
        mentions = sorted(first_mentions.values(), key=lambda m: m.start)
        if len(mentions) != 2:
            return None
        relation = order_between(question, mentions[0].end, mentions[1].start)
        if not relation:
            return None
        reports = [self.best_support(question, result.query_vector, pool, set(m.outlets)) for m in mentions]
        if any(r is None or r.score < self.settings.order_support for r in reports):
            return None
        days = [published_day(result.articles[r.article_id].published_at) for r in reports]
        value = decide_by_order(relation, *days)
        return (value, reports) if value else None

    def best_support(self, claim: str, vector: np.ndarray, pool: list[CandidateSentence],
                     outlets: set[str]) -> ScoredSentence | None:
        """The pool's sentence that supports a claim best, from the given outlets (any when
        empty), with its support as the score; None when those outlets have no sentence."""
        scored = [(self.support(claim, vector, s), s) for s in pool
                  if not outlets or any(o.strip() in outlets for o in s.source.split(","))]
        if not scored:
            return None
        score, best = max(scored, key=lambda pair: pair[0])
        return ScoredSentence(best.article_id, best.start, best.end, score, 0.0, 0.0)

    @staticmethod
    def kb_text(result: SearchResult, sentence: ScoredSentence) -> str:
        return result.articles[sentence.article_id].body[sentence.start:sentence.end]

    def compose(self, snap: Snapshot, question: str, result: SearchResult, pool: list[CandidateSentence]) -> Answer:
        passages = [PassageRef(p.article_id, p.text, p.start, p.end, p.score) for p in result.passages]
        sentences = self.score_sentences(question, result, pool)
        texts = [self.kb_text(result, s) for s in sentences[: self.settings.verdict_candidates]]
        best = sentences[0].score if sentences else 0.0
        reason = check_abstention(question, result.analysis, snap, texts, best, self.settings.min_evidence)
        if reason:
            return Answer(question, reason, abstained=True, passages=passages)

        verdict, first = self.decide_yes_no(question, result, pool, sentences)
        short = None
        if verdict is None:
            # Names in the sentences closest to the question count most; whole passages add
            # the repetition that multi-source questions rely on.
            evidence = [(s.article_id, self.kb_text(result, s), 1.0 / (rank + 1))
                        for rank, s in enumerate(sentences[: self.settings.verdict_candidates])]
            evidence += [(p.article_id, p.text, self.settings.passage_name_weight / (rank + 1))
                         for rank, p in enumerate(result.passages)]
            short = short_answer(question, evidence, result.analysis.names)
            if short:
                first = [s for s in sentences if short in self.kb_text(result, s)][:1]
        keys = {(s.article_id, s.start) for s in first}
        ordered = first + [s for s in sentences if (s.article_id, s.start) not in keys]
        quotes = self.select_quotes(ordered, result.articles)
        return Answer(question, lead_text(quotes[0], verdict, short), short_answer=short,
                      verdict=verdict, quotes=quotes, passages=passages)


def quote_of(article: ArticleRow, start: int, end: int) -> Quote:
    return Quote(article.id, article.title, article.source, article.url, article.published_at,
                 article.body[start:end], start, end)


def lead_text(first: Quote, verdict: str | None, short: str | None) -> str:
    """One plain sentence: the direct answer, and where the first quote comes from."""
    where = f"“{first.title}”" + (f" ({first.source})" if first.source else "")
    if verdict:
        return f"{verdict.capitalize()}, according to {where}."
    if short:
        return f"{short}, according to {where}."
    return f"According to {where}:"

