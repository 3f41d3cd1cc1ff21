"""Moving a knowledge base between backends: ``export_kb`` writes every article with its
derived rows (sentences and chunks with their vectors, the enrichers' rows) to a JSON Lines
file; ``import_kb`` reads it into a knowledge base. Into the cluster backend the rows are
copied as they are (no re-embedding, so answers stay the same); into the embedded store the
articles are added again (re-derived with its model).

Usage::

    from index.store.cluster.transfer import export_kb, import_kb
    export_kb(embedded_kb, Path("kb.newsbot.jsonl"))        # -> ExportReport(articles=609, chunks=7658)
    import_kb(cluster_kb, Path("kb.newsbot.jsonl"))         # -> AddReport (added / replaced / skipped)

File format: line 1 ``{"format": "newsbot-export", "version": 1, "model", "dim"}``; then one
object per article: ``article`` (the Article fields and added_at), ``sentences`` and ``chunks``
(``[start, end, base64 vector]``: int8 for sentences, float32 for chunks) and ``tables``
(enricher table → ``{"columns": [...], "rows": [[...], ...]}``).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

import numpy as np

from index.intake import Article
from index.store.additions import INGEST_BATCH
from index.store.base import KnowledgeBaseError
from index.store.cluster import sync
from index.store.cluster.schema import INSERT_CHUNK, chunk_word_columns
from index.store.records import AddReport, ArticleOutcome, quantize_int8
from index.store.tables import INSERT_ARTICLE, INSERT_SENTENCE, article_values

if TYPE_CHECKING:
    from index.store.base import KnowledgeBase
    from index.store.cluster.backend import ClusterKnowledgeBase
    from index.store.cluster.snapshot import ClusterSnapshot
    from index.store.cluster.sqlcompat import SqliteCompat
    from index.store.embedded import EmbeddedSnapshot

FORMAT = "newsbot-export"
VERSION = 1


@dataclass
class ExportReport:
    articles: int = 0
    chunks: int = 0
    seconds: float = 0.0


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(array.tobytes()).decode("ascii")


def _is_cluster(kb: object) -> TypeGuard[ClusterKnowledgeBase]:
    return type(kb).__name__ == "ClusterKnowledgeBase"


def _columns(snap: ClusterSnapshot | EmbeddedSnapshot, table: str, cluster: bool) -> list[str]:
    """The table's columns, without a generated sequence key (the target assigns its own)."""
    if cluster:
        rows = snap._rows("SELECT column_name, column_default FROM information_schema.columns "
                          "WHERE table_name = %s ORDER BY ordinal_position", (table,))
        return [name for name, default in rows if not str(default or "").startswith("nextval(")]
    info = snap.query(f"PRAGMA table_info({table})")
    keys = [r for r in info if r[5]]
    generated = {r[1] for r in keys if len(keys) == 1 and str(r[2]).upper() == "INTEGER" and r[1] != "article_id"}
    return [r[1] for r in info if r[1] not in generated]


def _chunk_rows(snap: ClusterSnapshot | EmbeddedSnapshot, article_id: str,
                cluster: bool) -> list[tuple[int, int, bytes]]:
    if cluster:
        return snap._rows('SELECT start, "end", vector FROM chunks WHERE article_id = %s ORDER BY ord', (article_id,))
    return snap.query('SELECT c.start, c."end", v.vector FROM chunks c JOIN chunk_vectors v ON v.chunk_id = c.id '
                      "WHERE c.article_id = ? ORDER BY c.ord", (article_id,))


def export_kb(kb: KnowledgeBase, path: Path) -> ExportReport:
    """Writes the whole knowledge base (either backend) to ``path``, from one snapshot."""
    started = time.perf_counter()
    report = ExportReport()
    cluster = _is_cluster(kb)
    tables = [t for e in kb.enrichers for t in e.tables]
    with kb.reader() as snap, path.open("w", encoding="utf-8") as out:
        ids = [r[0] for r in snap.query("SELECT id FROM articles ORDER BY rowid")]
        dim = next((len(np.frombuffer(r[2], dtype=np.float32)) for i in ids[:1] for r in _chunk_rows(snap, i, cluster)),
                   kb.embedder.dim)
        out.write(json.dumps({"format": FORMAT, "version": VERSION, "model": kb.model_name or kb.embedder.name,
                              "dim": dim}) + "\n")
        columns = {t: _columns(snap, t, cluster) for t in tables}
        for at in range(0, len(ids), 64):
            for article_id, row in snap.articles(ids[at:at + 64]).items():
                record = {"article": {"id": row.id, "title": row.title, "body": row.body, "source": row.source,
                                      "url": row.url, "published_at": row.published_at, "author": row.author,
                                      "origin": row.origin, "added_at": row.added_at},
                          "sentences": [[s.start, s.end, _b64(quantize_int8(s.vector))]
                                        for s in snap.article_sentences(article_id)],
                          "chunks": [[int(s), int(e), base64.b64encode(bytes(v)).decode("ascii")]
                                     for s, e, v in _chunk_rows(snap, article_id, cluster)],
                          "tables": {}}
                for table in tables:
                    names = columns[table]
                    marks = "?"
                    rows = snap.query(f"SELECT {', '.join(_quoted(n) for n in names)} FROM {table} "
                                      f"WHERE article_id = {marks}", (article_id,))
                    if rows:
                        record["tables"][table] = {"columns": names, "rows": [list(r) for r in rows]}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                report.articles += 1
                report.chunks += len(record["chunks"])
    report.seconds = time.perf_counter() - started
    return report


