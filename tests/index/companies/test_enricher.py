"""index.companies: the company tables written at ingest (real spaCy, real store).

The knowledge base here holds the seed article and two articles written for these tests.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.service import NewsService
from index.companies import TABLES, Mention, company_directory, company_key, find_who
from tests.conftest import SEEDS, settings_for

EXTRA = [
    {"id": "velora-plant", "title": "Velora Motors to build battery plant in Gdansk", "source": "Harbor Ledger",
     "published_at": "2024-03-01T09:00:00+00:00",
     "body": "Velora Motors, the Swedish electric truck maker, said on Monday it would build a battery plant "
             "in Gdansk. The company expects the plant to employ 1,200 people by 2026. Velora Motors is "
             "partnering with Kestrel Batteries to supply the cells, according to Reuters. A Kestrel Batteries "
             "spokesperson confirmed the deal."},
    {"id": "velora-forecast", "title": "Velora cuts forecast", "source": "Nordic Wire",
     "published_at": "2024-04-10T09:00:00+00:00",
     "body": "Velora Motors (VLM) cut its delivery forecast on Wednesday. VLM said supply of battery cells "
             "from Kestrel Batteries had slowed. Shares of VLM fell 6% in Stockholm."},
]


def write_extra(folder: Path) -> Path:
    path = folder / "extra.jsonl"
    path.write_text("\n".join(json.dumps(a) for a in EXTRA) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    data_dir = tmp_path_factory.mktemp("company-kb")
    service = NewsService(settings_for(data_dir), embedder=embedder)
    outcome = service.add_paths([SEEDS, write_extra(tmp_path_factory.mktemp("extra"))])
    assert outcome.ok and len(outcome.report.added) == 3
    service.close()
    return data_dir


@pytest.fixture
def service(kb_dir: Path, tmp_path: Path, embedder):
    copy = tmp_path / "kb"
    shutil.copytree(kb_dir, copy)
    svc = NewsService(settings_for(copy), embedder=embedder)
    yield svc
    svc.close()


def rows(svc: NewsService, sql: str, params: tuple = ()) -> list[tuple]:
    with svc.kb.reader() as snap:
        return snap.query(sql, params)


def seed_id(svc: NewsService) -> str:
    return rows(svc, "SELECT id FROM articles WHERE title LIKE 'Xiaomi%'")[0][0]


def test_seed_companies_aliases_and_outlets(service: NewsService) -> None:
    article = seed_id(service)
    keys = {k for (k,) in rows(service, "SELECT key FROM company_articles WHERE article_id = ?", (article,))}
    assert {"xiaomi", "baic", "hyundai", "nio", "jac", "xpeng"} <= keys
    assert not {k for k in keys if "bloomberg" in k or "reuters" in k}
    aliases = rows(service, "SELECT key, alias, alias_key FROM company_aliases WHERE article_id = ?", (article,))
    assert ("baic", "Beijing Automotive Group", "beijing automotive") in aliases
    assert ("jac", "Jianghuai Automobile Group", "jianghuai automobile") in aliases
    outlets = {k for (k,) in rows(service, "SELECT key FROM company_outlets WHERE article_id = ?", (article,))}
    assert {"bloomberg", "reuters"} <= outlets


def test_every_stored_span_points_at_its_text(service: NewsService) -> None:
    bodies = dict(rows(service, "SELECT id, body FROM articles"))
    aliases = {(a, k) for a, k in rows(service, "SELECT article_id, key FROM company_aliases")}
    for article_id, key, _name, start, end in rows(
            service, 'SELECT article_id, key, name, start, "end" FROM company_mentions'):
        surface = bodies[article_id][start:end]
        assert surface and surface == surface.strip()
        assert company_key(surface) == key or (article_id, key) in aliases, (surface, key)
    sentences = set(rows(service, 'SELECT article_id, start, "end" FROM sentences'))
    for article_id, start, end in rows(service, 'SELECT article_id, start, "end" FROM company_sentences'):
        assert (article_id, start, end) in sentences  # the store's own sentence spans
    for article_id, key, start, end in rows(service, 'SELECT article_id, key, start, "end" FROM company_who'):
        text = bodies[article_id][start:end]
        assert text == text.strip() and len(text.split()) >= 2, (key, text)


def test_anaphora_tie_the_company_to_its_sentences(service: NewsService) -> None:
    article = seed_id(service)
    body = rows(service, "SELECT body FROM articles WHERE id = ?", (article,))[0][0]
    refs = {body[s:e]: (named, coref) for s, e, named, coref in rows(
        service, 'SELECT start, "end", named, coref FROM company_sentences WHERE key = ? AND article_id = ?',
        ("xiaomi", article))}
    joining = next(t for t in refs if "contemplating joining forces" in t)
    plant = next(t for t in refs if "3,00,000" in t)
    assert refs[joining] == (0, 1) and refs[plant] == (0, 1)  # "the company ...", resolved to Xiaomi
    start = body.index(joining)
    pairs = rows(service, "SELECT a_key, b_key, named, cue FROM company_relations WHERE article_id = ? AND start = ?",
                 (article, start))
    assert pairs == [("baic", "xiaomi", 0, 1)]


def test_removal_and_replacement_clear_the_rows(service: NewsService) -> None:
    article = seed_id(service)

    def counts(article_id: str) -> dict[str, int]:
        return {t: rows(service, f"SELECT count(*) FROM {t} WHERE article_id = ?", (article_id,))[0][0]
                for t in TABLES}

    assert all(counts(article)[t] for t in ("company_indexed", "company_mentions", "company_articles",
                                           "company_aliases", "company_sentences", "company_relations"))
    assert service.remove_article(article)
    assert not any(counts(article).values())
    with service.kb.reader() as snap:
        names = {e.name for e in company_directory(snap).companies.values()}
    assert "Xiaomi" not in names and "Velora Motors" in names

    # a changed version under the same id replaces the old rows
    changed = dict(EXTRA[1], body="Velora Motors (VLM) raised its delivery forecast on Thursday.")
    path = service.settings.data_dir.parent / "changed.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    outcome = service.add_paths([path])
    assert [o.id for o in outcome.report.replaced] == ["velora-forecast"]
    assert rows(service, "SELECT count(*) FROM company_indexed WHERE article_id = 'velora-forecast'") == [(1,)]
    surfaces = [changed["body"][s:e] for s, e in rows(
        service, "SELECT start, \"end\" FROM company_mentions WHERE article_id = 'velora-forecast'")]
    assert surfaces and set(surfaces) <= {"Velora Motors", "VLM"}


def test_outlets_of_the_corpus_are_never_companies(service: NewsService) -> None:
    with service.kb.reader() as snap:
        directory = company_directory(snap)
    assert {"bloomberg", "reuters", "harbor ledger", "nordic wire"} <= directory.outlet_keys
    assert not set(directory.companies) & directory.outlet_keys
    entry = directory.lookup("vlm")
    assert entry is not None and entry.name == "Velora Motors" and "VLM" in entry.aliases


def test_opening_and_reading_never_load_spacy(kb_dir: Path, embedder) -> None:
    service = NewsService(settings_for(kb_dir), embedder=embedder)
    try:
        index = service.company_index
        service.ask("Did Hyundai confirm the plant deal?")
        service.companies()
        service.company_summary("Xiaomi")
        assert index._extractor is None
    finally:
        service.close()


@pytest.mark.parametrize(("text", "name", "expected", "kind"), [
    ("For years now, Chinese electronics manufacturer Xiaomi has set lofty goals.", "Xiaomi",
     "Chinese electronics manufacturer Xiaomi", "pre"),
    ("Novo Nordisk, the manufacturer of Ozempic and Wegovy, said profits rose.", "Novo Nordisk",
     "Novo Nordisk, the manufacturer of Ozempic and Wegovy", "post"),
    ("Analysts said Velora, the Swedish truck maker will gain.", "Velora", "Velora, the Swedish truck maker", "post"),
    ("For the uninitiated, Beijing Hyundai is a joint venture between Hyundai and BAIC to sell cars.",
     "Beijing Hyundai", "Beijing Hyundai is a joint venture between Hyundai and BAIC to sell cars.", "is"),
    ("The trial against Google, the landmark antitrust trial over Google’s search business, began.", "Google",
     None, None),
    ("Google, the company, said so.", "Google", None, None),
    ("FTX was a fraud “from the start,” the Securities and Exchange Commission alleges.", "FTX", None, None),
    ("Also ReadChinese EV maker Xpeng is launching a rival.", "Xpeng", None, None),
])
def test_who_descriptions(text: str, name: str, expected: str | None, kind: str | None) -> None:
    start = text.index(name)
    found = find_who(text, [(0, len(text))], [Mention(company_key(name), name, start, start + len(name))])
    if expected is None:
        assert found == []
    else:
        assert [(text[s:e], k) for _key, s, e, k, _d in found] == [(expected, kind)]


def test_a_surname_ner_calls_org_is_the_person() -> None:
    from index.companies import shared_extractor
    from tests.index.companies.test_extractor import split_sentences

    extractor = shared_extractor()
    body = ("Sam Bankman-Fried founded the crypto exchange FTX in 2019. Bankman-Fried’s lawyers said on Monday "
            "that Bankman-Fried had acted in good faith. Prosecutors said Bankman-Fried lied to investors, and "
            "FTX collapsed in November.")
    labels = [e.label_ for e in extractor.nlp(body).ents if e.text.startswith("Bankman-Fried")]
    assert labels.count("ORG") > labels.count("PERSON")  # spaCy gets the lone surname wrong
    assert extractor.extract(body, split_sentences(body), []).companies() == {"ftx": "FTX"}


def test_a_person_previously_at_a_company_is_no_rename() -> None:
    from index.companies import shared_extractor
    from tests.index.companies.test_extractor import split_sentences

    body = ("The startup hired CTO Michael Greer, previously Discord, to lead its engineering team. Discord "
            "declined to comment on the move.")
    result = shared_extractor().extract(body, split_sentences(body), [])
    assert result.aliases == []
    assert "cto michael greer" not in result.companies()
