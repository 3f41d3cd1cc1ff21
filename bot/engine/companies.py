"""Company summaries built from quotes: the records shared by the CLI and Discord.

Usage::

    from bot.engine.companies import list_companies, summarize_company
    for company in list_companies(kb): print(company.name, company.aliases)
    summary = summarize_company(kb, "hyundai")
    summary.facts[0].text          # a verbatim sentence, with offsets into its article

Every quote obeys the same rule as answers: ``body[start:end] == text``.

How a summary is built (all from rows :mod:`index.companies` wrote at ingest; no NLP
runs here, so a summary takes tens of milliseconds):

- **name**: the normalised key, then any name or alias (case-insensitive), then a
  rapidfuzz match close enough to be a typo; otherwise "No article mentions X." with
  "did you mean" suggestions. Outlets get their own message.
- **who**: the description of the company the most articles use ("Chinese electronics
  manufacturer Xiaomi", "Google, the search giant", "FTX was a ... exchange ...").
- **facts**: sentences that refer to the company, by name or as "the company" right after
  it is named, scored for salience (named and the subject, early in the article, in an
  article about the company, a whole sentence, figures; minus captions, deal lists and
  sentences leaning on the previous one; plus closeness to the centroid of everything said
  about it), then picked by maximal marginal relevance over the stored sentence vectors:
  near-duplicates (one wire story in two outlets, a bullet and the sentence it sums up)
  collapse, at most two or three facts per article and three per outlet when there are
  more. Shown grouped by article, newest first, in reading order within each.
- **related**: companies referred to in the same sentences, ranked by how strongly and in
  how many articles they are linked, each with its best linking sentence (relation words
  such as "joining forces" between the two names, early, whole).
- **timeline**: one sentence from each of the articles most about the company, oldest
  first; **sources**: the articles quoted, newest first.
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from bot.engine.answer import Quote, quote_of
from index.companies import (
    BOILER,
    NUMERIC,
    QUESTION,
    TEMPORAL,
    TERMINAL,
    ArticleFocus,
    CompanyDirectory,
    CompanyEntry,
    SentenceRef,
    WhoRef,
    article_focus,
    company_directory,
    company_key,
    relation_refs,
    sentence_refs,
    who_refs,
)
from index.store import ArticleRow, KnowledgeBase, Snapshot


@dataclass(frozen=True)
class CompanyListing:
    key: str
    name: str
    aliases: list[str]
    mentions: int
    articles: int
    last_seen: str | None


@dataclass(frozen=True)
class RelatedCompany:
    name: str
    quote: Quote          # the sentence that links the two companies


@dataclass(frozen=True)
class TimelineEntry:
    date: str | None      # the article's publication date (ISO), when known
    quote: Quote


@dataclass(frozen=True)
class SourceArticle:
    article_id: str
    title: str
    source: str
    url: str | None
    published_at: str | None


@dataclass
class CompanySummary:
    query: str
    found: bool
    name: str = ""
    aliases: list[str] = field(default_factory=list)
    who: Quote | None = None                  # a one-line "who" from the corpus
    facts: list[Quote] = field(default_factory=list)
    related: list[RelatedCompany] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    sources: list[SourceArticle] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)  # "did you mean" when not found
    message: str = ""                         # e.g. "No article mentions Foo."

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SummarySettings:
    facts: int = 8
    related: int = 8
    timeline: int = 10
    sources: int = 12
    max_articles: int = 400        # the most focused articles a summary reads
    duplicate_similarity: float = 0.88   # sentence vectors closer than this say the same thing
    novelty_weight: float = 0.6    # MMR: salience minus this times the closest chosen fact
    accept_ratio: float = 88.0     # a fuzzy match this close is taken as the company
    suggest_score: float = 72.0    # "did you mean" from here on


SETTINGS = SummarySettings()

# Words that state a relation between two companies: a tie between them ("joining forces
# with", "acquire"), or dealings ("supply", "rival").
_TIE_CUE_RE = re.compile(
    r"\b(?:partner\w*|joint[ -]venture|join\w*\s+forces|team\w*\s+up|tie-up|allian\w+|collaborat\w+|"
    r"deal|agreement|acquir\w+|acquisition|merg\w+|stake|takeover|subsidiar\w+|unit\s+of|parent|"
    r"owned|owns|owner|backed|invest\w*|cooperat\w+)\b",
    re.IGNORECASE,
)
_DEALING_CUE_RE = re.compile(
    r"\b(?:suppl\w+|rival\w*|compet\w+|sue[ds]?|suing|lawsuit|licens\w+|contract\w*|bid|buy\w*|bought|"
    r"sold|sell\w*|customer|client)\b",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- listing

def list_companies(kb: KnowledgeBase) -> list[CompanyListing]:
    """Every company, most widely covered first; outlets are never listed."""
    with kb.reader() as snap:
        directory = company_directory(snap)
    entries = sorted(directory.companies.values(),
                     key=lambda e: (-e.articles, -e.mentions, e.name.casefold()))
    return [CompanyListing(e.key, e.name, list(e.aliases), e.mentions, e.articles, e.last_seen)
            for e in entries]


# --------------------------------------------------------------------------- name matching

@dataclass(frozen=True)
class Match:
    entry: CompanyEntry | None
    suggestions: list[str]


def match_company(directory: CompanyDirectory, query: str) -> Match:
    """The company a user means: its key, any alias or name (case-insensitive), else a fuzzy
    match close enough to be a typo; otherwise suggestions."""
    text = " ".join(query.split())
    folded = text.casefold()
    exact = directory.lookup(company_key(text))
    if exact is not None:
        return Match(exact, [])
    labels = directory.labels
    reps = labels.get(folded)
    if reps:
        return Match(_most_covered(directory, reps), [])
    if not folded:
        return Match(None, [])
    found = process.extract(folded, list(labels), scorer=fuzz.WRatio, limit=40,
                            score_cutoff=SETTINGS.suggest_score)
    first = folded.split()[0]
    scored: dict[str, tuple[float, float]] = {}  # rep -> (whole-name ratio, suggestion score)
    for label, _wscore, _i in found:
        ratio = fuzz.ratio(folded, label)
        # the first word carries the brand: "Hyundae Motors" is closer to Hyundai than to Holy Motors
        suggest = max(ratio, 0.95 * fuzz.ratio(first, label.split()[0]))
        for rep in labels[label]:
            old = scored.get(rep, (0.0, 0.0))
            scored[rep] = (max(old[0], ratio), max(old[1], suggest))
    if not scored:
        return Match(None, [])

    def rank(rep: str) -> tuple:
        entry = directory.companies[rep]
        return (-scored[rep][0], -scored[rep][1], -entry.articles, entry.name)

    ordered = sorted(scored, key=rank)
    best = directory.companies[ordered[0]]
    ratio = scored[ordered[0]][0]
    runner = directory.companies[ordered[1]] if len(ordered) > 1 else None
    margin = ratio - (scored[runner.key][0] if runner else 0.0)
    dominant = runner is None or best.articles >= 5 * max(1, runner.articles)
    # a typo: very close and unambiguous ("Xiaomii"; "Amazn", not the obscure "AMAN"), or
    # close and far ahead of the rest ("Googel")
    if (ratio >= SETTINGS.accept_ratio and (margin >= 3 or dominant)) or (
            ratio >= SETTINGS.accept_ratio - 8 and margin >= 8 and len(folded) >= 5):
        return Match(best, [])
    close = [r for r in scored if scored[r][1] >= SETTINGS.suggest_score]
    close.sort(key=lambda r: (-scored[r][1], -directory.companies[r].articles, directory.companies[r].name))
    return Match(None, [directory.companies[r].name for r in close[:5]])


def _most_covered(directory: CompanyDirectory, reps: tuple[str, ...]) -> CompanyEntry:
    return max((directory.companies[r] for r in reps), key=lambda e: (e.articles, e.mentions, e.name))


# --------------------------------------------------------------------------- summary

@dataclass
class _Candidate:
    ref: SentenceRef
    salience: float
    source: str
    published_at: str | None


def summarize_company(kb: KnowledgeBase, name: str) -> CompanySummary:
    """What the articles say about one company, every line a verbatim quote."""
    query = " ".join(name.split())
    with kb.reader() as snap:
        directory = company_directory(snap)
        match = match_company(directory, query)
        if match.entry is None:
            return _not_found(snap, directory, query, match.suggestions)
        summary = _summarize(snap, directory, match.entry, query)
    return summary


def _not_found(snap: Snapshot, directory: CompanyDirectory, query: str, suggestions: list[str]) -> CompanySummary:
    key = company_key(query)
    if key in directory.outlet_keys:
        message = f"{query} is a news outlet the articles cite, not a company they cover."
    elif snap.phrase_count(query) > 0:
        message = f"No article names {query} as a company, though the name appears in their text."
    else:
        message = f"No article mentions {query}."
    if directory.missing:
        message += (f" ({directory.missing} articles were indexed before company extraction; "
                    "`newsbot index enrich` covers them.)")
    return CompanySummary(query=query, found=False, suggestions=suggestions, message=message)


def _summarize(snap: Snapshot, directory: CompanyDirectory, entry: CompanyEntry, query: str) -> CompanySummary:
    keys = list(entry.keys)
    focus = article_focus(snap, keys)
    if len(focus) > SETTINGS.max_articles:
        kept = sorted(focus.values(), key=lambda f: -_article_weight(f))[: SETTINGS.max_articles]
        focus = {f.article_id: f for f in kept}
    articles = snap.articles(list(focus))
    refs = sentence_refs(snap, keys, list(focus))

    candidates = [_Candidate(r, _salience(r, focus[r.article_id])
                             + _text_salience(articles[r.article_id].body[r.start:r.end], r),
                             articles[r.article_id].source, articles[r.article_id].published_at)
                  for r in refs if r.article_id in articles and not r.flags & BOILER]
    _add_centrality(candidates)

    facts = _pick_facts(candidates, len(focus))
    fact_quotes = [quote_of(articles[c.ref.article_id], c.ref.start, c.ref.end) for c in _group(facts)]
    who = _pick_who(snap, keys, focus, articles)
    related = _pick_related(snap, directory, entry, keys, articles, refs)
    timeline = _pick_timeline(candidates, focus, articles)

    quoted: list[str] = []
    for quote in ([who] if who else []) + fact_quotes + [r.quote for r in related] + [t.quote for t in timeline]:
        if quote.article_id not in quoted:
            quoted.append(quote.article_id)
    ordered_sources = sorted(quoted, key=lambda a: (_date_key(articles[a].published_at), a), reverse=True)
    sources = [SourceArticle(a, articles[a].title, articles[a].source, articles[a].url, articles[a].published_at)
               for a in ordered_sources[: SETTINGS.sources]]
    count = len(focus)
    message = (f"{entry.name}: {entry.mentions} mention{'s' if entry.mentions != 1 else ''} in "
               f"{entry.articles} article{'s' if entry.articles != 1 else ''}")
    if entry.last_seen:
        message += f", last on {entry.last_seen[:10]}"
    message += "."
    if count and not fact_quotes:
        message += " The articles name it but say little more."
    return CompanySummary(query=query, found=True, name=entry.name, aliases=list(entry.aliases), who=who,
                          facts=fact_quotes, related=related, timeline=timeline, sources=sources,
                          message=message)


def _date_key(published_at: str | None) -> str:
    return published_at or ""


def _article_weight(f: ArticleFocus) -> float:
    """How much an article is about the company: its share of the article's company
    mentions, whether the title names it, and how often it is named."""
    return f.share + 0.5 * f.in_title + 0.1 * min(f.mentions, 10) / 10


def _salience(r: SentenceRef, f: ArticleFocus) -> float:
    score = 1.0 if r.named else 0.6
    score += 0.25 if r.lead <= 30 else 0.0                    # the company is the subject
    score += 0.45 * math.exp(-r.ord / 8)                      # news puts the point first
    score += 0.8 * _article_weight(f)
    if not r.flags & TERMINAL:
        score -= 0.9                                          # headlines, bullets, captions
    if r.flags & QUESTION:
        score -= 0.4
    if r.words < 8:
        score -= 0.4
    elif r.words > 50:
        score -= 0.3 * min(1.0, (r.words - 50) / 30)
    if r.flags & NUMERIC:
        score += 0.15
    if r.flags & TEMPORAL:
        score += 0.05
    return score


# A sentence that leans on the one before it ("That was ...", "He said ...") quotes poorly.
_DEICTIC_START_RE = re.compile(r"^[\"“‘']?(?:That|This|These|Those|He|She|They|We|I|His|Her|Their|But|And|So|Also|"
                               r"Still|Yet|Then|Here|There|Because|Which)\b")
_FIRST_PERSON_RE = re.compile(r"\b(?:I|we|We|our|Our|my|My|me|us)\b")
_SPEECH_RE = re.compile(r"[“\"][^”\"]*[”\"]")
# Photo captions ("LOS ANGELES, CALIFORNIA – FEBRUARY 05: ...", "(Photo by ...)") and
# price lists ("$ 250 $ 350 29 % off") are no facts.
_CAPTION_RE = re.compile(r"^[A-Z][A-Z .,'’-]{3,}\s[–—-]\s[A-Z]+\.? \d{1,2}\b|"
                         r"\b(?:Photo|Image)s?\s+(?:by|credit|courtesy)\b|Getty\s+Images|\bvia\s+Reuters\b|^Credit:")


def _text_salience(text: str, r: SentenceRef) -> float:
    """Penalties only the text shows: a sentence that needs the previous one, first-person
    talk outside quotation marks (interviews, columns)."""
    score = 0.0
    if _DEICTIC_START_RE.match(text) and not r.coref:
        score -= 0.35
    if _FIRST_PERSON_RE.search(_SPEECH_RE.sub("", text)):
        score -= 0.3
    if _CAPTION_RE.search(text):
        score -= 1.0
    if text.count("$") >= 3:
        score -= 0.5
    return score


def _add_centrality(candidates: list[_Candidate]) -> None:
    """Sentences close to what the articles most often say about the company rank higher."""
    vectors = [c.ref.vector for c in candidates if c.ref.vector is not None]
    if len(vectors) < 3:
        return
    centroid = np.mean(np.stack(vectors), axis=0)
    norm = float(np.linalg.norm(centroid))
    if not norm:
        return
    centroid /= norm
    for c in candidates:
        if c.ref.vector is not None:
            c.salience += 0.5 * float(c.ref.vector @ centroid)


def _pick_facts(candidates: list[_Candidate], n_articles: int) -> list[_Candidate]:
    """Maximal marginal relevance over the stored sentence vectors: salient, and unlike the
    facts already chosen; near-duplicates (the same wire copy in two outlets) never both."""
    per_article_cap = SETTINGS.facts if n_articles == 1 else 3 if n_articles < 4 else 2
    outlets = {c.source for c in candidates}
    per_outlet_cap = SETTINGS.facts if len(outlets) < 3 else 3
    pool = _prefer_whole_sentences(sorted(candidates, key=lambda c: -c.salience)[:300])
    pool = [c for c in pool if c.ref.words >= 5]
    chosen: list[_Candidate] = []
    per_article: dict[str, int] = defaultdict(int)
    per_outlet: dict[str, int] = defaultdict(int)
    dim = next((len(c.ref.vector) for c in pool if c.ref.vector is not None), 1)  # the model's width
    matrix = np.stack([c.ref.vector if c.ref.vector is not None else np.zeros(dim, np.float32)
                       for c in pool]) if pool else np.zeros((0, dim), np.float32)
    closest = np.zeros(len(pool), dtype=np.float32)
    taken = np.zeros(len(pool), dtype=bool)
    while len(chosen) < SETTINGS.facts:
        best, best_score = -1, -math.inf
        for i, c in enumerate(pool):
            if taken[i] or per_article[c.ref.article_id] >= per_article_cap or per_outlet[c.source] >= per_outlet_cap:
                continue
            if closest[i] >= SETTINGS.duplicate_similarity:
                continue
            score = c.salience - SETTINGS.novelty_weight * max(0.0, float(closest[i]))
            if score > best_score:
                best, best_score = i, score
        if best < 0:
            break
        taken[best] = True
        c = pool[best]
        chosen.append(c)
        per_article[c.ref.article_id] += 1
        per_outlet[c.source] += 1
        if pool[best].ref.vector is not None:
            closest = np.maximum(closest, matrix @ matrix[best])
    return chosen


def _prefer_whole_sentences(pool: list[_Candidate]) -> list[_Candidate]:
    """A bullet or headline that a whole sentence repeats gives way to the sentence, which
    takes over the bullet's salience (bullets sum up an article; sentences quote better)."""
    whole = [c for c in pool if c.ref.flags & TERMINAL and c.ref.vector is not None]
    if not whole:
        return pool
    matrix = np.stack([c.ref.vector for c in whole])
    out: list[_Candidate] = []
    for c in pool:
        if c.ref.flags & TERMINAL or c.ref.vector is None:
            out.append(c)
            continue
        sims = matrix @ c.ref.vector
        best = int(np.argmax(sims))
        if sims[best] >= SETTINGS.duplicate_similarity:
            twin = whole[best]
            twin.salience = max(twin.salience, c.salience)
        else:
            out.append(c)
    return sorted(out, key=lambda c: -c.salience)


