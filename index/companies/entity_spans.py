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

The name vocabulary is kept as counts beside the spans (``entity_names``: articles per name
key; ``entity_forms``: spans per written form), updated in the same transaction as the spans
(``write`` and ``forget``), so a question looks a name up by its key instead of grouping every
span of the store (35 s at 1M chunks, on the first question after a start or after any add).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
_LABEL_LIST = ", ".join(f"'{label}'" for label in sorted(NAME_LABELS))
# Counts derived from entity_spans (no article_id: ``forget`` takes an article's share out).
# Created filled from the spans on a store that predates them, once, at open.
VOCABULARY_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS entity_names (
    name_key TEXT PRIMARY KEY,
    articles INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entity_forms (
    name_key TEXT NOT NULL,
    name TEXT NOT NULL,
    spans INTEGER NOT NULL,
    PRIMARY KEY (name_key, name)
) WITHOUT ROWID;
INSERT INTO entity_names(name_key, articles)
    SELECT name_key, count(DISTINCT article_id) FROM entity_spans
    WHERE label IN ({_LABEL_LIST}) AND NOT EXISTS (SELECT 1 FROM entity_names) GROUP BY name_key;
INSERT INTO entity_forms(name_key, name, spans)
    SELECT name_key, name, count(*) FROM entity_spans
    WHERE label IN ({_LABEL_LIST}) AND NOT EXISTS (SELECT 1 FROM entity_forms) GROUP BY name_key, name;
"""
DERIVED_TABLES = ("entity_names", "entity_forms")
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

    schema = SCHEMA + VOCABULARY_SCHEMA
    tables = TABLES
    derived_tables = DERIVED_TABLES

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
        _count_names(db, article.id, +1)

    def forget(self, db: sqlite3.Connection, article_id: str) -> None:
        """Takes a stored article's names out of the counts; called before its rows are deleted."""
        _count_names(db, article_id, -1)

    def pending(self, db: sqlite3.Connection) -> list[str]:
        return [r[0] for r in db.execute(
            "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM entity_spans_done) ORDER BY rowid")]


def _count_names(db: sqlite3.Connection, article_id: str, sign: int) -> None:
    """Adds (+1) or takes out (-1) one article's stored spans from the vocabulary counts:
    the article counts once per name key, each written form once per span. Read from the
    article's rows (not the payload), so the counts always match what the table holds."""
    forms = db.execute(
        f"SELECT name_key, name, count(*) FROM entity_spans WHERE article_id = ? AND label IN ({_LABEL_LIST}) "
        "GROUP BY name_key, name", (article_id,)).fetchall()
    for key in sorted({key for key, _, _ in forms}):
        _bump(db, "entity_names", "articles", ("name_key",), (key,), sign)
    for key, name, spans in forms:
        _bump(db, "entity_forms", "spans", ("name_key", "name"), (key, name), sign * int(spans))


def _bump(db: sqlite3.Connection, table: str, column: str, keys: tuple[str, ...], values: tuple[str, ...],
          change: int) -> None:
    """Adds ``change`` to a counter row, creating it or deleting it at zero. Plain SQL that
    both backends speak (the cluster's PostgreSQL through its SQLite-dialect wrapper)."""
    where = " AND ".join(f"{k} = ?" for k in keys)
    cursor = db.execute(f"UPDATE {table} SET {column} = {column} + ? WHERE {where}", (change, *values))
    if cursor.rowcount == 0 and change > 0:
        db.execute(f"INSERT INTO {table}({', '.join(keys)}, {column}) VALUES ({', '.join('?' * (len(keys) + 1))})",
                   (*values, change))
    elif change < 0:
        db.execute(f"DELETE FROM {table} WHERE {where} AND {column} <= 0", values)


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


# A name's first written form in sort order (a capitalised form sorts before a lower-case one).
_FIRST_FORM = "(SELECT name FROM entity_forms f WHERE f.name_key = n.name_key ORDER BY name LIMIT 1)"


class NameVocabulary(Mapping[str, tuple[str, int]]):
    """Every name the articles use, by :func:`name_key`, looked up in the stored counts (one
    key at a time, or many at once with :meth:`prefetch`): (its first written form in sort
    order, where a capitalised form sorts before a lower-case one; how many articles use it).
    Keys shorter than two characters are left out. Iterating reads the whole table (nothing
    on the question path does)."""

    def __init__(self, snap: TableSnapshot) -> None:
        self._snap = snap

    def __getitem__(self, key: str) -> tuple[str, int]:
        if len(key) < 2:
            raise KeyError(key)
        # Kept until the knowledge base changes, misses too: a question looks up every run of
        # up to five of its words, most of them twice ("in", then the form), and again for
        # each reading of it (about 400 reads a MultiHop question, 190 distinct keys), which
        # on PostgreSQL are as many round trips.
        self.prefetch([key])
        entry = self._snap.memo(("name_vocabulary", key), lambda: None)
        if entry is None:
            raise KeyError(key)
        return entry

    def prefetch(self, keys: Iterable[str]) -> None:
        """Looks up many keys in one query, for the per-key lookups that follow: a question's
        runs of words were one round trip each (about 150 a MultiHop question, 56 ms of its
        time on PostgreSQL)."""
        fetched: set[str] = self._snap.memo("name_vocabulary_fetched", set)  # until the base changes
        wanted = sorted({k for k in keys if len(k) >= 2} - fetched)
        if not wanted:
            return
        found: dict[str, tuple[str, int]] = {}
        marks = ",".join("?" * len(wanted))
        try:
            rows = self._snap.query(f"SELECT n.name_key, {_FIRST_FORM}, n.articles FROM entity_names n "
                                    f"WHERE n.name_key IN ({marks})", wanted)
        except sqlite3.OperationalError:  # a store opened without this enricher
            rows = []
        for key, name, count in rows:
            if name is not None:
                found[key] = (str(name), int(count))
        for key in wanted:  # misses too
            self._snap.memo(("name_vocabulary", key), lambda key=key: found.get(key))
        fetched.update(wanted)  # only now: a reader beside this one must find each entry kept

    def _all(self) -> dict[str, tuple[str, int]]:
        try:
            rows = self._snap.query(f"SELECT n.name_key, {_FIRST_FORM}, n.articles FROM entity_names n")
        except sqlite3.OperationalError:
            return {}
        return {key: (name, int(count)) for key, name, count in rows if len(key) >= 2 and name is not None}

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def name_vocabulary(snap: TableSnapshot) -> NameVocabulary:
    """Every name the articles use, by :func:`name_key`: its written form and how many
    articles use it (see :class:`NameVocabulary`)."""
    return NameVocabulary(snap)


def name_word_counts(snap: TableSnapshot) -> Counter[str]:
    """Single words of the names in :func:`name_vocabulary`, weighted by articles: what a
    misspelt word is matched against. One pass over the distinct names (not the spans),
    only when a question needs it; cached for the snapshot's generation."""
    return _name_words(snap)[0]


def most_used_name_with_end(snap: TableSnapshot, word: str) -> tuple[str, int, int] | None:
    """The name most articles use of those whose first or last word is ``word`` (a key's
    word): (its key, its articles, the articles of every name holding the word); from the
    same pass as :func:`name_word_counts`."""
    found = _name_words(snap)[1].get(word)
    return None if found is None else (*found, _name_words(snap)[2][word])


def _name_words(snap: TableSnapshot) -> tuple[Counter[str], dict[str, tuple[str, int]], Counter[str]]:
    def compute() -> tuple[Counter[str], dict[str, tuple[str, int]], Counter[str]]:
        counts: Counter[str] = Counter()  # alphabetic words, what typos are matched against
        holding: Counter[str] = Counter()  # every word with a letter ("49ers")
        ends: dict[str, tuple[str, int]] = {}
        try:
            rows = snap.query("SELECT name_key, articles FROM entity_names")
        except sqlite3.OperationalError:
            return counts, ends, holding
        for key, articles in rows:
            if len(key) < 2:
                continue
            parts, articles = key.split(), int(articles)
            for word in parts:
                if len(word) >= 3 and word.isalpha():
                    counts[word] += articles
            for word in set(parts):
                if any(ch.isalpha() for ch in word):
                    holding[word] += articles
            for end in {parts[0], parts[-1]} if len(parts) > 1 else ():
                if articles > ends.get(end, ("", 0))[1]:
                    ends[end] = (key, articles)
        return counts, ends, holding

    return snap.memo("name_words", compute)
