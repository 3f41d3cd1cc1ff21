"""The Answerer: a question in, an :class:`Answer` out, quoted verbatim from the articles.

Usage::

    from bot.engine.answer import Answerer
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

from bot.engine.abstention import PATTERN_TYPES, check_abstention
from bot.engine.evidence import RankedSentence, rank_sentences
from bot.engine.focus import Focus, read_focus
from bot.engine.name_vote import vote_for_name
from bot.engine.question import Question, read_question
from bot.engine.short_answer import choose_short_answer
from bot.engine.verdict import EvidenceSentence, decide_by_order, decide_by_support, decide_verdict, order_between
from index.companies.entity_spans import entity_spans
from index.query import content_terms, term_overlap
from index.search import HybridSearcher, SearchResult, published_day
from index.store import ArticleRow, KnowledgeBase, Snapshot

NAME_TYPES = ("person", "organization", "product")


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
    answer_type: str | None = None      # what the question asks for: person, money, yes_no, ...
    interpreted_as: str | None = None   # the question as searched, when a misspelt name was corrected

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AnswerSettings:
    quotes: int = 3
    overlap_weight: float = 0.35
    min_quote_words: int = 6
    fragment_penalty: float = 0.1
    verdict_candidates: int = 8
    passage_name_weight: float = 0.25  # names in whole passages, against those in the best sentences
    claim_support: float = 0.62     # every claim of a multi-claim yes/no question needs a sentence this close
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
        read = read_question(question)
        with self.kb.reader() as snap:
            focus = read_focus(snap, read.text)
            result = self.searcher.search(snap, focus.text, k=top_k)
            picked = time.perf_counter()
            pool = self.candidate_sentences(snap, result)
            answer = self.compose(snap, read, focus, result, pool)
        answer.question = question
        timings = {**result.timings, "answer": time.perf_counter() - picked,
                   "total": time.perf_counter() - started}
        answer.timings_ms = {k: round(v * 1000, 2) for k, v in timings.items()}
        return answer

    def prepare(self, questions: list[str]) -> None:
        """Encodes what these questions will search for, before they are asked one by one
        (``ask --batch`` does it on a second thread, a group ahead): encoding is most of a
        question's time. Reads each question as ``ask`` does; a later ``ask`` of another question
        simply encodes its own. (``eval`` does not use it: it times questions as the bot asks them.)"""
        texts = []
        with self.kb.reader() as snap:
            for question in questions:
                focus = read_focus(snap, read_question(question).text)
                texts += self.searcher.query_texts(self.searcher.analyse(snap, focus.text), focus.text)
        self.kb.embedder.remember_queries(texts)

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

    def select_quotes(self, sentences: list[RankedSentence], articles: dict[str, ArticleRow]) -> list[Quote]:
        """The best sentences, in order. No share per article: when one article holds the
        answer, its next sentences beat a weaker article's best (a cap of two per article
        pushed the answering sentence out of the top three for one natural question in ten).
        A sentence two articles share word for word (a syndicated story) is quoted once."""
        chosen: dict[str, RankedSentence] = {}
        for sentence in sentences:
            if len(chosen) == self.settings.quotes:
                break
            chosen.setdefault(" ".join(sentence.text.split()), sentence)
        return [quote_of(articles[s.article_id], s.start, s.end) for s in chosen.values()]

    def decide_yes_no(self, question: Question, focus: Focus, result: SearchResult, pool: list[CandidateSentence],
                      ranked: list[RankedSentence]) -> tuple[str | None, list[RankedSentence]]:
        """The verdict and the sentences that decide it, in the order to show them."""
        by_key = {(r.article_id, r.start): r for r in ranked}
        ordered = self.decide_by_dates(question.text, result, pool, by_key)  # "before"/"after": dates, not stance
        if ordered:
            return ordered
        candidates = [r for r in ranked if not r.is_question][: self.settings.verdict_candidates]
        evidence = [EvidenceSentence(r.text, r.score, result.articles[r.article_id].title) for r in candidates]
        verdict = decide_verdict(focus.text, evidence, names=focus.names)
        if verdict.deciding is not None:
            sign = verdict.stances[verdict.deciding]
            lead = candidates[verdict.deciding]
            agreeing = [c for c, st in zip(candidates, verdict.stances, strict=True) if st == sign]
            return verdict.value, [lead] + [c for c in agreeing if c is not lead]
        # Several claims: each needs its own supporting sentence, from the outlet it names.
        segments = result.analysis.segments
        claims = [(seg.text, vec, set(seg.outlets)) for seg, vec in zip(segments, result.segment_vectors,
                                                                        strict=True)]
        if len(claims) < 2:
            return None, []  # one claim is the stance reader's: support alone cannot tell yes from no
        deciding = []
        for text, vector, outlets in claims:
            best = self.best_support(text, vector, pool, outlets, by_key)
            if best is None:
                return None, []
            deciding.append(best)
        value = decide_by_support(question.text, [score for score, _ in deciding], self.settings.claim_support)
        return (value, [r for _, r in deciding]) if value else (None, [])

    def decide_by_dates(self, question: str, result: SearchResult, pool: list[CandidateSentence],
                        by_key: dict[tuple[str, int], RankedSentence]) -> tuple[str, list[RankedSentence]] | None:
        """"Did A report it before B?": when each source has a sentence close to the question,
        their articles' publication dates decide, and the two are shown in the question's order."""
        first_mentions = {m.outlets: m for m in reversed(result.analysis.outlets)}  # the first mention of each
        mentions = sorted(first_mentions.values(), key=lambda m: m.start)
        if len(mentions) != 2:
            return None
        relation = order_between(question, mentions[0].end, mentions[1].start)
        if not relation:
            return None
        reports = [self.best_support(question, result.query_vector, pool, set(m.outlets), by_key) for m in mentions]
        if any(r is None or r[0] < self.settings.order_support for r in reports):
            return None
        days = [published_day(result.articles[r[1].article_id].published_at) for r in reports if r]
        value = decide_by_order(relation, *days)
        return (value, [r[1] for r in reports if r]) if value else None

    def best_support(self, claim: str, vector: np.ndarray, pool: list[CandidateSentence], outlets: set[str],
                     by_key: dict[tuple[str, int], RankedSentence]) -> tuple[float, RankedSentence] | None:
        """The pool's sentence that supports a claim best, from the given outlets (any when
        empty), with its support; None when those outlets have no sentence."""
        scored = [(self.support(claim, vector, s), s) for s in pool
                  if not outlets or any(o.strip() in outlets for o in s.source.split(","))]
        if not scored:
            return None
        score, best = max(scored, key=lambda pair: pair[0])
        return score, by_key[(best.article_id, best.start)]

    def vote_across_sources(self, question: Question, result: SearchResult,
                            ranked: list[RankedSentence]) -> tuple[str | None, list[RankedSentence]]:
        """A question that names its sources: the name their evidence shares. Names in the
        sentences closest to the question count most; whole passages add the repetition
        across sources that such questions rely on."""
        top = [r for r in ranked if not r.is_question][: self.settings.verdict_candidates]
        evidence = [(r.article_id, r.text, 1.0 / (rank + 1)) for rank, r in enumerate(top)]
        evidence += [(p.article_id, p.text, self.settings.passage_name_weight / (rank + 1))
                     for rank, p in enumerate(result.passages)]
        name = vote_for_name(question.text, evidence, result.analysis.names,
                             bodies=[a.body for a in result.articles.values()])
        if not name:
            return None, []
        return name, [r for r in ranked if name in r.text][:1]

    def compose(self, snap: Snapshot, question: Question, focus: Focus, result: SearchResult,
                pool: list[CandidateSentence]) -> Answer:
        passages = [PassageRef(p.article_id, p.text, p.start, p.end, p.score) for p in result.passages]
        entities = entity_spans(snap, list(result.articles))
        ranked = rank_sentences(question, focus, result, pool, entities)
        interpreted = focus.text if focus.corrections else None
        base = {"answer_type": question.answer_type, "interpreted_as": interpreted, "passages": passages}
        # Only a question of a pattern type (an amount, a count, a date) reads which articles name all its names.
        naming_all = None
        if question.answer_type in PATTERN_TYPES:
            naming_all = {aid for aid, art in result.articles.items()
                          if focus.says_every_name(f"{art.title}\n{art.body}")}
        reason = check_abstention(question, focus, ranked, snap.outlets(), names_sources=bool(result.analysis.segments),
                                  naming_all=naming_all)
        if reason:
            return Answer(question.text, reason, abstained=True, **base)
        first: list[RankedSentence] = []
        verdict = short = None
        if question.is_yes_no:
            verdict, first = self.decide_yes_no(question, focus, result, pool, ranked)
        else:
            bodies = {a: row.body for a, row in result.articles.items()}
            if result.analysis.segments and question.answer_type in NAME_TYPES:
                # A question that names its sources is answered by the name they share.
                short, first = self.vote_across_sources(question, result, ranked)
            else:
                years = {a: day.year for a, row in result.articles.items() if (day := published_day(row.published_at))}
                pick = choose_short_answer(question, focus, ranked, bodies, snap.outlets(), years=years)
                if pick:
                    short, first = pick.text, [pick.sentence]
        if not first:
            first = [r for r in ranked if not r.is_question][:1]
        keys = {(s.article_id, s.start) for s in first}
        ordered = first + [s for s in ranked if (s.article_id, s.start) not in keys]
        quotes = self.select_quotes(ordered, result.articles)
        lead = lead_text(quotes[0], verdict, short)
        if focus.corrections:
            taken = dict.fromkeys(form for _, form in focus.corrections)  # two typos in one name: said once
            lead = "Showing results for " + ", ".join(f"“{form}”" for form in taken) + ". " + lead
        return Answer(question.text, lead, short_answer=short, verdict=verdict, quotes=quotes, **base)


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