def _group(facts: list[_Candidate]) -> list[_Candidate]:
    """Grouped by article: newest article first (undated last, then by salience), and in
    reading order within an article."""
    best: dict[str, _Candidate] = {}
    for c in facts:
        if c.ref.article_id not in best or c.salience > best[c.ref.article_id].salience:
            best[c.ref.article_id] = c
    dated = sorted((c for c in best.values() if c.published_at), key=lambda c: (c.published_at, c.salience),
                   reverse=True)
    undated = sorted((c for c in best.values() if not c.published_at), key=lambda c: -c.salience)
    rank = {c.ref.article_id: i for i, c in enumerate(dated + undated)}
    return sorted(facts, key=lambda c: (rank[c.ref.article_id], c.ref.start))


def _pick_who(snap: Snapshot, keys: list[str], focus: dict[str, ArticleFocus],
              articles: dict[str, ArticleRow]) -> Quote | None:
    """The description the articles use most ("Chinese electronics manufacturer Xiaomi"),
    quoted from the article most about the company."""
    refs = [w for w in who_refs(snap, keys) if w.article_id in articles]
    if not refs:
        return None
    support: dict[str, set[str]] = defaultdict(set)
    for w in refs:
        support[_descriptor_key(w.descriptor)].add(w.article_id)
    kind_weight = {"pre": 1.0, "post": 1.0, "is": 0.9}

    def score(w: WhoRef) -> tuple:
        words = len(w.descriptor.split())
        return (len(support[_descriptor_key(w.descriptor)]) + kind_weight.get(w.kind, 0.5)
                + 0.1 * min(words, 6) + 0.3 * _article_weight(focus[w.article_id]), -w.start)

    best = max(refs, key=score)
    return quote_of(articles[best.article_id], best.start, best.end)



