"""The company index: what :mod:`index.entities` finds in each article, stored at ingest in
the article's own write transaction, plus the read helpers behind ``newsbot companies`` and
``newsbot company NAME``.

Usage::

    from index.company_index import CompanyIndex, company_directory
    index = CompanyIndex()                               # spaCy loads on the first ingest
    kb = EmbeddedKnowledgeBase.open(data_dir, embedder, enrichers=[index])
    with kb.reader() as snap:
        directory = company_directory(snap)              # cached per knowledge-base state
        directory.companies["baic"].aliases              # ["Beijing Automotive Group"]

Tables (each has ``article_id``; the store deletes by it on removal and replacement):

- ``company_indexed``: one row per article the extractor has seen (an article without
  companies too), so articles indexed before this module existed can be told apart.
- ``company_mentions``: every mention, with body offsets.
- ``company_articles``: per (company, article): display name, mentions, whether the title
  names it, its share of the article's company mentions (the article's focus on it), and
  how many whole sentences name it (a name found only in headings, lists and newsletter
  boxes is not listed).
- ``company_aliases``: aliases the article defines ("BAIC (Beijing Automotive Group Co)").
- ``company_sentences``: every sentence that refers to a company, by name or through an
  anaphor ("the company said ..." after a sentence naming it), with the features that
  rank facts at query time (position, length, flags), so a summary needs no NLP.
- ``company_relations``: pairs of companies referred to in one sentence, with a flag for
  relation words ("joining forces with", "joint venture", "acquire").
- ``company_who``: descriptions of a company found in the text: "Chinese electronics
  manufacturer Xiaomi", "Xiaomi, the smartphone maker", "Beijing Hyundai is a joint venture
  between ...".
- ``company_outlets``: the outlets each article cites or comes from, which are never
  companies.

Across articles, aliases join companies: the key "beijing automotive" folds into "baic"
everywhere once one article defines it, and spellings that differ only in spaces or
hyphens ("Open AI", "OpenAI") are one company (:func:`alias_groups`).
"""

from __future__ import annotations

import bisect
import functools
import re
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from index.articles import Article
from index.entities import _STOP_WORDS, EntityExtraction, EntityExtractor, _outlet_head, company_key

VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS company_indexed (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    sentences INTEGER NOT NULL,
    published_at TEXT,
    source TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS company_mentions (
    article_id TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS company_mentions_article ON company_mentions(article_id);
CREATE INDEX IF NOT EXISTS company_mentions_key ON company_mentions(key);
CREATE TABLE IF NOT EXISTS company_articles (
    article_id TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL,
    mentions INTEGER NOT NULL, in_title INTEGER NOT NULL, share REAL NOT NULL,
    first_start INTEGER NOT NULL, prose INTEGER NOT NULL,
    PRIMARY KEY (key, article_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS company_articles_article ON company_articles(article_id);
CREATE TABLE IF NOT EXISTS company_aliases (
    article_id TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL, alias TEXT NOT NULL,
    alias_key TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS company_aliases_article ON company_aliases(article_id);
CREATE TABLE IF NOT EXISTS company_sentences (
    key TEXT NOT NULL, article_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    ord INTEGER NOT NULL, named INTEGER NOT NULL, coref INTEGER NOT NULL,
    lead INTEGER NOT NULL, words INTEGER NOT NULL, flags INTEGER NOT NULL,
    PRIMARY KEY (key, article_id, start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS company_sentences_article ON company_sentences(article_id);
CREATE TABLE IF NOT EXISTS company_relations (
    article_id TEXT NOT NULL, a_key TEXT NOT NULL, b_key TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, named INTEGER NOT NULL, cue INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS company_relations_a ON company_relations(a_key);
CREATE INDEX IF NOT EXISTS company_relations_b ON company_relations(b_key);
CREATE INDEX IF NOT EXISTS company_relations_article ON company_relations(article_id);
CREATE TABLE IF NOT EXISTS company_who (
    article_id TEXT NOT NULL, key TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    kind TEXT NOT NULL, descriptor TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS company_who_key ON company_who(key);
CREATE INDEX IF NOT EXISTS company_who_article ON company_who(article_id);
CREATE TABLE IF NOT EXISTS company_outlets (
    article_id TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS company_outlets_article ON company_outlets(article_id);
CREATE INDEX IF NOT EXISTS company_outlets_key ON company_outlets(key);
"""

TABLES = ("company_indexed", "company_mentions", "company_articles", "company_aliases",
          "company_sentences", "company_relations", "company_who", "company_outlets")

# Sentence flags (company_sentences.flags).
TERMINAL = 1     # ends like a sentence (not a headline, bullet or caption)
QUESTION = 2
NUMERIC = 4      # has a figure
TEMPORAL = 8     # has a date or time expression
BOILER = 16      # "Also Read", "Sign up", links: never a fact
CUE = 32         # relation words ("partnering with", "acquire", "joint venture")
SPEECH = 64      # has quotation marks

# --------------------------------------------------------------------------- patterns

# Nouns that say what a company is: "Chinese electronics manufacturer Xiaomi".
_ROLE_NOUNS = (
    "maker|makers|carmaker|automaker|chipmaker|manufacturer|giant|company|firm|startup|"
    "start-up|conglomerate|retailer|supplier|brand|developer|publisher|studio|provider|"
    "platform|operator|lender|bank|insurer|airline|subsidiary|producer|network|venture|"
    "marketplace|exchange|distributor|label|chain|outfit|business|group|automaker|"
    "powerhouse|behemoth|titan|player|specialist|vendor|designer|broadcaster|streamer|"
    "service|app|unit|division|arm|leader"
)
_ROLE_RE = re.compile(rf"^(?:{_ROLE_NOUNS})$", re.IGNORECASE)
# Role nouns specific enough to describe a company without a modifier ("carmaker Hyundai").
_SPECIFIC_ROLES = frozenset({
    "carmaker", "automaker", "chipmaker", "retailer", "conglomerate", "airline", "insurer",
    "lender", "publisher", "streamer", "broadcaster", "startup", "start-up",
})
# "the company said", "The tech giant": a reference back to the company last named.
_ANAPHOR_RE = re.compile(
    rf"(?:\b[Tt]he|\b[Tt]his)\s+(?:[a-zA-Z][\w\-]*\s+){{0,2}}?(?:{_ROLE_NOUNS})\b"
    rf"(?![\w\-])(?!\s+(?:[A-Z]|of\b|to\b))"
)
_PRONOUN_START_RE = re.compile(r"^[\"“‘'(]?(?:It|Its)\b")
_RELATION_CUE_RE = re.compile(
    r"\b(?:partner\w*|joint[ -]venture|join\w*\s+forces|team\w*\s+up|tie-up|tie\s+up|allian\w+|"
    r"collaborat\w+|deal|deals|agreement|acquir\w+|acquisition|merg\w+|buy\w*|bought|stake|"
    r"invest\w*|back\w*|owned|owner|owns|subsidiar\w+|unit\s+of|parent|suppl\w+|rival\w*|"
    r"compet\w+|sue[ds]?|suing|lawsuit|licens\w+|contract\w*|spin\w*[ -]off|spun\s+off|"
    r"takeover|bid|customer|client|cooperat\w+|production|produce\w*|manufactur\w+)\b",
    re.IGNORECASE,
)
_NUMERIC_RE = re.compile(r"\d")
_TEMPORAL_RE = re.compile(
    r"\b(?:(?:19|20)\d\d|January|February|March|April|May|June|July|August|September|October|"
    r"November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Monday|Tuesday|"
    r"Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|(?:this|last|next)\s+"
    r"(?:year|month|week|quarter)|quarter|earlier\s+this|later\s+this)\b"
)
_BOILER_RE = re.compile(
    r"(?:^(?:also\s+read|read\s+more|read\s+also|related\s*:|click|tap|subscribe|sign\s+up|"
    r"follow\s+us|advertisement|image\s*:|photo\s*:|getty|watch\s*:|listen\s*:|share\s+this|"
    r"table\s+of\s+contents)|also\s+read|https?://|www\.|©|\bcopyright\b|newsletter|"
    r"\bcookies?\b|affiliate\s+link|\bpromo\s+code)",
    re.IGNORECASE,
)
_TERMINAL_RE = re.compile(r"[.!?…][\"”’')\]]*$|[\"”’][.!?]?$")
_WORD_RE = re.compile(r"\S+")
_DESCRIPTOR_WORD_RE = re.compile(r"^[A-Za-z][\w\-&.]*(?:['’]s)?$|^\d[\w\-.,]*$")



# --------------------------------------------------------------------------- payload

@dataclass
class CompanyPayload:
    """Rows for one article, computed before the write transaction."""

    sentences: int = 0
    published_at: str | None = None  # the article's, so reads need not touch the articles table
    source: str = ""
    mentions: list[tuple] = field(default_factory=list)
    articles: list[tuple] = field(default_factory=list)
    aliases: list[tuple] = field(default_factory=list)
    sentence_rows: list[tuple] = field(default_factory=list)
    relations: list[tuple] = field(default_factory=list)
    who: list[tuple] = field(default_factory=list)
    outlets: list[tuple] = field(default_factory=list)


@functools.cache
def shared_extractor() -> EntityExtractor:
    """One extractor (one spaCy model, loaded on first use) per process."""
    return EntityExtractor()


_EXTRACT_LOCK = threading.Lock()


class CompanyIndex:
    """The :class:`index.store.ArticleEnricher` for companies. Cheap to create: spaCy loads
    only when an ingest first calls :meth:`prepare`."""

    schema = SCHEMA
    tables = TABLES

    def __init__(self, extractor: EntityExtractor | None = None) -> None:
        self._extractor = extractor
        self.seconds = 0.0  # time spent in prepare (extraction and analysis), for reports
        self.articles = 0

    @property
    def extractor(self) -> EntityExtractor:
        if self._extractor is None:
            self._extractor = shared_extractor()
        return self._extractor

    def prepare(self, articles: Sequence[Article],
                sentences: Sequence[Sequence[tuple[int, int]]]) -> list[CompanyPayload]:
        started = time.perf_counter()
        items = [(a.body, [(int(s), int(e)) for s, e in sents], a.outlets)
                 for a, sents in zip(articles, sentences, strict=True)]
        with _EXTRACT_LOCK:
            results = self.extractor.extract_many(items) if items else []
        payloads = [analyse(article, list(item[1]), result)
                    for article, item, result in zip(articles, items, results, strict=True)]
        self.seconds += time.perf_counter() - started
        self.articles += len(articles)
        return payloads

    def pending(self, db: sqlite3.Connection) -> list[str]:
        return [r[0] for r in db.execute(
            "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM company_indexed) ORDER BY rowid")]

    def write(self, db: sqlite3.Connection, article: Article, payload: object) -> None:
        assert isinstance(payload, CompanyPayload)
        write_payload(db, article.id, payload)


def write_payload(db: sqlite3.Connection, article_id: str, p: CompanyPayload) -> None:
    db.execute("INSERT OR REPLACE INTO company_indexed(article_id, version, sentences, published_at, source) "
               "VALUES (?,?,?,?,?)", (article_id, VERSION, p.sentences, p.published_at, p.source))
    inserts = (
        ('INSERT INTO company_mentions(article_id, key, name, start, "end") VALUES (?,?,?,?,?)',
         p.mentions),
        ("INSERT OR REPLACE INTO company_articles(article_id, key, name, mentions, in_title, share, "
         "first_start, prose) VALUES (?,?,?,?,?,?,?,?)", p.articles),
        ('INSERT INTO company_aliases(article_id, key, name, alias, alias_key, start, "end") '
         "VALUES (?,?,?,?,?,?,?)", p.aliases),
        ('INSERT OR REPLACE INTO company_sentences(article_id, key, start, "end", ord, named, coref, '
         "lead, words, flags) VALUES (?,?,?,?,?,?,?,?,?,?)", p.sentence_rows),
        ('INSERT INTO company_relations(article_id, a_key, b_key, start, "end", named, cue) '
         "VALUES (?,?,?,?,?,?,?)", p.relations),
        ('INSERT INTO company_who(article_id, key, start, "end", kind, descriptor) VALUES (?,?,?,?,?,?)',
         p.who),
        ("INSERT INTO company_outlets(article_id, key, name) VALUES (?,?,?)", p.outlets),
    )
    for sql, rows in inserts:
        if rows:
            db.executemany(sql, [(article_id, *row) for row in rows])


# --------------------------------------------------------------------------- analysis

_PROMO_RE = re.compile(r"newsletter|\bsign(?:ing)?\s+up\b|subscri|e-?mail\s+address|privacy\s+(?:notice|policy)|"
                       r"\bcookies?\b|\{\{", re.IGNORECASE)


def _is_prose(text: str, words: int) -> bool:
    """Running text: six words or more, no menu bars, no newsletter or sign-up box."""
    return words >= 6 and "|" not in text and not _PROMO_RE.search(text)


def sentence_flags(text: str) -> int:
    flags = 0
    stripped = text.rstrip()
    if _TERMINAL_RE.search(stripped):
        flags |= TERMINAL
    if stripped.rstrip("\"”’')]").endswith("?"):
        flags |= QUESTION
    if _NUMERIC_RE.search(text):
        flags |= NUMERIC
    if _TEMPORAL_RE.search(text):
        flags |= TEMPORAL
    if _BOILER_RE.search(text):
        flags |= BOILER
    if _RELATION_CUE_RE.search(text):
        flags |= CUE
    if any(ch in text for ch in "\"“”"):
        flags |= SPEECH
    return flags


@dataclass
class _Ref:
    key: str
    start: int  # offset in the body of the reference (name or anaphor)
    named: bool


def analyse(article: Article, sentences: list[tuple[int, int]],
            result: EntityExtraction) -> CompanyPayload:
    """Turns one article's extraction into rows: per-sentence references with anaphora
    resolved, relation sentences, "who" descriptions and per-article statistics."""
    body = article.body
    payload = CompanyPayload(sentences=len(sentences), published_at=article.published_at, source=article.source)
    spans = sorted({(s, e) for s, e in sentences if e > s}) or ([(0, len(body))] if body.strip() else [])
    payload.sentences = len(spans)
    mentions = sorted(result.mentions, key=lambda m: m.start)
    payload.mentions = [(m.key, m.name, m.start, m.end) for m in mentions]
    payload.outlets = [(company_key(_outlet_head(o) or o), _outlet_head(o) or o) for o in result.outlets]
    if not mentions:
        return payload
    names = result.companies()

    # per sentence: named references, then anaphora resolved to the running topic
    refs_by_sentence: list[list[_Ref]] = []
    topic: str | None = None
    topic_age = 99
    i = 0
    for s, e in spans:
        while i < len(mentions) and mentions[i].start < s:
            i += 1
        refs: list[_Ref] = []
        j = i
        while j < len(mentions) and mentions[j].start < e:
            if mentions[j].end <= e:
                refs.append(_Ref(mentions[j].key, mentions[j].start, True))
            j += 1
        text = body[s:e]
        first_named = refs[0].start - s if refs else len(text)
        anaphor = None
        if topic is not None and topic_age <= 2:
            m = _ANAPHOR_RE.search(text, 0, first_named)
            if m is not None:
                anaphor = m.start()
            elif first_named > 0 and _PRONOUN_START_RE.match(text):
                anaphor = 0
        if anaphor is not None and topic is not None and all(r.key != topic for r in refs):
            refs.insert(0, _Ref(topic, s + anaphor, False))
        refs_by_sentence.append(refs)
        if refs:
            topic, topic_age = refs[0].key, 0
        else:
            topic_age += 1

    # sentence rows and relations
    flags_of: dict[int, int] = {}
    for ord_, ((s, e), refs) in enumerate(zip(spans, refs_by_sentence, strict=True)):
        if not refs:
            continue
        text = body[s:e]
        flags = flags_of.setdefault(ord_, sentence_flags(text))
        words = len(_WORD_RE.findall(text))
        per_key: dict[str, list[_Ref]] = defaultdict(list)
        for r in refs:
            per_key[r.key].append(r)
        for key, rs in per_key.items():
            named = sum(1 for r in rs if r.named)
            coref = int(any(not r.named for r in rs))
            lead = min(r.start for r in rs) - s
            payload.sentence_rows.append((key, s, e, ord_, named, coref, lead, words, flags))
        keys = list(per_key)
        cue = int(bool(flags & CUE))
        for x in range(len(keys)):
            for y in range(x + 1, len(keys)):
                a, b = sorted((keys[x], keys[y]))
                both_named = int(all(any(r.named for r in per_key[k]) for k in (a, b)))
                payload.relations.append((a, b, s, e, both_named, cue))

    # per (company, article) statistics
    counts = Counter(m.key for m in mentions)
    total = sum(counts.values())
    surfaces: dict[str, set[str]] = defaultdict(set)
    for m in mentions:
        surfaces[m.key].add(body[m.start:m.end])
    for a in result.aliases:
        surfaces[a.key].add(a.alias)
    first: dict[str, int] = {}
    for m in mentions:
        first.setdefault(m.key, m.start)
    # sentences naming the company in running text (not a heading, a menu or a newsletter box)
    prose = Counter(row[0] for row in payload.sentence_rows
                    if row[4] and _is_prose(body[row[1]:row[2]], row[7]))
    for key, n in counts.items():
        in_title = int(any(re.search(rf"(?<![\w&]){re.escape(f)}(?![\w&])", article.title)
                           for f in surfaces[key] if f))
        payload.articles.append((key, names.get(key, key), n, in_title, n / total, first[key], prose[key]))
    payload.aliases = [(a.key, a.name, a.alias, company_key(a.alias), a.start, a.end)
                       for a in result.aliases]
    payload.who = find_who(body, spans, mentions)
    return payload


_STOPPERS = frozenset(
    "of over in on for with that which who whose behind by from to at as and or but is was are were has "
    "have had said says will would may might can could known based founded focused used when where while "
    "after before since against than like into under about between through".split()
)
_KEEP_AFTER_HEAD = frozenset("of behind for based known focused founded specializing whose with".split())
_DANGLING = frozenset("that which who whose and or".split())


def _np_head(tokens: list[str]) -> int | None:
    """Index of the role noun heading a noun phrase ("the Chinese smartphone maker", "a
    joint venture"), or None when a preposition, verb or comma comes first ("the landmark
    antitrust trial over Google's search business")."""
    for i, raw in enumerate(tokens):
        token = raw.strip("“”\"'’‘()")
        word = token.rstrip(",;:.").casefold()
        if _ROLE_RE.match(word):
            if i + 1 < len(tokens) and not token.endswith((",", ";", ":", ".")) and \
                    _ROLE_RE.match(tokens[i + 1].strip("“”\"'’‘(),;:.").casefold()):
                continue  # "holding company": the head is the last role noun
            return i
        if word in _STOPPERS or token.endswith((",", ";", ":", ".")):
            return None
    return None


def _described(tokens: list[str], head: int) -> bool:
    """A description needs a modifier ("Chinese electronics manufacturer") or a complement
    ("the manufacturer of Ozempic") unless its role noun says enough ("carmaker")."""
    modifiers = [t for t in tokens[:head] if t.casefold() not in {"a", "an", "the", "one"}]
    complement = head + 1 < len(tokens) and tokens[head + 1].casefold() in _KEEP_AFTER_HEAD - {"with"}
    return bool(modifiers) or complement or tokens[head].strip(",;:.").casefold() in _SPECIFIC_ROLES


_APPOSITIVE_RE = re.compile(
    r"(?:['’]s?)?,\s+((?:a|an|the|one\s+of\s+the|(?:[A-Z][\w\-]*\s+)?[A-Z][\w\-]*['’]s)\s+"
    r"[^,;:()\"“”]{3,100}?)(?=,|;|\.(?:\s|$)|$|\s+(?:said|says|has|have|is|was|will|announced|reported)\b)"
)


def find_who(body: str, spans: list[tuple[int, int]], mentions: list[Any]) -> list[tuple]:
    """Descriptions of companies in the text, as (key, start, end, kind, descriptor):

    - ``pre``: "Chinese electronics manufacturer Xiaomi" (modifiers and a role noun before
      the name);
    - ``post``: "Novo Nordisk, the manufacturer of Ozempic and Wegovy" (an appositive whose
      head is a role noun);
    - ``is``: "Beijing Hyundai is a joint venture between Hyundai and BAIC ..." (a copula
      and a role noun, from the name to the end of the sentence)."""
    out: list[tuple] = []
    starts = [s for s, _e in spans]
    mention_spans = [(m.start, m.end) for m in mentions]
    seen: set[tuple[str, str]] = set()

    def add(key: str, start: int, end: int, kind: str, descriptor: str) -> None:
        descriptor = " ".join(descriptor.casefold().split())
        if (key, descriptor) not in seen:
            seen.add((key, descriptor))
            out.append((key, start, end, kind, descriptor))

    for m in mentions:
        k = bisect.bisect_right(starts, m.start) - 1
        if k < 0 or spans[k][1] < m.end:
            continue
        s, e = spans[k]
        if _BOILER_RE.search(body[s:e]):
            continue
        # pre: words before the name, the last one a role noun
        before = body[s:m.start]
        words = list(_WORD_RE.finditer(before))
        if words and before.endswith(" ") and not before.endswith("  "):
            last = words[-1].group()
            if _ROLE_RE.match(last) and last.lower() not in {"company", "firm", "group", "business", "unit"}:
                i = len(words) - 1
                while i > 0 and len(words) - i < 6:
                    w = words[i - 1].group()
                    if not _DESCRIPTOR_WORD_RE.match(w) or w.casefold() in _STOP_WORDS:
                        break
                    ws = s + words[i - 1].start()
                    if any(ms <= ws < me for ms, me in mention_spans):
                        break  # another company's name: "Tesla rival Xpeng" is about Tesla too
                    i -= 1
                if len(words) - 1 - i >= 1 or last.lower() in _SPECIFIC_ROLES:
                    add(m.key, s + words[i].start(), m.end, "pre", " ".join(w.group() for w in words[i:]))
        after = body[m.end:e]
        post = _APPOSITIVE_RE.match(after)
        if post:
            tokens = post.group(1).split()
            head = _np_head(tokens)
            if head is not None and _described(tokens, head) and len(tokens) <= 16:
                stop = head + 1
                if stop < len(tokens) and tokens[stop].casefold() in _KEEP_AFTER_HEAD:
                    stop = len(tokens)
                    while stop > head + 1 and tokens[stop - 1].casefold() in _DANGLING:
                        stop -= 1
                phrase = post.group(1)
                cut = [w.end() for w in _WORD_RE.finditer(phrase)][stop - 1]
                end = m.end + post.start(1) + len(phrase[:cut].rstrip(",;:."))
                add(m.key, m.start, end, "post", " ".join(tokens[:stop]))
        copula = re.match(r"\s+(?:is|was)\s+(?:(?:a|an|the)\s+|one\s+of\s+the\s+)", after)
        prefix = body[s:m.start].strip()
        if copula and (not prefix or prefix.endswith(",")) and m.start - s < 60:
            rest = after[copula.end():].split()
            head = _np_head(rest[:10])
            if head is not None and _described(rest, head) and len(rest) <= 40:
                add(m.key, m.start, e, "is", " ".join(rest[:head + 1]))
    return out


# --------------------------------------------------------------------------- reading

@dataclass
class CompanyEntry:
    key: str                       # the group's representative key
    name: str
    keys: tuple[str, ...]          # every key folded into it (aliases defined somewhere)
    aliases: list[str]
    mentions: int
    articles: int
    last_seen: str | None


@dataclass
class CompanyDirectory:
    companies: dict[str, CompanyEntry]        # representative key -> entry
    group_of: dict[str, str]                  # any key -> representative key
    outlet_keys: frozenset[str]               # keys that are news outlets here
    missing: int                              # articles the extractor has not seen

    def lookup(self, key: str) -> CompanyEntry | None:
        rep = self.group_of.get(key)
        return self.companies.get(rep) if rep is not None else None

    @functools.cached_property
    def labels(self) -> dict[str, tuple[str, ...]]:
        """Every name, alias and key, case-folded -> the companies it names (for matching)."""
        out: dict[str, set[str]] = defaultdict(set)
        for rep, entry in self.companies.items():
            for label in (entry.name, *entry.aliases, *entry.keys):
                out[" ".join(label.casefold().split())].add(rep)
        return {label: tuple(sorted(reps)) for label, reps in out.items()}


_CACHE: dict[tuple, CompanyDirectory] = {}
_CACHE_LOCK = threading.Lock()


def state_token(snap: Any) -> tuple:
    """Changes whenever articles or company rows change: the store's generation counter and
    epoch, and this index's own sequence."""
    files = tuple(row[2] for row in snap.query("PRAGMA database_list"))  # copies of one data dir differ
    meta = dict(snap.query("SELECT key, value FROM meta WHERE key IN ('epoch', 'generation')"))
    seq = snap.query("SELECT coalesce(max(seq), 0), count(*) FROM company_indexed")[0]
    return (files, meta.get("epoch"), meta.get("generation"), *seq)


def company_directory(snap: Any) -> CompanyDirectory:
    """Every company in the knowledge base, with aliases folded in and outlets left out;
    cached per knowledge-base state (a few ms to rebuild for 600 articles)."""
    token = state_token(snap)
    with _CACHE_LOCK:
        hit = _CACHE.get(token)
    if hit is not None:
        return hit
    directory = _build_directory(snap)
    with _CACHE_LOCK:
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[token] = directory
    return directory


def outlet_keys(snap: Any) -> frozenset[str]:
    """Keys that name news outlets here: every article's source, and names cited as outlets
    more often than they are named as companies."""
    keys: set[str] = set()
    for (source,) in snap.query("SELECT DISTINCT source FROM company_indexed"):
        for part in str(source).split(","):
            part = part.strip()
            if part:
                keys.add(company_key(part))
                keys.add(company_key(_outlet_head(part) or part))
    cited = dict(snap.query("SELECT key, count(DISTINCT article_id) FROM company_outlets GROUP BY key"))
    if cited:
        marks = ",".join("?" * len(cited))
        as_company = dict(snap.query(
            f"SELECT key, count(*) FROM company_articles WHERE key IN ({marks}) GROUP BY key", list(cited)))
        keys.update(k for k, n in cited.items() if n >= as_company.get(k, 0))
    return frozenset(keys)


def alias_groups(snap: Any, stats: dict[str, tuple[int, int]]) -> dict[str, str]:
    """key -> representative key, joining each alias with its company (union-find); the
    representative is the member found in most articles (then most mentions)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    pairs = list(snap.query("SELECT DISTINCT key, alias_key FROM company_aliases"))
    # spellings that differ only in spaces and hyphens are one company: "Open AI", "OpenAI"
    compact: dict[str, list[str]] = defaultdict(list)
    for key in stats:
        compact[re.sub(r"[\s\-]+", "", key)].append(key)
    pairs += [(keys[0], other) for keys in compact.values() if len(keys) > 1 for other in keys[1:]]
    for key, alias_key in pairs:
        if key == alias_key:
            continue
        a, b = find(key), find(alias_key)
        if a != b:
            parent[b] = a
    members: dict[str, list[str]] = defaultdict(list)
    for key in list(parent):
        members[find(key)].append(key)
    out: dict[str, str] = {}
    for root, keys in members.items():
        keys = sorted(set([root, *keys]))
        rep = max(keys, key=lambda k: (*stats.get(k, (0, 0)), -len(k), k))
        for k in keys:
            out[k] = rep
    return out


def _build_directory(snap: Any) -> CompanyDirectory:
    # one row per (key, name): the aggregation runs in SQLite, on this module's tables only
    rows = snap.query(
        "SELECT ca.key, ca.name, count(*), sum(ca.mentions), max(ci.published_at), sum(ca.prose) "
        "FROM company_articles ca JOIN company_indexed ci ON ci.article_id = ca.article_id GROUP BY ca.key, ca.name")
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, _name, n_articles, n_mentions, _last, _prose in rows:
        stats[key][0] += n_articles
        stats[key][1] += n_mentions
    roots = alias_groups(snap, {k: (v[0], v[1]) for k, v in stats.items()})
    outlets = outlet_keys(snap)
    name_articles: dict[str, Counter[str]] = defaultdict(Counter)
    name_mentions: dict[str, Counter[str]] = defaultdict(Counter)
    articles: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    last: dict[str, str] = {}
    keys_of: dict[str, set[str]] = defaultdict(set)
    prose: Counter[str] = Counter()
    for key, name, n_articles, n_mentions, published, n_prose in rows:
        if key in outlets:
            continue
        prose[roots.get(key, key)] += n_prose
        root = roots.get(key, key)
        keys_of[root].add(key)
        name_articles[root][name] += n_articles
        name_mentions[root][name] += n_mentions
        mentions[root] += n_mentions
        if published and (root not in last or published > last[root]):
            last[root] = published
    # article counts: summed per key, except where one company has several keys (an article
    # may use two of them), which are counted exactly
    for root, keys in keys_of.items():
        if len(keys) == 1:
            articles[root] = stats[next(iter(keys))][0]
    merged = [root for root, keys in keys_of.items() if len(keys) > 1]
    if merged:
        key_list = [k for root in merged for k in keys_of[root]]
        found: dict[str, set[str]] = defaultdict(set)
        for key, aid in snap.query(f"SELECT key, article_id FROM company_articles WHERE key IN ({_marks(key_list)})",
                                   key_list):
            found[roots.get(key, key)].add(aid)
        for root in merged:
            articles[root] = len(found[root])
    alias_texts: dict[str, Counter[str]] = defaultdict(Counter)
    for key, alias, alias_key in snap.query("SELECT key, alias, alias_key FROM company_aliases"):
        root = roots.get(key, key)
        alias_texts[root][alias] += 1
        if root in keys_of and alias_key not in outlets:
            keys_of[root].add(alias_key)  # "jianghuai automobile" names JAC though no mention has that key
    companies: dict[str, CompanyEntry] = {}
    group_of: dict[str, str] = {}
    for root, keys in keys_of.items():
        if not prose[root]:
            continue  # named only in headings, lists or newsletter boxes ("Sleepers | Busts")
        # the name most articles use; then a word over a ticker ("Velora Motors", not "VLM")
        by_articles, by_mentions = name_articles[root], name_mentions[root]
        name = max(by_articles, key=lambda n: (by_articles[n], not n.isupper(), by_mentions[n], -len(n), n))
        rep = company_key(name) if company_key(name) in keys else root
        aliases: list[str] = []
        seen = {company_key(name), name.casefold()}
        for alias, _n in alias_texts[root].most_common():
            if alias.casefold() not in seen:
                seen.add(alias.casefold())
                aliases.append(alias)
        for other, _n in by_mentions.most_common():
            if company_key(other) != company_key(name) and other.casefold() not in seen:
                seen.add(other.casefold())
                aliases.append(other)
        companies[rep] = CompanyEntry(rep, name, tuple(sorted(keys)), aliases, mentions[root],
                                      articles[root], last.get(root))
        for k in keys:
            group_of[k] = rep
    indexed = snap.query("SELECT count(*) FROM company_indexed")[0][0]
    total = snap.query("SELECT count(*) FROM articles")[0][0]
    return CompanyDirectory(companies, group_of, outlets, max(0, int(total) - int(indexed)))


@dataclass(frozen=True)
class SentenceRef:
    """A sentence that refers to the company (by name or anaphor), with its ranking features
    and its stored, unit-length sentence vector (None if the store has none)."""

    article_id: str
    start: int
    end: int
    ord: int
    named: int
    coref: int
    lead: int
    words: int
    flags: int
    vector: Any


@dataclass(frozen=True)
class ArticleFocus:
    article_id: str
    mentions: int
    in_title: bool
    share: float          # the company's share of the article's company mentions
    sentences: int        # the article's sentence count


@dataclass(frozen=True)
class RelationRef:
    article_id: str
    other: str            # the other company's key
    start: int
    end: int
    named: bool           # both companies named (no anaphor)
    cue: bool


@dataclass(frozen=True)
class WhoRef:
    article_id: str
    key: str
    start: int
    end: int
    kind: str
    descriptor: str


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _vector(blob: bytes | None) -> Any:
    if blob is None:
        return None
    import numpy as np

    vector = np.frombuffer(blob, dtype=np.int8).astype(np.float32) / 127.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def article_focus(snap: Any, keys: Sequence[str]) -> dict[str, ArticleFocus]:
    """article id -> the company's weight in it (several keys of one company are summed)."""
    rows = snap.query(
        f"SELECT ca.article_id, ca.mentions, ca.in_title, ca.share, ci.sentences FROM company_articles ca "
        f"JOIN company_indexed ci ON ci.article_id = ca.article_id WHERE ca.key IN ({_marks(keys)})", list(keys))
    out: dict[str, ArticleFocus] = {}
    for aid, mentions, in_title, share, sentences in rows:
        old = out.get(aid)
        if old is not None:
            mentions, in_title, share = (old.mentions + mentions, old.in_title or in_title, old.share + share)
        out[aid] = ArticleFocus(aid, int(mentions), bool(in_title), float(share), int(sentences))
    return out


def sentence_refs(snap: Any, keys: Sequence[str], article_ids: Sequence[str] | None = None) -> list[SentenceRef]:
    """Sentences referring to the company, one per sentence, with stored vectors."""
    where = f"cs.key IN ({_marks(keys)})"
    params: list[object] = list(keys)
    if article_ids is not None:
        where += f" AND cs.article_id IN ({_marks(article_ids)})"
        params += list(article_ids)
    rows = snap.query(
        f'SELECT cs.article_id, cs.start, cs."end", cs.ord, cs.named, cs.coref, cs.lead, cs.words, cs.flags, '
        f"s.vector FROM company_sentences cs LEFT JOIN sentences s ON s.article_id = cs.article_id "
        f"AND s.start = cs.start WHERE {where}", params)
    merged: dict[tuple[str, int], SentenceRef] = {}
    for aid, start, end, ord_, named, coref, lead, words, flags, blob in rows:
        old = merged.get((aid, start))
        if old is not None:
            merged[(aid, start)] = SentenceRef(aid, start, old.end, old.ord, old.named + named,
                                               int(old.coref and coref), min(old.lead, lead), words, flags,
                                               old.vector)
            continue
        merged[(aid, start)] = SentenceRef(aid, int(start), int(end), int(ord_), int(named), int(coref),
                                           int(lead), int(words), int(flags), _vector(blob))
    return list(merged.values())


def relation_refs(snap: Any, keys: Sequence[str]) -> list[RelationRef]:
    marks = _marks(keys)
    rows = snap.query(
        f'SELECT article_id, b_key, start, "end", named, cue FROM company_relations WHERE a_key IN ({marks}) '
        f'UNION ALL SELECT article_id, a_key, start, "end", named, cue FROM company_relations '
        f"WHERE b_key IN ({marks})", [*keys, *keys])
    own = set(keys)
    return [RelationRef(aid, other, int(s), int(e), bool(named), bool(cue))
            for aid, other, s, e, named, cue in rows if other not in own]


def who_refs(snap: Any, keys: Sequence[str]) -> list[WhoRef]:
    rows = snap.query(
        f'SELECT article_id, key, start, "end", kind, descriptor FROM company_who WHERE key IN ({_marks(keys)})',
        list(keys))
    return [WhoRef(aid, key, int(s), int(e), kind, desc) for aid, key, s, e, kind, desc in rows]
