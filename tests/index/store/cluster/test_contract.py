"""The knowledge-base contract, run against both backends (embedded SQLite + FAISS + tantivy,
and PostgreSQL + Milvus Lite): offsets, dedupe, replace and remove, bad files, the seed
question, and a SIGKILL in the middle of an add."""

from __future__ import annotations

import json
import random
from pathlib import Path

from bot.service import NewsService
from index.companies import CompanyIndex, company_directory
from index.embedding import Embedder
from index.intake import make_article, parse_paths
from index.store import KnowledgeBase
from index.store.cluster import open_cluster
from index.store.embedded import EmbeddedKnowledgeBase
from tests.conftest import SEEDS, TEST_ARTICLES
from tests.index.store.cluster.conftest import Backend
from tests.index.store.cluster.wholeness import kill_during_add, whole_or_absent
from tests.reliability.crash_add import write_generated_articles


def _story(article_id: str, body: str):
    return make_article(title="Contract story", body=body, origin="test", article_id=article_id,
                        source="Contract Wire", published_at="2024-03-05")


def _lexical_ids(service: NewsService, word: str) -> set[str]:
    with service.kb.reader() as snap:
        hits = snap.lexical_search([word], 20)
        return {meta[0] for meta in snap.chunk_metadata([c for c, _ in hits]).values()}


def test_phrases_and_outlet_restrictions_read_the_same_on_both_backends(kb_service: NewsService,
                                                                        embedder: Embedder) -> None:
    kb = kb_service.kb
    kb.add_articles([
        make_article(title="Harbour news", body="The ferry operator signed the plant deal on Monday. " * 3,
                     origin="test", article_id="p-1", source="Contract Wire", published_at="2024-03-05"),
        make_article(title="Other news", body="A deal was signed for a new plant near the harbour. " * 3,
                     origin="test", article_id="p-2", source="Other Wire", published_at="2024-03-06")])
    with kb.reader() as snap:
        assert snap.phrase_count("plant deal") == 1          # words in order, in one chunk
        assert snap.phrase_count("deal plant") == 0
        assert snap.phrase_count("Harbour news") == 1        # the title counts
        assert snap.phrase_count("signs the plant deals") == 1  # stemmed, as the embedded index stems
        by_chunk = {c: m[0] for c, m in snap.chunk_metadata(snap.all_chunk_ids()).items()}
        assert {by_chunk[c] for c, _ in snap.lexical_search(["plant deal"], 10)} == {"p-1"}  # a phrase
        assert {by_chunk[c] for c, _ in snap.lexical_search(["plant", "deal"], 10)} == {"p-1", "p-2"}
        vector = embedder.encode_queries(["a deal for a plant"])[0]
        assert {by_chunk[c] for c, _ in snap.dense_search(vector, 10, outlets={"Other Wire"})} == {"p-2"}
        assert {by_chunk[c] for c, _ in snap.lexical_search(["deal"], 10, outlets={"Contract Wire"})} == {"p-1"}
        assert snap.dense_search(vector, 10, outlets={"Nobody"}) == []


def test_a_word_in_most_chunks_weighs_as_little_on_both_backends(kb_service: NewsService) -> None:
    # "harbour" is in five of the eight chunks: FTS5's IDF (the embedded index's weight, and
    # the cluster's since it sends it) gives it next to nothing, so the short chunk that
    # holds "lighthouse" ranks first. Plain BM25 ranked the harbour chunk first.
    stories = {"x": ("Harbour notes", "The harbour was busy. Harbour boats left the harbour at dawn, "
                                      "and the harbour pilot watched the lighthouse."),
               "y": ("Coast notes", "A new lighthouse opened on the coast on Friday, the council said."),
               "z1": ("Harbour fees", "Harbour fees rise in spring, the harbour office said."),
               "z2": ("Harbour works", "Works at the harbour wall begin in May."),
               "z3": ("Harbour lights", "New lamps line the harbour road."),
               "z4": ("Harbour trade", "Trade through the harbour grew in April."),
               "w1": ("Rail notes", "The night train to Estby runs again from June."),
               "w2": ("Rail fares", "Fares on the coastal railway stay the same this year.")}
    kb_service.kb.add_articles([make_article(title=title, body=body, origin="test", article_id=key,
                                             source="Contract Wire", published_at="2024-03-05")
                                for key, (title, body) in stories.items()])
    with kb_service.kb.reader() as snap:
        by_chunk = {c: m[0] for c, m in snap.chunk_metadata(snap.all_chunk_ids()).items()}
        assert [by_chunk[c] for c, _ in snap.lexical_search(["harbour", "lighthouse"], 10)][:2] == ["y", "x"]


def test_every_offset_and_every_quote_points_into_the_stored_body(kb_service: NewsService) -> None:
    assert kb_service.add_paths([SEEDS, TEST_ARTICLES]).ok
    articles = parse_paths([SEEDS, TEST_ARTICLES]).articles
    assert whole_or_absent(kb_service.kb, articles) == []
    assert {row.id for row in kb_service.list_articles()} == {a.id for a in articles}
    answer = kb_service.ask("What did Nordwind recall?")
    assert answer.passages
    for item in [*answer.quotes, *answer.passages]:
        body = kb_service.get_article(item.article_id).body
        assert body[item.start:item.end] == item.text