def _descriptor_key(descriptor: str) -> str:
    words = [w for w in re.findall(r"[\w\-]+", descriptor.casefold()) if w not in {"the", "a", "an"}]
    return " ".join(words)


def _pick_related(snap: Snapshot, directory: CompanyDirectory, entry: CompanyEntry, keys: list[str],
                  articles: dict[str, ArticleRow], refs: list[SentenceRef]) -> list[RelatedCompany]:
    """Companies referred to in the same sentences as this one, the most strongly and widely
    linked first, each with the sentence that best states the link: relation words between
    the two names, early in its article, a whole sentence, few other companies in it."""
    by_sentence = {(r.article_id, r.start): r for r in refs}
    relations = relation_refs(snap, keys)
    crowd: dict[tuple[str, int], set[str]] = defaultdict(set)  # companies per sentence
    for rel in relations:
        crowd[(rel.article_id, rel.start)].add(rel.other)
    links: dict[str, list[tuple[float, str, int, int]]] = defaultdict(list)
    for rel in relations:
        other = directory.group_of.get(rel.other)
        if other is None or other == entry.key or rel.article_id not in articles:
            continue
        own = by_sentence.get((rel.article_id, rel.start))
        body = articles[rel.article_id].body
        text = body[rel.start:rel.end]
        score = 0.05 * rel.named - 0.15 * (len(crowd[(rel.article_id, rel.start)]) - 1)
        if own is not None:
            if own.flags & BOILER:
                continue
            score += 0.6 * math.exp(-own.ord / 6)
            if not own.flags & TERMINAL:
                score -= 0.5
            if own.words < 8 or own.words > 60:
                score -= 0.3
            score += _text_salience(text, own)
        if _TIE_CUE_RE.search(text):
            score += 0.5
        elif _DEALING_CUE_RE.search(text):
            score += 0.3
        elif rel.cue:
            score += 0.1
        company = directory.companies[other]
        if own is not None and _cue_between(text, own.lead, _names_pattern((company.name, *company.aliases))):
            score += 0.3
        links[other].append((score, rel.article_id, rel.start, rel.end))

    def strength(other: str) -> float:
        best: dict[str, float] = {}
        for score, aid, _s, _e in links[other]:
            best[aid] = max(best.get(aid, -math.inf), score)
        return sum(max(0.1, 1.0 + v) for v in best.values())

    strengths = {o: strength(o) for o in links}
    ranked = sorted(links, key=lambda o: (-strengths[o], directory.companies[o].name))
    out: list[RelatedCompany] = []
    for other in ranked[: SETTINGS.related]:
        _score, aid, start, end = max(links[other], key=lambda t: (t[0], -t[2]))
        out.append(RelatedCompany(directory.companies[other].name, quote_of(articles[aid], start, end)))
    return out


