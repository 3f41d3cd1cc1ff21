"""The cluster backend's own guarantees: Milvus repaired from PostgreSQL's change log after a
crash between the two, restored when lost, an article added by one process answerable in
another, export/import between the backends, rebuild, and one-line configuration errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.doctor import run_checks
from bot.service import NewsService
from index.embedding import Embedder
from index.intake import parse_paths
from index.store import KnowledgeBaseError
from index.store.cluster import cluster_configured
from index.store.cluster.transfer import export_kb, import_kb
from tests.conftest import SEEDS, TEST_ARTICLES
from tests.index.store.cluster.conftest import Backend, ClusterServers
from tests.index.store.cluster.wholeness import REPO, whole_or_absent

STORY = """Quillon Ferries adds a night crossing
Source: Harbour Gazette
Date: 2024-05-02

Quillon Ferries will add a night crossing between Marrow Point and Estby from June, the operator said on Thursday.
The crossing takes four hours and carries up to 300 passengers.
"""


@pytest.fixture
def cluster(cluster_servers: ClusterServers, tmp_path: Path) -> Backend:
    return Backend("cluster", tmp_path / "data", cluster_servers.new_database(), cluster_servers.milvus.uri)


def _found(service: NewsService, word: str) -> set[str]:
    with service.kb.reader() as snap:
        hits = snap.lexical_search([word], 10)
        return {m[0] for m in snap.chunk_metadata([c for c, _ in hits]).values()}


def test_milvus_behind_postgresql_is_caught_up_by_the_next_reader(cluster: Backend, embedder: Embedder) -> None:
    writer = cluster.service(embedder)
    writer.add_paths([SEEDS])
    kb = writer.kb
    with kb._sdb.transaction():
        applied = kb._sdb.execute("SELECT value FROM meta WHERE key = 'milvus_seq'").fetchone()[0]
    (Path(cluster.data_dir.parent) / "story.md").write_text(STORY)
    outcome = writer.add_paths([cluster.data_dir.parent / "story.md"])
    story_id = outcome.report.added[0].id
    # The state a crash right after the PostgreSQL commit leaves: Milvus never heard of it.
    kb._collection.delete_articles([story_id])
    kb._sdb.execute("UPDATE meta SET value = %s WHERE key = 'milvus_seq'", (applied,))
    assert kb.compare().problems
    [doctor] = [c for c in run_checks(writer) if c.name == "search index agrees with PostgreSQL"]
    assert not doctor.ok and "milvus" in doctor.detail.lower() and "rebuild" in doctor.fix
    other = cluster.service(embedder)  # another process's view: its first reader repairs Milvus
    assert _found(other, "quillon") == {story_id}
    assert other.kb.compare().ok
    [doctor] = [c for c in run_checks(other) if c.name == "search index agrees with PostgreSQL"]
    assert doctor.ok, doctor
    writer.close()
    other.close()


def test_a_lost_collection_is_restored_from_postgresql(cluster: Backend, embedder: Embedder) -> None:
    service = cluster.service(embedder)
    service.add_paths([SEEDS, TEST_ARTICLES])
    chunks = service.kb.counts()["chunks"]
    service.kb._collection.drop()
    assert service.ask("Did Hyundai confirm the plant deal?").passages  # the reader restored it
    assert service.kb.compare().ok and service.kb.compare().milvus_chunks == chunks
    assert service.kb.restore_milvus() == chunks
    assert service.kb.compare().ok
    service.close()


def test_a_collection_of_an_older_layout_is_refilled_and_a_released_one_loaded(cluster: Backend,
                                                                                embedder: Embedder) -> None:
    service = cluster.service(embedder)
    service.add_paths([SEEDS, TEST_ARTICLES])
    chunks = service.kb.counts()["chunks"]
    collection = service.kb._collection
    collection.drop()  # what an older newsbot made: the same name, another layout
    collection.client.create_collection(collection.name, dimension=embedder.dim)
    service.close()
    service = cluster.service(embedder)  # a restarted process
    assert service.ask("Did Hyundai confirm the plant deal?").passages  # its first reader refilled it
    layout = service.kb._sdb.execute("SELECT value FROM meta WHERE key = 'milvus_layout'").fetchone()[0]
    assert service.kb._collection.is_current(layout) and service.kb.compare().milvus_chunks == chunks
    service.kb._collection.client.release_collection(service.kb._collection.name)  # a restarted server
    service.close()
    service = cluster.service(embedder)
    assert service.ask("Did Hyundai confirm the plant deal?").passages
    service.close()


def test_a_restarted_process_keeps_a_current_collection(cluster: Backend, embedder: Embedder) -> None:
    # A milvus-lite server keeps no collection description: reading the layout from it
    # refilled the whole collection from PostgreSQL at every process start.
    service = cluster.service(embedder)
    service.add_paths([SEEDS])
    synced = "SELECT value FROM meta WHERE key = 'milvus_synced_at'"
    before = service.kb._sdb.execute(synced).fetchone()[0]
    service.close()
    service = cluster.service(embedder)
    assert service.ask("Did Hyundai confirm the plant deal?").passages
    assert service.kb._sdb.execute(synced).fetchone()[0] == before  # no restore, no catch-up
    service.close()


def test_an_article_added_by_another_process_is_answerable_here(cluster: Backend, embedder: Embedder,
                                                                tmp_path: Path) -> None:
    service = cluster.service(embedder)
    service.add_paths([SEEDS])
    assert service.ask("When does the Quillon Ferries night crossing start?").abstained
    (tmp_path / "story.md").write_text(STORY)
    done = subprocess.run([sys.executable, "-m", "bot.cli", "index", "add", str(tmp_path / "story.md")], cwd=REPO,
                          env=cluster.env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    answer = service.ask("When does the Quillon Ferries night crossing start?")
    assert not answer.abstained
    assert any("June" in q.text for q in answer.quotes)
    service.close()


def test_export_from_embedded_and_import_into_the_cluster_give_the_same_answers(
        cluster: Backend, embedder: Embedder, tmp_path: Path) -> None:
    embedded = Backend("embedded", tmp_path / "embedded").service(embedder)
    embedded.add_paths([SEEDS, TEST_ARTICLES])
    exported = export_kb(embedded.kb, tmp_path / "kb.newsbot.jsonl")
    target = cluster.service(embedder)
    report = import_kb(target.kb, tmp_path / "kb.newsbot.jsonl")
    assert len(report.added) == exported.articles == 8
    assert target.kb.counts() == embedded.kb.counts()
    assert target.kb.compare().ok
    assert whole_or_absent(target.kb, parse_paths([SEEDS, TEST_ARTICLES]).articles) == []
    for question in ("Did Hyundai confirm the plant deal?", "What did Nordwind recall?"):
        a, b = embedded.ask(question), target.ask(question)
        assert (a.verdict, a.abstained, [(q.article_id, q.start, q.end) for q in a.quotes]) == \
               (b.verdict, b.abstained, [(q.article_id, q.start, q.end) for q in b.quotes])
    assert [c.name for c in embedded.companies()] == [c.name for c in target.companies()]
    again = import_kb(target.kb, tmp_path / "kb.newsbot.jsonl")
    assert not again.added and len(again.skipped) == 8
    (tmp_path / "not-an-export.jsonl").write_text('{"title": "x"}\n')
    with pytest.raises(KnowledgeBaseError, match="not a newsbot export"):
        import_kb(target.kb, tmp_path / "not-an-export.jsonl")
    embedded.close()
    target.close()


def test_rebuild_rederives_every_row_and_refills_milvus(cluster: Backend, embedder: Embedder) -> None:
    service = cluster.service(embedder)
    service.add_paths([SEEDS, TEST_ARTICLES])
    before, collection = service.kb.counts(), service.kb._collection.name
    report = service.rebuild()
    assert len(report.added) == 8
    assert service.kb.counts() == before
    assert service.kb._collection.name != collection and service.kb.compare().ok
    assert whole_or_absent(service.kb, parse_paths([SEEDS, TEST_ARTICLES]).articles) == []
    assert service.ask("Did Hyundai confirm the plant deal?").passages
    service.close()


def test_the_cluster_needs_both_settings_and_says_which_is_missing(tmp_path: Path, embedder: Embedder) -> None:
    assert cluster_configured(None, None) is False
    with pytest.raises(KnowledgeBaseError, match="NEWSBOT_MILVUS_URI is not set"):
        cluster_configured("postgresql://x@127.0.0.1/db", None)
    with pytest.raises(KnowledgeBaseError, match="must be a postgresql:// URL"):
        cluster_configured("mysql://x@127.0.0.1/db", "http://127.0.0.1:1")
    service = NewsService(Settings(data_dir=tmp_path, database_url="postgresql://nobody@127.0.0.1:9/none",
                                   milvus_uri="http://127.0.0.1:9"), embedder=embedder)
    with pytest.raises(KnowledgeBaseError) as error:
        service.open_kb()
    assert "\n" not in str(error.value) and "cannot use the PostgreSQL database" in str(error.value)
    assert not any(tmp_path.iterdir())
