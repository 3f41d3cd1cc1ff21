"""Short answers from evidence text: which name the evidence supports."""

from __future__ import annotations

from bot.short_answer import candidate_names, short_answer


def test_a_bare_surname_counts_for_the_full_name_more_articles_use() -> None:
    evidence = [
        ("a1", "Gabe Bankman-Fried ran the family's political giving.", 1.0),
        ("a2", "Sam Bankman-Fried founded FTX, prosecutors said.", 0.5),
        ("a3", "Sam Bankman-Fried testified on Monday.", 0.4),
        ("a2", "Bankman-Fried said he did not know.", 0.3),
        ("a3", "Bankman-Fried denied the charges.", 0.3),
    ]
    assert short_answer("Who founded the exchange that collapsed?", evidence, []) == "Sam Bankman-Fried"


def test_names_in_the_question_are_not_answers_and_possessives_are_cut() -> None:
    evidence = [("a1", "Reports say Xiaomi is in talks with BAIC's EV brand about a plant.", 1.0)]
    assert candidate_names(evidence[0][1]) == ["Xiaomi", "BAIC", "EV"]
    assert short_answer("Which carmaker could Xiaomi team up with?", evidence, ["Xiaomi"]) == "BAIC"
