"""Typed spans and short answers, on sentences written for these tests."""

from __future__ import annotations

from bot.question import read_question
from bot.spans import typed_spans
from index.companies.entity_spans import EntitySpan


def kinds_found(text: str, entities: list[EntitySpan] = ()) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for span in typed_spans(text, 0, len(text), entities):
        for kind in span.kinds:
            found.setdefault(kind, []).append(text[span.start:span.end])
    return found


def test_patterns_find_amounts_percentages_scores_and_counts() -> None:
    found = kinds_found("Orbel paid $1.7B for the mill, 17.9% above its value; the Hawks won 34-29 "
                        "and the plant makes 3,00,000 units a year.")
    assert "$1.7B" in found["money"]
    assert "17.9%" in found["percent"]
    assert "34-29" in found["score"]
    assert any(n.startswith("3,00,000 units") for n in found["number"])


def test_a_label_number_is_not_a_count() -> None:
    found = kinds_found("The group may buy a stake in the No. 2 plant.")
    assert "number" not in found


def test_a_name_tagged_once_is_a_name_everywhere_in_the_article() -> None:
    body = "Talks with Korvath (Korvath Motor Group) go on. Korvath's board meets on Monday."
    tagged = [EntitySpan(11, 18, "ORG")]
    later = body.index("Korvath's")
    spans = typed_spans(body, later, len(body), tagged)
    assert any(body[s.start:s.end] == "Korvath" and "organization" in s.kinds for s in spans)


def test_answer_types_of_the_usual_forms() -> None:
    cases = {
        "who runs korvath?": "person", "korvath ceo?": "person", "how much did korvath pay for the mill": "money",
        "price of the orbel x2?": "money", "how many workers were laid off": "number",
        "when does the plant open": "date", "release date of the orbel x2?": "date",
        "which carmaker is korvath talking to": "organization", "where is the new plant": "place",
        "what percentage of staff left": "percent", "did korvath confirm the deal?": "yes_no",
        "what's the name of korvath's new phone": "product", "why did the talks stall": "open",
    }
    for text, expected in cases.items():
        assert read_question(text).answer_type == expected, text


def test_who_does_a_persons_act_asks_for_a_person_only() -> None:
    assert read_question("who runs the korvath privacy agency").also == ()
    assert read_question("who founded korvath?").also == ()
    assert read_question("who bought the korvath plant?").also == ("organization",)
