"""BM25 restricted to a small outlet is scored in this process (index.store.cluster.bm25), not
by a Milvus request: the scores and the order must be Milvus's own, and what it keeps must
follow the knowledge base when another process adds or removes an article."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.service import NewsService
from index.embedding import Embedder
from index.intake import make_article
from index.store.cluster.snapshot import ClusterSnapshot
from tests.index.store.cluster.conftest import Backend, ClusterServers
from tests.index.store.cluster.wholeness import REPO

# Harbour Gazette's words are also another outlet's: a document frequency counted within the
# outlet (not over the collection, as Milvus counts it) would give other scores.
ARTICLES = [
    ("h-1", "Harbour Gazette", "2024-05-02", "Night ferry to Estby",
     "Quillon Ferries will add a night crossing between Marrow Point and Estby from June. "
     "The crossing takes four hours. The ferry carries 300 passengers and their cars."),
    ("h-2", "Harbour Gazette", "2024-05-03", "Harbour dues rise",
     "The harbour board raised its dues for every ferry and every fishing boat. Ferry operators "
     "said the ferry fares would rise too, and the night crossing might end."),
    ("h-3", "Harbour Gazette", "2024-06-10", "A new pier",
     "Work on a new pier began. The pier will take the larger ferry from next spring. " * 4),
    ("h-4", "Harbour Gazette", "2024-06-11", "Lighthouse keeper retires",
     "The last lighthouse keeper on the coast retires after forty years. She kept the light for "
     "every crossing, night after night."),
    ("c-1", "Coast Wire", "2024-05-02", "Ferry strike called off",
     "A ferry strike was called off. Ferry crews, ferry cooks and ferry pilots returned to work "
     "on the night crossing and the day crossing."),
    ("c-2", "Coast Wire", "2024-05-20", "Fishing quotas",
     "Fishing quotas were cut for the coming season, and the harbour board objected."),
    ("r-1", "River Post", "2024-05-05", "River barge",
     "A river barge ran aground. Ferry traffic on the river was stopped for a day."),
]
QUERIES = [  # (terms, outlet, days)
    (["ferry", "crossing"], "Harbour Gazette", None),
    (["night crossing", "ferry"], "Harbour Gazette", None),   # a phrase: searched as its word pairs
    (["harbour", "board", "fare"], "Harbour Gazette", None),
    (["ferry", "night"], "Harbour Gazette", ("2024-05-01", "2024-05-31")),
    (["strike", "crew", "quota"], "Coast Wire", None),
]


@pytest.fixture
def cluster(cluster_servers: ClusterServers, tmp_path: Path) -> Backend:
    return Backend("cluster", tmp_path / "data", cluster_servers.new_database(), cluster_servers.milvus.uri)


def _articles():
    return [make_article(title=title, body=body, origin="test", article_id=aid, source=source, published_at=day)
            for aid, source, day, title, body in ARTICLES]


@contextmanager
def _milvus_searches(snap: ClusterSnapshot) -> Iterator[list[object]]:
    """Records the searches sent to the Milvus server (the pymilvus client's), still sent."""
    client = snap._chunks.client
    calls: list[object] = []
    search = client.search

    def recorded(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("filter"))
        return search(*args, **kwargs)

    client.search = recorded
    try:
        yield calls
    finally:
        del client.search


def _days(days: tuple[str, str] | None):
    from datetime import date

    return None if days is None else (date.fromisoformat(days[0]), date.fromisoformat(days[1]))


def test_outlet_bm25_is_scored_here_with_milvuss_scores_and_order(cluster: Backend, embedder: Embedder) -> None:
    service = NewsService(cluster.settings(), embedder=embedder)
    service.kb.add_articles(_articles())  # one write: one Milvus segment, whose statistics are the collection's
    with service.kb.reader() as snap:
        for terms, outlet, days in QUERIES:
            between = _days(days)
            with _milvus_searches(snap) as sent:
                local = snap.lexical_search(terms, 20, outlets={outlet}, published_between=between)
            assert sent == [], "an outlet of a few chunks is scored here, without a Milvus request"
            expr = snap._expr({outlet}, between)
            remote = snap._chunks.lexical(terms, 20, expr, snap._idf_factors(terms))
            assert local, terms
            assert [c for c, _ in local] == [c for c, _ in remote], terms
            for (_, mine), (_, milvus) in zip(local, remote, strict=True):
                # Milvus Lite reports a BM25 score as its negative (a distance), a cluster as it is.
                assert math.isclose(mine, abs(milvus), rel_tol=1e-5), (terms, mine, milvus)
        # An outlet larger than SCORED_CHUNKS is still Milvus's to search.
        with _milvus_searches(snap) as sent:
            snap.lexical_search(["ferry"], 20)
        assert len(sent) == 1
    service.close()


def test_bm25_columns_of_chunks_written_before_them_are_filled(cluster: Backend, embedder: Embedder) -> None:
    service = NewsService(cluster.settings(), embedder=embedder)
    service.kb.add_articles(_articles())
    lengths = "SELECT id, bm25_length, bm25_terms FROM chunks ORDER BY id"
    written = service.kb._sdb.execute(lengths).fetchall()
    assert all(n and n > 0 and len(terms) >= 10 for _, n, terms in written)
    service.kb._sdb.execute("UPDATE chunks SET bm25_length = NULL, bm25_terms = NULL")  # an older newsbot's rows
    service.kb._snapshot_cache.clear()
    with service.kb.reader() as snap, _milvus_searches(snap) as sent:  # not filled yet: Milvus searches the outlet
        hits = snap.lexical_search(["ferry"], 20, outlets={"Harbour Gazette"})
    assert len(sent) == 1 and len(hits) == 3
    service.close()
    service = NewsService(cluster.settings(), embedder=embedder)  # opening fills them again
    assert service.kb._sdb.execute(lengths).fetchall() == written
    service.close()


def _newsbot(cluster: Backend, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=REPO, env=cluster.env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_an_article_another_process_adds_or_removes_is_scored_here(cluster: Backend, embedder: Embedder,
                                                                  tmp_path: Path) -> None:
    service = NewsService(cluster.settings(), embedder=embedder)
    service.kb.add_articles(_articles())

    def found(word: str) -> set[str]:
        with service.kb.reader() as snap, _milvus_searches(snap) as sent:
            hits = snap.lexical_search([word], 20, outlets={"Harbour Gazette"})
            assert sent == []
            return {m[0] for m in snap.chunk_metadata([c for c, _ in hits]).values()}

    assert found("ferry") == {"h-1", "h-2", "h-3"}  # kept for this state of the knowledge base
    (tmp_path / "story.md").write_text("Quillon Ferries names its new ferry\nSource: Harbour Gazette\n"
                                       "Date: 2024-06-20\n\nQuillon Ferries named its new ferry Estby Star "
                                       "on Friday, at the new pier.\n")
    _newsbot(cluster, "index", "add", str(tmp_path / "story.md"))
    assert len(found("ferry")) == 4 and found("star") == found("ferry") - {"h-1", "h-2", "h-3"}
    [story] = found("star")
    _newsbot(cluster, "index", "remove", story)
    assert found("star") == set() and found("ferry") == {"h-1", "h-2", "h-3"}
    service.close()


def test_chunk_rows_read_with_their_metadata_are_the_stored_rows(cluster: Backend, embedder: Embedder) -> None:
    service = NewsService(cluster.settings(), embedder=embedder)
    service.kb.add_articles(_articles())
    with service.kb.reader() as snap:
        ids = snap.all_chunk_ids()
        stored = snap.chunks(ids)  # read from PostgreSQL: nothing described yet
    with service.kb.reader() as snap:
        snap.chunk_metadata(ids)
        statements = []
        rows = snap._rows
        snap._rows = lambda sql, params=(): statements.append(sql) or rows(sql, params)  # type: ignore[method-assign]
        assert snap.chunks(ids[:3]) == {c: stored[c] for c in ids[:3]}
        assert statements == []  # the rows came with the metadata
        article = stored[ids[0]].article_id
        assert snap.sentences(article, stored[ids[0]].start, stored[ids[0]].end)  # the sentence pool still reads
    service.close()