def _cue_between(text: str, own_lead: int, other_names: re.Pattern[str]) -> bool:
    """Whether relation words stand between the two companies' references ("the company is
    contemplating joining forces with BAIC")."""
    positions = [m.start() for m in other_names.finditer(text)]
    if not positions:
        return False
    nearest = min(positions, key=lambda p: abs(p - own_lead))
    lo, hi = sorted((own_lead, nearest))
    return any(lo < m.start() < hi for pattern in (_TIE_CUE_RE, _DEALING_CUE_RE) for m in pattern.finditer(text))


@functools.lru_cache(maxsize=4096)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))


def _pick_timeline(candidates: list[_Candidate], focus: dict[str, ArticleFocus],
                   articles: dict[str, ArticleRow]) -> list[TimelineEntry]:
    """One sentence per article (its most salient about the company, dated sentences
    preferred) for the articles most about it, oldest first; undated ones last."""
    best: dict[str, _Candidate] = {}
    for c in candidates:
        if not c.ref.flags & TERMINAL or c.ref.words < 6:
            continue
        score = c.salience + (0.2 if c.ref.flags & TEMPORAL else 0.0)
        old = best.get(c.ref.article_id)
        if old is None or score > old.salience + (0.2 if old.ref.flags & TEMPORAL else 0.0):
            best[c.ref.article_id] = c
    ranked = sorted(best.values(), key=lambda c: (-_article_weight(focus[c.ref.article_id]), -c.salience))
    chosen: list[_Candidate] = []
    for c in ranked:
        if len(chosen) >= SETTINGS.timeline:
            break
        if c.ref.vector is not None and any(
                o.ref.vector is not None and float(o.ref.vector @ c.ref.vector) >= SETTINGS.duplicate_similarity
                for o in chosen):
            continue
        chosen.append(c)
    chosen.sort(key=lambda c: (c.published_at is None, c.published_at or "", c.ref.article_id, c.ref.start))
    return [TimelineEntry(c.published_at, quote_of(articles[c.ref.article_id], c.ref.start, c.ref.end))
            for c in chosen]
