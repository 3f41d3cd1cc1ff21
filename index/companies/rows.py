"""One article's company rows: per-sentence references (names, and anaphora resolved to
the running topic), relation sentences, "who" descriptions and per-company statistics.

Usage::

    from index.companies.rows import analyse
    payload = analyse(article, sentence_spans, extractor.extract(article.body, sentence_spans,
                                                                 article.outlets))
    payload.sentence_rows[0]     # (key, start, end, ord, named, coref, lead, words, flags)
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from index.companies.flags import CUE, sentence_flags
from index.companies.mentions import per_sentence
from index.companies.names import company_key
from index.companies.outlets import outlet_head
from index.companies.records import EntityExtraction, Mention
from index.companies.tables import CompanyPayload
from index.companies.who import ROLE_NOUNS, WORD_RE, find_who
from index.intake import Article

# "the company said", "The tech giant": a reference back to the company last named.
_ANAPHOR_RE = re.compile(
    rf"(?:\b[Tt]he|\b[Tt]his)\s+(?:[a-zA-Z][\w\-]*\s+){{0,2}}?(?:{ROLE_NOUNS})\b"
    rf"(?![\w\-])(?!\s+(?:[A-Z]|of\b|to\b))"
)
_PRONOUN_START_RE = re.compile(r"^[\"“‘'(]?(?:It|Its)\b")

_PROMO_RE = re.compile(r"newsletter|\bsign(?:ing)?\s+up\b|subscri|e-?mail\s+address|privacy\s+(?:notice|policy)|"
                       r"\bcookies?\b|\{\{", re.IGNORECASE)


def _is_prose(text: str, words: int) -> bool:
    """Running text: six words or more, no menu bars, no newsletter or sign-up box."""
    return words >= 6 and "|" not in text and not _PROMO_RE.search(text)


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
    payload.outlets = [(company_key(outlet_head(o) or o), outlet_head(o) or o) for o in result.outlets]
    if not mentions:
        return payload
    _add_sentence_rows(payload, body, spans, sentence_refs(body, spans, mentions))
    _add_article_rows(payload, article, mentions, result)
    payload.aliases = [(a.key, a.name, a.alias, company_key(a.alias), a.start, a.end)
                       for a in result.aliases]
    payload.who = find_who(body, spans, mentions)
    return payload


def _anaphor_at(text: str, first_named: int) -> int | None:
    """Where a sentence refers back to the running topic before naming anything: "The
    company said ..." (before the first name), or an opening "It"/"Its"."""
    m = _ANAPHOR_RE.search(text, 0, first_named)
    if m is not None:
        return m.start()
    if first_named > 0 and _PRONOUN_START_RE.match(text):
        return 0
    return None


def sentence_refs(body: str, spans: list[tuple[int, int]], mentions: list[Mention]) -> list[list[_Ref]]:
    """Per sentence: the named references, then an anaphor resolved to the running topic
    (the first company of the last sentence naming one, at most two sentences back)."""
    refs_by_sentence: list[list[_Ref]] = []
    topic: str | None = None
    topic_age = 99
    for (s, e), inside in zip(spans, per_sentence(mentions, spans), strict=True):
        refs = [_Ref(m.key, m.start, True) for m in inside]
        text = body[s:e]
        first_named = refs[0].start - s if refs else len(text)
        anaphor = _anaphor_at(text, first_named) if topic is not None and topic_age <= 2 else None
        if anaphor is not None and topic is not None and all(r.key != topic for r in refs):
            refs.insert(0, _Ref(topic, s + anaphor, False))
        refs_by_sentence.append(refs)
        if refs:
            topic, topic_age = refs[0].key, 0
        else:
            topic_age += 1
    return refs_by_sentence


def _add_sentence_rows(payload: CompanyPayload, body: str, spans: list[tuple[int, int]],
                       refs_by_sentence: list[list[_Ref]]) -> None:
    """One row per (company, sentence referring to it), and the relation rows."""
    for ord_, ((s, e), refs) in enumerate(zip(spans, refs_by_sentence, strict=True)):
        if not refs:
            continue
        text = body[s:e]
        flags = sentence_flags(text)
        words = len(WORD_RE.findall(text))
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


def _add_article_rows(payload: CompanyPayload, article: Article, mentions: list[Mention],
                      result: EntityExtraction) -> None:
    """Per (company, article): name, mentions, in the title, share, first offset, prose."""
    body = article.body
    names = result.companies()
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
