"""index.companies.entity_spans: the name vocabulary kept as counts beside the spans (real
spaCy, real store). The counts must always equal what grouping every span gives, through
adds, replacements, removals and re-enrichment, and an older store gets them at open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.service import NewsService
from index.companies.entity_spans import NAME_LABELS, name_vocabulary, name_word_counts
from index.intake import make_article
from index.store.embedded.layout import DB_NAME
from tests.conftest import SEEDS, settings_for

PLANT = ("Velora Motors, the Swedish truck maker, will build a battery plant in Gdansk with Kestrel "
         "Batteries. Velora Motors expects 1,200 jobs. Anna Lindqvist, its chief executive, spoke in Gdansk.")
FORECAST = "Velora Motors cut its forecast. Kestrel Batteries had slowed deliveries to Velora Motors in Sweden."
REPLACED = "Kestrel Batteries opened an office in Oslo. Erik Dahl of Kestrel Batteries spoke to Norway's press."


def grouped(db: sqlite3.Connection) -> dict[str, tuple[str, int]]:
    """The vocabulary as the spans define it (what the counts replace)."""
    marks = ",".join("?" * len(NAME_LABELS))
    rows = db.execute("SELECT name_key, min(name), count(DISTINCT article_id) FROM entity_spans "
                      f"WHERE label IN ({marks}) GROUP BY name_key", sorted(NAME_LABELS)).fetchall()
    return {key: (name, count) for key, name, count in rows if len(key) >= 2}


def check(service: NewsService) -> dict[str, tuple[str, int]]:
    with service.kb.reader() as snap:
        expected = grouped(service.kb._db)
        vocabulary = name_vocabulary(snap)
        assert expected, "no names stored"
        assert dict(vocabulary.items()) == expected
        assert all(vocabulary[key] == value for key, value in expected.items())
        words = name_word_counts(snap)
        assert all(words[w] > 0 for key in expected for w in key.split() if len(w) >= 3 and w.isalpha())
        # No count row outlives its spans.
        kept = {r[0] for r in snap.query("SELECT name_key FROM entity_names")}
        assert kept == {key for key in grouped_all(service.kb._db)}
        return expected


def grouped_all(db: sqlite3.Connection) -> set[str]:
    marks = ",".join("?" * len(NAME_LABELS))
    return {r[0] for r in db.execute(f"SELECT DISTINCT name_key FROM entity_spans WHERE label IN ({marks})",
                                     sorted(NAME_LABELS))}


@pytest.fixture
def service(tmp_path: Path, embedder):
    svc = NewsService(settings_for(tmp_path / "kb"), embedder=embedder)
    assert svc.add_paths([SEEDS]).ok
    yield svc
    svc.close()


def add(service: NewsService, article_id: str, body: str) -> None:
    service.kb.add_articles([make_article(title="Velora news", body=body, origin="test", article_id=article_id,
                                          source="Harbor Ledger")])


def test_the_counts_follow_adds_replacements_removals_and_re_enrichment(service: NewsService) -> None:
    check(service)
    add(service, "plant", PLANT)
    add(service, "forecast", FORECAST)
    both = check(service)
    assert both["velora motors"][1] == 2
    add(service, "plant", REPLACED)  # the same id, another body: a replacement
    replaced = check(service)
    assert replaced["velora motors"][1] == 1
    service.remove_article("forecast")
    after = check(service)
    assert "velora motors" not in after
    db = service.kb._wdb
    db.execute("DELETE FROM entity_spans_done WHERE article_id = 'plant'")  # enrich it again
    service.kb.enrich()
    assert check(service) == after


def test_a_store_from_before_the_counts_gets_them_at_open(service: NewsService, tmp_path: Path, embedder) -> None:
    add(service, "plant", PLANT)
    expected = check(service)
    data_dir = service.kb.data_dir
    service.close()
    db = sqlite3.connect(data_dir / DB_NAME)
    db.executescript("DROP TABLE entity_names; DROP TABLE entity_forms;")
    db.close()
    reopened = NewsService(settings_for(data_dir), embedder=embedder)
    try:
        assert check(reopened) == expected
    finally:
        reopened.close()


def test_prefetched_keys_answer_as_single_lookups_without_more_queries(service: NewsService) -> None:
    keys = ["xiaomi", "baic", "hyundai", "beijing hyundai", "no such name here", "the plant"]
    truth = grouped(service.kb._db)  # what the spans say, read apart from the vocabulary
    with service.kb.reader() as snap:
        calls: list[str] = []
        query = snap.query

        def counted(sql: str, params=()):  # the real query, counted
            calls.append(sql)
            return query(sql, params)

        snap.query = counted  # type: ignore[method-assign]
        vocabulary = name_vocabulary(snap)
        vocabulary.prefetch(keys)
        vocabulary.prefetch(keys[:2])  # already fetched: no query
        assert {key: vocabulary.get(key) for key in keys} == {key: truth.get(key) for key in keys}
        assert len(calls) == 1 and truth.get("xiaomi") and "no such name here" not in truth