def test_the_same_content_again_is_a_no_op_and_a_twin_is_a_duplicate(kb_service: NewsService) -> None:
    kb_service.add_paths([SEEDS, TEST_ARTICLES])
    before = kb_service.kb.counts()
    again = kb_service.add_paths([SEEDS, TEST_ARTICLES]).report
    assert not again.added and not again.replaced
    assert {s.detail for s in again.skipped} == {"already indexed, unchanged"}
    [seed] = parse_paths([SEEDS]).articles
    twin = make_article(title="Another title", body=seed.body, origin="copy.json", article_id="copy-1")
    report = kb_service.kb.add_articles([twin])
    assert [s.detail for s in report.skipped] == [f"same text as indexed article {seed.id}"]
    assert kb_service.get_article("copy-1") is None
    assert kb_service.kb.counts() == before


def test_changed_content_replaces_the_article_and_remove_takes_it_out_of_search(kb_service: NewsService) -> None:
    kb = kb_service.kb
    kb.add_articles([_story("story-1", "The old draft says the quarry opens in May. " * 40)])
    assert _lexical_ids(kb_service, "quarry") == {"story-1"}
    report = kb.add_articles([_story("story-1", "The new draft says the marina opens in June.")])
    assert [r.id for r in report.replaced] == ["story-1"]
    assert _lexical_ids(kb_service, "quarry") == set()
    assert _lexical_ids(kb_service, "marina") == {"story-1"}
    assert whole_or_absent(kb, [_story("story-1", "The new draft says the marina opens in June.")]) == []
    assert kb_service.remove_article("story-1") is True
    assert kb_service.remove_article("story-1") is False
    assert kb_service.get_article("story-1") is None
    assert _lexical_ids(kb_service, "marina") == set()
    assert kb.counts() == {"articles": 0, "chunks": 0, "sentences": 0}


def test_bad_files_are_rejected_and_the_store_is_unchanged(kb_service: NewsService, tmp_path: Path) -> None:
    kb_service.add_paths([SEEDS])
    before, listed = kb_service.kb.counts(), [r.id for r in kb_service.list_articles()]
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 64)
    (bad / "empty.md").write_text("")
    (bad / "broken.json").write_text('{"title": "x", "body": ')
    (bad / "no-body.jsonl").write_text(json.dumps({"title": "only a title"}) + "\n")
    (bad / "table.xlsx").write_bytes(b"PK\x03\x04")
    outcome = kb_service.add_paths([bad])
    assert sorted(Path(r.file).name.split(":")[0] for r in outcome.rejected) == [
        "binary.txt", "broken.json", "empty.md", "no-body.jsonl", "table.xlsx"]
    assert all(r.reason for r in outcome.rejected)
    assert kb_service.kb.counts() == before
    assert [r.id for r in kb_service.list_articles()] == listed


def test_the_seed_question_on_an_empty_knowledge_base(backend: Backend, kb_service: NewsService) -> None:
    notes: list[str] = []
    assert kb_service.ensure_seeded(notes.append) is not None
    assert notes and "empty" in notes[0]
    answer = kb_service.ask("Did Hyundai confirm the plant deal?")
    assert answer.verdict == "no" and not answer.abstained
    assert any("groundless" in q.text for q in answer.quotes)
    for quote in answer.quotes:
        assert kb_service.get_article(quote.article_id).body[quote.start:quote.end] == quote.text
    assert kb_service.ensure_seeded() is None
    if backend.kind == "cluster":  # the cluster settings never write an SQLite knowledge base
        assert not backend.data_dir.exists() or not any(backend.data_dir.iterdir())


def test_sigkill_during_an_add_leaves_every_article_whole_or_absent(backend: Backend, embedder: Embedder,
                                                                   tmp_path: Path) -> None:
    source = tmp_path / "articles.jsonl"
    write_generated_articles(source, 60)
    articles = parse_paths([source]).articles
    rng = random.Random()
    delay = rng.uniform(0.5, 4.0)
    killed = kill_during_add(backend.env(), source, delay)
    service = backend.service(embedder)
    try:
        kb = service.kb
        stored = kb.counts()["articles"]
        assert whole_or_absent(kb, articles) == [], f"killed={killed} after {delay:.1f} s"
        if backend.kind == "cluster":
            assert kb.compare().ok, kb.compare().problems  # the reader above caught Milvus up
        report = service.add_paths([source]).report  # the add finishes what the kill left
        assert len(report.added) == len(articles) - stored
        assert whole_or_absent(kb, articles) == []
        assert kb.counts()["articles"] == len(articles)
        if backend.kind == "cluster":
            assert kb.compare().ok
    finally:
        service.close()


def _open_kb(backend: Backend, embedder: Embedder, enrichers: tuple = ()) -> KnowledgeBase:
    if backend.kind == "cluster":
        return open_cluster(backend.database_url, backend.milvus_uri, embedder, enrichers=enrichers)
    return EmbeddedKnowledgeBase.open(backend.data_dir, embedder, enrichers=enrichers)


def test_enrich_covers_articles_indexed_before_the_enricher(backend: Backend, embedder: Embedder) -> None:
    plain = _open_kb(backend, embedder)  # no enricher: an older knowledge base
    assert plain.add_articles(parse_paths([SEEDS]).articles).added
    plain.close()
    kb = _open_kb(backend, embedder, (CompanyIndex(),))
    try:
        with kb.reader() as snap:
            assert company_directory(snap).missing == 1
        assert kb.enrich() == 1
        with kb.reader() as snap:
            directory = company_directory(snap)
        assert directory.missing == 0
        assert directory.lookup("beijing automotive").name == "BAIC"
        assert kb.enrich() == 0
    finally:
        kb.close()
