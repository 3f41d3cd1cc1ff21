"""Hybrid retrieval on small articles written for these tests: named outlets, the
one-sentence reorder, and scores that fall with rank."""

from __future__ import annotations

import json

import pytest

from bot.service import NewsService
from index.search import HybridSearcher, SearchWeights
from tests.conftest import settings_for

LEDGER = [  # many Valley Ledger pieces on the bloom, so BM25 alone would fill the top with them
    ("Quarry Lake algae bloom closes the beach", "The county closed the Quarry Lake beach after an algae bloom. "
     "The algae bloom at Quarry Lake is toxic to dogs. Quarry Lake swimmers were told to stay out."),
    ("Algae bloom at Quarry Lake spreads", "The Quarry Lake algae bloom spread to the north shore. "
     "Officials said the algae bloom could last weeks at Quarry Lake."),
    ("Quarry Lake bloom: what we know", "Tests confirmed the Quarry Lake algae bloom on Sunday. "
     "The bloom is the third at Quarry Lake in five years. Algae counts keep rising."),
]
SPREAD = ("Dogs, toxic algae and Quarry Lake",  # every word of the question, but never in one sentence
          "Dogs love Quarry Lake. Toxic algae worries vets. The bloom season at Quarry Lake is long. "
          "Dogs and algae: vets warn of toxic water. Quarry Lake bloom.")
GAZETTE = ("Hill Gazette weekly notes", "The library extends its hours in June. "
           "A bloom of algae was also noted at the quarry by a reader. The farmers market opens Saturday.")


@pytest.fixture(scope="module")
def lake_service(tmp_path_factory: pytest.TempPathFactory, embedder) -> NewsService:
    folder = tmp_path_factory.mktemp("lake")
    rows = [{"id": f"ledger-{i}", "title": t, "body": b, "source": "Valley Ledger",
             "published_at": f"2024-06-0{i + 1}T08:00:00"} for i, (t, b) in enumerate(LEDGER)]
    rows.append({"id": "spread", "title": SPREAD[0], "body": SPREAD[1], "source": "Valley Ledger",
                 "published_at": "2024-06-09T08:00:00"})
    rows.append({"id": "gazette-notes", "title": GAZETTE[0], "body": GAZETTE[1], "source": "Hill Gazette",
                 "published_at": "2024-06-05T08:00:00"})
    path = folder / "lake.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    service = NewsService(settings_for(folder / "kb"), embedder=embedder)
    assert service.add_paths([path]).ok
    yield service
    service.close()


def search(service: NewsService, question: str, weights: SearchWeights | None = None, k: int = 3):
    with service.kb.reader() as snap:
        return HybridSearcher(service.kb, weights).search(snap, question, k=k)


def test_naming_an_outlet_brings_its_article_into_the_results(lake_service) -> None:
    question = "What did the Valley Ledger and the Hill Gazette say about the Quarry Lake algae bloom?"
    articles = [p.article_id for p in search(lake_service, question).passages]
    assert "gazette-notes" in articles
    unnamed = [p.article_id for p in search(lake_service, "What about the Quarry Lake algae bloom?").passages]
    assert "gazette-notes" not in unnamed


def test_a_passage_with_one_sentence_holding_the_question_moves_above_one_that_spreads_it(lake_service) -> None:
    question = "Is the Quarry Lake algae bloom toxic to dogs?"
    fused_only = search(lake_service, question, SearchWeights(sentence_overlap=0.0), k=4)
    assert fused_only.passages[0].article_id == "spread"  # BM25 likes its repeated words
    reordered = search(lake_service, question, k=4)
    assert reordered.passages[0].article_id == "ledger-0"  # "The algae bloom at Quarry Lake is toxic to dogs."
    assert {p.article_id for p in reordered.passages} == {p.article_id for p in fused_only.passages}
    scores = [p.score for p in reordered.passages]
    assert scores == sorted(scores, reverse=True) and scores[0] == 1.0


def test_no_terms_and_no_outlets_still_search_densely(lake_service) -> None:
    result = search(lake_service, "??? !!!")
    assert all(p.lexical is None for p in result.passages)



def test_a_bare_month_is_when_the_news_happened_not_when_it_was_published(tmp_path, embedder) -> None:
    # The county's count came out in July; three June pieces share the lake but not the fish.
    rows = [{"id": f"ledger-{i}", "title": t, "body": b, "source": "Valley Ledger",
             "published_at": f"2024-06-0{i + 1}T08:00:00"} for i, (t, b) in enumerate(LEDGER)]
    rows.append({"id": "fish-count", "title": "County counts the cost of the bloom", "source": "Hill Gazette",
                 "body": "Officials counted 40 dead fish at Quarry Lake in June, the county said on Tuesday.",
                 "published_at": "2024-07-16T08:00:00"})
    path = tmp_path / "lake.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    service = NewsService(settings_for(tmp_path / "kb"), embedder=embedder)
    try:
        assert service.add_paths([path]).ok
        found = [p.article_id for p in search(service, "how many fish died at quarry lake in june").passages]
        assert found[0] == "fish-count", found
        # A day, or a month with its year, may say when an article came out.
        dated = [p.article_id for p in search(service, "how many fish died at quarry lake on june 2").passages]
        assert dated[0] == "ledger-1", dated
    finally:
        service.close()
