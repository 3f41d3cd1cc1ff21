"""bot.engine.companies: company listings and summaries built from quotes (real spaCy, real model,
real store, no mocks). The knowledge base holds the seed article plus short articles
written for these tests about a fictional carmaker, Velora Motors."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.engine.companies import CompanySummary, Quote, list_companies, summarize_company
from bot.render import companies_text, company_text
from bot.service import NewsService
from tests.conftest import SEEDS, settings_for

PLANT = ("Velora Motors, the Swedish electric truck maker, said on Monday it would build a battery plant in "
         "Gdansk.")
EXTRA = [
    {"id": "velora-plant", "title": "Velora Motors to build battery plant in Gdansk", "source": "Harbor Ledger",
     "published_at": "2024-03-01T09:00:00+00:00",
     "body": f"{PLANT} The company expects the plant to employ 1,200 people by 2026. Velora Motors is "
             "partnering with Kestrel Batteries to supply the cells, according to Reuters. A Kestrel Batteries "
             "spokesperson confirmed the deal."},
    # another outlet repeats the plant sentence word for word
    {"id": "velora-wire", "title": "Truck maker picks Poland", "source": "Nordic Wire",
     "published_at": "2024-03-02T07:30:00+00:00",
     "body": f"{PLANT} Analysts said the plan was ambitious for a company of its size. Velora Motors shares "
             "rose 4% in Stockholm after the announcement."},
    {"id": "velora-forecast", "title": "Velora cuts forecast", "source": "Nordic Wire",
     "published_at": "2024-04-10T09:00:00+00:00",
     "body": "Velora Motors (VLM) cut its delivery forecast for the year on Wednesday. VLM said supply of "
             "battery cells from Kestrel Batteries had slowed since February. Shares of VLM fell 6% in "
             "Stockholm."},
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, embedder):
    data_dir = tmp_path_factory.mktemp("companies-kb")
    extra = tmp_path_factory.mktemp("extra") / "velora.jsonl"
    extra.write_text("\n".join(json.dumps(a) for a in EXTRA) + "\n", encoding="utf-8")
    svc = NewsService(settings_for(data_dir), embedder=embedder)
    outcome = svc.add_paths([SEEDS, extra])
    assert outcome.ok and len(outcome.report.added) == 4
    yield svc
    svc.close()


def all_quotes(summary: CompanySummary) -> list[Quote]:
    return ([summary.who] if summary.who else []) + summary.facts + [r.quote for r in summary.related] + [
        t.quote for t in summary.timeline]


def assert_verbatim(service: NewsService, summary: CompanySummary) -> None:
    for quote in all_quotes(summary):
        body = service.get_article(quote.article_id).body
        assert body[quote.start:quote.end] == quote.text, quote


# --------------------------------------------------------------------------- listing

def test_listing_has_the_seed_companies_with_aliases_and_no_outlets(service: NewsService) -> None:
    listings = {c.name: c for c in service.companies()}
    assert {"Xiaomi", "BAIC", "Hyundai", "Nio", "JAC", "Xpeng", "Velora Motors", "Kestrel Batteries"} <= set(listings)
    assert "Beijing Automotive Group" in listings["BAIC"].aliases
    assert "Jianghuai Automobile Group" in listings["JAC"].aliases
    assert "VLM" in listings["Velora Motors"].aliases
    assert not [n for n in listings if any(o in n for o in ("Bloomberg", "Reuters", "Harbor Ledger", "Nordic Wire"))]
    velora = listings["Velora Motors"]
    assert velora.articles == 3 and velora.mentions >= 6
    assert velora.last_seen == "2024-04-10T09:00:00+00:00"
    assert listings["Xiaomi"].last_seen is None  # the seed has no date
    text = companies_text(list(listings.values()))
    assert "BAIC (also Beijing Automotive Group)" in text and "last seen 10 Apr 2024" in text


# --------------------------------------------------------------------------- the seed

def test_xiaomi_summary_quotes_the_plant_the_timetable_and_baic(service: NewsService) -> None:
    summary = service.company_summary("Xiaomi")
    assert summary.found and summary.name == "Xiaomi"
    assert summary.who is not None and summary.who.text == "Chinese electronics manufacturer Xiaomi"
    facts = " ".join(q.text for q in summary.facts)
    assert "3,00,000 units" in facts and "mass production by the first half of 2024" in facts
    assert "contemplating joining forces with BAIC" in facts
    related = {r.name: r.quote.text for r in summary.related}
    assert "contemplating joining forces" in related["BAIC"]
    assert not [n for n in related if "Bloomberg" in n or "Reuters" in n]
    assert [s.title for s in summary.sources] == ["Xiaomi’s EV ambitions could involve a partnership with BAIC: Report"]
    assert_verbatim(service, summary)


def test_lower_case_hyundai_quotes_groundless(service: NewsService) -> None:
    summary = service.company_summary("hyundai")
    assert summary.found and summary.name == "Hyundai"
    assert any("groundless" in q.text for q in summary.facts)
    assert_verbatim(service, summary)


def test_every_quote_of_every_company_is_verbatim(service: NewsService) -> None:
    for listing in service.companies():
        summary = service.company_summary(listing.name)
        assert summary.found and summary.name == listing.name
        assert_verbatim(service, summary)


# --------------------------------------------------------------------------- several articles

def test_near_duplicates_across_outlets_collapse(service: NewsService) -> None:
    summary = service.company_summary("Velora Motors")
    texts = [q.text for q in summary.facts]
    assert texts.count(PLANT) == 1
    assert len(texts) == len(set(texts))
    assert {q.source for q in summary.facts} == {"Harbor Ledger", "Nordic Wire"}
    assert summary.who is not None and summary.who.text == "Velora Motors, the Swedish electric truck maker"
    assert "VLM" in summary.aliases


def test_facts_are_grouped_by_article_newest_first_and_timeline_is_chronological(service: NewsService) -> None:
    summary = service.company_summary("Velora Motors")
    order = [q.article_id for q in summary.facts]
    groups = [a for i, a in enumerate(order) if i == 0 or order[i - 1] != a]
    assert len(groups) == len(set(groups))  # each article's facts together
    dates = [next(q.published_at for q in summary.facts if q.article_id == a) for a in groups]
    assert dates == sorted(dates, reverse=True)
    within = [[q.start for q in summary.facts if q.article_id == a] for a in groups]
    assert all(starts == sorted(starts) for starts in within)
    timeline = [t.date for t in summary.timeline]
    assert timeline == sorted(timeline) and len(timeline) >= 2
    assert all(t.date == t.quote.published_at for t in summary.timeline)


def test_related_company_comes_with_the_linking_sentence(service: NewsService) -> None:
    summary = service.company_summary("Velora Motors")
    related = {r.name: r.quote.text for r in summary.related}
    assert "partnering with Kestrel Batteries" in related["Kestrel Batteries"]
    kestrel = service.company_summary("kestrel batteries")
    assert "Velora Motors" in {r.name for r in kestrel.related}


# --------------------------------------------------------------------------- names

@pytest.mark.parametrize(("query", "name"), [
    ("xiaomi", "Xiaomi"),
    ("XIAOMI", "Xiaomi"),
    ("Xiaomi’s", "Xiaomi"),
    ("Xiaomii", "Xiaomi"),           # a typo
    ("Beijing Automotive Group", "BAIC"),   # an alias the article defines
    ("beijing automotive group co", "BAIC"),
    ("Jianghuai Automobile", "JAC"),
    ("vlm", "Velora Motors"),
    ("Velora Motor", "Velora Motors"),
    ("Hyundia", "Hyundai"),           # letters swapped
])
def test_fuzzy_and_alias_matching(service: NewsService, query: str, name: str) -> None:
    summary = service.company_summary(query)
    assert summary.found and summary.name == name and summary.query == query


def test_unknown_name_says_so_and_suggests_close_names(service: NewsService) -> None:
    summary = service.company_summary("Zorblax Industries")
    assert not summary.found
    assert summary.message == "No article mentions Zorblax Industries."
    assert summary.suggestions == [] and summary.facts == [] and summary.who is None

    close = service.company_summary("Hyundae Motors")
    assert not close.found and close.message == "No article mentions Hyundae Motors."
    assert "Hyundai" in close.suggestions
    text = company_text(close)
    assert "No article mentions Hyundae Motors." in text and "Did you mean: " in text and "Hyundai" in text


def test_outlets_are_not_companies_when_asked_for(service: NewsService) -> None:
    summary = service.company_summary("Bloomberg")
    assert not summary.found
    assert "news outlet" in summary.message


# --------------------------------------------------------------------------- faces

def test_company_text_renders_every_section(service: NewsService) -> None:
    text = company_text(service.company_summary("Velora Motors"))
    for heading in ("Velora Motors (also VLM)", "Key facts", "Related companies", "Timeline", "Sources"):
        assert heading in text
    assert "“Velora Motors, the Swedish electric truck maker”" in text
    assert "1 Mar 2024" in text and "Harbor Ledger" in text


def test_cli_company_json(service: NewsService, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = str(service.settings.data_dir)
    assert main(["--data-dir", data_dir, "company", "hyundai", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["found"] and summary["name"] == "Hyundai"
    assert any("groundless" in q["text"] for q in summary["facts"])
    assert main(["--data-dir", data_dir, "companies", "--json"]) == 0
    listings = json.loads(capsys.readouterr().out)
    assert {"key", "name", "aliases", "mentions", "articles", "last_seen"} <= set(listings[0])
    assert "BAIC" in {c["name"] for c in listings}


def test_list_and_summarize_take_the_knowledge_base(service: NewsService) -> None:
    assert [c.name for c in list_companies(service.kb)] == [c.name for c in service.companies()]
    assert summarize_company(service.kb, "nio").name == "Nio"