def _quoted(name: str) -> str:
    return f'"{name}"'


def read_export(path: Path) -> tuple[dict, Iterator[dict]]:
    """The header and the article records; a file that is not an export is refused."""
    handle = path.open(encoding="utf-8")
    try:
        header = json.loads(handle.readline() or "{}")
    except ValueError:
        header = {}
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        handle.close()
        raise KnowledgeBaseError(f"{path} is not a newsbot export (version {VERSION})")

    def records() -> Iterator[dict]:
        with handle:
            for number, line in enumerate(handle, start=2):
                try:
                    yield json.loads(line)
                except ValueError:
                    raise KnowledgeBaseError(f"{path}:{number}: not valid JSON; nothing after line "
                                             f"{number - 1} was imported") from None

    return header, records()


def import_kb(kb: KnowledgeBase, path: Path) -> AddReport:
    header, records = read_export(path)
    if not _is_cluster(kb):  # the embedded store derives its own rows
        return kb.add_articles([_article(r) for r in records])
    if header.get("model") != kb.embedder.name:
        raise KnowledgeBaseError(f"the export was made with the model {header.get('model')!r}, but the configured "
                                 f"model is {kb.embedder.name!r}; configure that model, or add the articles with "
                                 "`newsbot index add` to re-embed them")
    started = time.perf_counter()
    report = AddReport()
    batch: list[dict] = []
    for record in records:
        batch.append(record)
        if len(batch) == INGEST_BATCH:
            _import_batch(kb, batch, report)
            batch = []
    if batch:
        _import_batch(kb, batch, report)
    kb.sync_milvus()
    report.seconds = time.perf_counter() - started
    return report


def _article(record: dict) -> Article:
    fields = record["article"]
    return Article(fields["id"], fields["title"], fields["body"], fields.get("source") or "", fields.get("url"),
                   fields.get("published_at"), fields.get("author"), fields.get("origin") or "")


def _import_batch(kb: ClusterKnowledgeBase, batch: Sequence[dict], report: AddReport) -> None:
    """One transaction with a change-log entry per article, like an add."""
    with kb._writing() as db, db.conn.transaction():
        conn = db.conn
        conn.execute("INSERT INTO meta(key, value) VALUES ('model', %s), ('dim', %s) ON CONFLICT DO NOTHING",
                     (kb.embedder.name, str(kb.embedder.dim)))
        for record in batch:
            article = _article(record)
            outcome = ArticleOutcome(article.id, article.title, article.origin)
            row = conn.execute("SELECT content_hash FROM articles WHERE id = %s", (article.id,)).fetchone()
            if row is not None and row[0] == article.content_hash:
                report.skipped.append(ArticleOutcome(article.id, article.title, article.origin,
                                                     "already indexed, unchanged"))
                continue
            if row is not None:
                kb._delete_article_rows(db, article.id)
            _insert_record(db, article, record, {t for e in kb.enrichers for t in e.tables})
            conn.execute("INSERT INTO change_log(article_id, op) VALUES (%s, 'upsert')", (article.id,))
            (report.replaced if row is not None else report.added).append(outcome)
            report.chunks_added += len(record["chunks"])
        sync.bump_generation(conn)


def _insert_record(db: SqliteCompat, article: Article, record: dict, known: set[str]) -> None:
    db.execute(INSERT_ARTICLE, article_values(article, record["article"].get("added_at") or ""))
    words = [chunk_word_columns(article.body[s:e], article.title, article.source, article.published_at)
             for s, e, _ in record["chunks"]]
    db.executemany(INSERT_CHUNK, [(article.id, i, s, e, base64.b64decode(v), *columns)
                                  for i, ((s, e, v), columns) in enumerate(zip(record["chunks"], words, strict=True))])
    db.executemany(INSERT_SENTENCE, [(article.id, i, s, e, base64.b64decode(v))
                                     for i, (s, e, v) in enumerate(record["sentences"])])
    for table, content in record["tables"].items():
        if table not in known:
            continue  # an enricher this installation does not run
        names = content["columns"]
        db.executemany(f"INSERT INTO {table}({', '.join(_quoted(n) for n in names)}) "
                       f"VALUES ({', '.join('?' * len(names))})", content["rows"])
