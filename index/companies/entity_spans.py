"""Named-entity spans of every article (people, organisations, places, products ...), found
once at ingest with the company extractor's spaCy model, so answering never runs NER.

Usage::

    from index.companies.entity_spans import SentenceEntities, entity_spans, name_vocabulary
    kb = EmbeddedKnowledgeBase.open(data_dir, embedder, enrichers=[SentenceEntities()])
    with kb.reader() as snap:
        spans = entity_spans(snap, ["a1"])        # {"a1": [EntitySpan(start, end, "ORG"), ...]}
        vocab = name_vocabulary(snap)             # {"xiaomi": ("Xiaomi", 14), ...}

It is an :class:`index.store.ArticleEnricher`: its rows are written in the article's own
transaction and removed with it. Offsets are into the stored body, like every quote.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from index.companies.tables import TableSnapshot
from index.intake import Article

SCHEMA = """
CREATE TABLE IF NOT EXISTS entity_spans (
    article_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    label TEXT NOT NULL,
    name_key TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (article_id, start, end)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_spans_key ON entity_spans(name_key);
CREATE TABLE IF NOT EXISTS entity_spans_done (article_id TEXT PRIMARY KEY) WITHOUT ROWID;
"""
TABLES = ("entity_spans", "entity_spans_done")
# The labels that name something a question can be about or ask for.
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"})
_KEY_JUNK = re.compile(r"^(?:the|a|an)\s+|['’]s$")
_LOCK = threading.Lock()


@dataclass(frozen=True)
class EntitySpan:
    start: int
    end: int
    label: str


def name_key(text: str) -> str:
    """How a name is looked up: lower case, one space, no leading article or possessive."""
    return _KEY_JUNK.sub("", " ".join(text.lower().replace("’", "'").split())).strip(" .,'\"")


class SentenceEntities:
    """The enricher. spaCy loads on the first :meth:`prepare` (shared with the company index)."""

    schema = SCHEMA
    tables = TABLES

    def prepare(self, articles: Sequence[Article], sentences: Sequence[Sequence[tuple[int, int]]]) -> list[object]:
        from index.companies.enricher import shared_extractor

        nlp = shared_extractor().nlp
        with _LOCK:  # one spaCy pipeline per process; writers are serialised anyway
            docs = list(nlp.pipe((a.body for a in articles), batch_size=32))
        return [[EntitySpan(e.start_char, e.end_char, e.label_) for e in doc.ents if e.text.strip()]
                for doc in docs]

    def write(self, db: sqlite3.Connection, article: Article, payload: object) -> None:
        spans = payload if isinstance(payload, list) else []
        db.executemany(
            "INSERT OR IGNORE INTO entity_spans(article_id, start, end, label, name_key, name) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(article.id, s.start, s.end, s.label, name_key(article.body[s.start:s.end]),
              " ".join(article.body[s.start:s.end].split())) for s in spans])
        db.execute("INSERT OR IGNORE INTO entity_spans_done(article_id) VALUES (?)", (article.id,))

    def pending(self, db: sqlite3.Connection) -> list[str]:
        return [r[0] for r in db.execute(
            "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM entity_spans_done) ORDER BY rowid")]


def entity_spans(snap: TableSnapshot, article_ids: Sequence[str]) -> dict[str, list[EntitySpan]]:
    """The stored spans of some articles, in body order; articles without rows map to []."""
    ids = sorted(set(article_ids))
    found: dict[str, list[EntitySpan]] = {a: [] for a in ids}
    if not ids:
        return found
    marks = ",".join("?" * len(ids))
    try:
        rows = snap.query(
            f"SELECT article_id, start, end, label FROM entity_spans WHERE article_id IN ({marks}) "
            "ORDER BY article_id, start", ids)
    except sqlite3.OperationalError:
        return found  # a store opened without this enricher
    for article_id, start, end, label in rows:
        found[article_id].append(EntitySpan(start, end, label))
    return found


def name_vocabulary(snap: TableSnapshot) -> dict[str, tuple[str, int]]:
    """Every name the articles use, by :func:`name_key`: its commonest written form and how
    many articles use it. Cached for the snapshot's generation."""

    def compute() -> dict[str, tuple[str, int]]:
        try:
            rows = snap.query(
                # min(name): a capitalised form sorts before a lower-case one
                "SELECT name_key, min(name), count(DISTINCT article_id) FROM entity_spans "
                f"WHERE label IN ({','.join('?' * len(NAME_LABELS))}) GROUP BY name_key", sorted(NAME_LABELS))
        except sqlite3.OperationalError:
            return {}
        return {key: (name, count) for key, name, count in rows if len(key) >= 2}

    return snap.memo("name_vocabulary", compute)


def name_word_counts(snap: TableSnapshot) -> Counter[str]:
    """Single words of the names in :func:`name_vocabulary`, weighted by articles: what a
    misspelt word is matched against."""

    def compute() -> Counter[str]:
        counts: Counter[str] = Counter()
        for key, (_, articles) in name_vocabulary(snap).items():
            for word in key.split():
                if len(word) >= 3 and word.isalpha():
                    counts[word] += articles
        return counts

    return snap.memo("name_word_counts", compute)
