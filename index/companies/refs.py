"""What a company summary reads about one company: the articles that name it and their
focus on it, the sentences referring to it (with stored vectors), its relations and its
descriptions.

Usage::

    from index.companies.refs import article_focus, relation_refs, sentence_refs, who_refs
    with kb.reader() as snap:
        keys = directory.companies["baic"].keys
        focus = article_focus(snap, keys)         # article id -> ArticleFocus
        facts = sentence_refs(snap, keys)         # [SentenceRef(...), ...]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from index.companies.tables import TableSnapshot, marks


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


def _vector(blob: bytes | None) -> Any:
    if blob is None:
        return None
    import numpy as np

    vector = np.frombuffer(blob, dtype=np.int8).astype(np.float32) / 127.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def article_focus(snap: TableSnapshot, keys: Sequence[str]) -> dict[str, ArticleFocus]:
    """article id -> the company's weight in it (several keys of one company are summed)."""
    rows = snap.query(
        f"SELECT ca.article_id, ca.mentions, ca.in_title, ca.share, ci.sentences FROM company_articles ca "
        f"JOIN company_indexed ci ON ci.article_id = ca.article_id WHERE ca.key IN ({marks(keys)})", list(keys))
    out: dict[str, ArticleFocus] = {}
    for aid, mentions, in_title, share, sentences in rows:
        old = out.get(aid)
        if old is not None:
            mentions, in_title, share = (old.mentions + mentions, old.in_title or in_title, old.share + share)
        out[aid] = ArticleFocus(aid, int(mentions), bool(in_title), float(share), int(sentences))
    return out


def sentence_refs(snap: TableSnapshot, keys: Sequence[str],
                  article_ids: Sequence[str] | None = None) -> list[SentenceRef]:
    """Sentences referring to the company, one per sentence, with stored vectors."""
    where = f"cs.key IN ({marks(keys)})"
    params: list[object] = list(keys)
    if article_ids is not None:
        where += f" AND cs.article_id IN ({marks(article_ids)})"
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


def relation_refs(snap: TableSnapshot, keys: Sequence[str]) -> list[RelationRef]:
    placeholders = marks(keys)
    rows = snap.query(
        f'SELECT article_id, b_key, start, "end", named, cue FROM company_relations WHERE a_key IN ({placeholders}) '
        f'UNION ALL SELECT article_id, a_key, start, "end", named, cue FROM company_relations '
        f"WHERE b_key IN ({placeholders})", [*keys, *keys])
    own = set(keys)
    return [RelationRef(aid, other, int(s), int(e), bool(named), bool(cue))
            for aid, other, s, e, named, cue in rows if other not in own]


def who_refs(snap: TableSnapshot, keys: Sequence[str]) -> list[WhoRef]:
    rows = snap.query(
        f'SELECT article_id, key, start, "end", kind, descriptor FROM company_who WHERE key IN ({marks(keys)})',
        list(keys))
    return [WhoRef(aid, key, int(s), int(e), kind, desc) for aid, key, s, e, kind, desc in rows]
