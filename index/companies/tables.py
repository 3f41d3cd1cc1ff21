"""The company tables: their schema, one article's rows (computed before the write
transaction) and the write itself, plus the read view every reader takes.

Usage::

    from index.companies.tables import TABLES, CompanyPayload, write_payload
    write_payload(db, article.id, payload)        # inside the article's own transaction

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
  rank facts at query time (position, length, :mod:`flags <index.companies.flags>`), so a
  summary needs no NLP.
- ``company_relations``: pairs of companies referred to in one sentence, with a flag for
  relation words ("joining forces with", "joint venture", "acquire").
- ``company_who``: descriptions of a company found in the text (:mod:`index.companies.who`).
- ``company_outlets``: the outlets each article cites or comes from, which are never
  companies.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

T = TypeVar("T")


class TableSnapshot(Protocol):
    """What the readers here need of a knowledge-base snapshot (either backend's):
    read-only SQL over its tables, and a value kept until the knowledge base changes."""

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]: ...

    def memo(self, key: object, compute: Callable[[], T]) -> T: ...


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


def marks(values: Sequence[object]) -> str:
    """``?,?,?``: one SQL placeholder per value."""
    return ",".join("?" * len(values))
