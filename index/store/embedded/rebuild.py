"""Rebuilding the embedded store: every sentence, chunk and vector re-derived from the stored
article text with the configured model, in a scratch database that replaces the live one in
a single SQLite transaction (``backup``), so a kill at any point loses nothing. Articles are
read back one row at a time, so damage to some pages loses only the rows on them.

Usage::

    from index.store.embedded.rebuild import rebuild_into
    with writer_lock(data_dir, 120.0):
        report = rebuild_into(live_db, data_dir, enrichers, ingest=lambda scratch, todo: ...)
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from index.intake import Article
from index.store.base import ArticleEnricher, KnowledgeBaseError
from index.store.embedded.layout import DB_NAME, SCRATCH_NAME, warn
from index.store.embedded.schema import connect, create_schema, meta, set_meta, write_transaction
from index.store.records import AddReport, ArticleOutcome
from index.store.tables import ARTICLE_FIELDS

Ingest = Callable[[sqlite3.Connection, list[tuple[Article, bool]]], int]  # (scratch db, todo) -> chunks


def rebuild_into(live: sqlite3.Connection, data_dir: Path, enrichers: Sequence[ArticleEnricher],
                 ingest: Ingest) -> AddReport:
    """Re-derives the live database's articles into a scratch one, then copies it over the
    live one. The writer lock must be held."""
    articles = salvage_articles(live)
    expected = count_articles(live)
    if expected and not articles:
        raise KnowledgeBaseError(
            f"none of the {expected} articles in {data_dir / DB_NAME} can be read back, so the "
            "rebuild changed nothing; restore newsbot.db from a backup, or move it aside and add the "
            "articles again with `newsbot index add`")
    scratch_path = data_dir / SCRATCH_NAME
    _remove_scratch(scratch_path)
    scratch = connect(scratch_path)
    try:
        create_schema(scratch, enrichers)
        with write_transaction(scratch):
            try:
                generation = int(meta(live, "generation") or 0)
            except (sqlite3.DatabaseError, ValueError):
                generation = 0  # a damaged meta table; the new epoch makes every reader reload
            set_meta(scratch, "generation", generation + 1)
        report = AddReport(added=[ArticleOutcome(a.id, a.title, a.origin) for a in articles])
        report.chunks_added = ingest(scratch, [(a, False) for a in articles])
        scratch.backup(live)
    finally:
        scratch.close()
        _remove_scratch(scratch_path)
    return report


def _remove_scratch(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def salvage_articles(db: sqlite3.Connection) -> list[Article]:
    """Every article row that can still be read, one row at a time, so that damage to some
    pages of a database loses only the rows on them."""
    articles: list[Article] = []
    rowids: list[int] = []
    for sql in ("SELECT rowid FROM articles ORDER BY rowid",
                # the table's b-tree is unreadable: its primary-key index still lists the rows
                "SELECT rowid FROM articles INDEXED BY sqlite_autoindex_articles_1"):
        try:
            rowids = sorted(r[0] for r in db.execute(sql))
            break
        except sqlite3.DatabaseError:
            continue
    dropped = []
    for rowid in rowids:
        try:
            row = db.execute(f"SELECT {ARTICLE_FIELDS} FROM articles WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            dropped.append(rowid)
            continue
        if row is not None:
            articles.append(Article(*row))
    if dropped:
        warn(f"{len(dropped)} article rows are unreadable and were dropped (rowids {dropped[:20]}"
             f"{' ...' if len(dropped) > 20 else ''})")
    return articles


def count_articles(db: sqlite3.Connection) -> int | None:
    """How many articles the database says it holds (through an index), or None."""
    try:
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.DatabaseError:
        return None
