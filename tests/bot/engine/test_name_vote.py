"""bot.engine.name_vote: the name a question's sources share."""

from __future__ import annotations

from bot.engine.name_vote import vote_for_name


def test_a_shared_surname_means_the_full_name_the_articles_use_most() -> None:
    question = "Who is the founder covered by the Ledger and the Gazette who was sued over the Orbel deal?"
    evidence = [
        ("a1", "His brother Peter Varga said the family backed him.", 1.0),
        ("a2", "On Tuesday, Varga was sued over the Orbel deal.", 0.5),
        ("a3", "In court, Varga denied wrongdoing.", 0.33),
    ]
    bodies = ["Tomas Varga founded Orbel. Varga's brother Peter Varga said the family backed him.",
              "Tomas Varga was sued on Tuesday. Varga was sued on Tuesday over the Orbel deal.",
              "Orbel's founder, Tomas Varga, spoke. Varga denied wrongdoing. Peter Varga did not."]
    evidence.append(("a3", "Orbel's founder, Tomas Varga, spoke.", 0.1))
    assert vote_for_name(question, evidence, ["Ledger", "Gazette"], bodies=bodies) == "Tomas Varga"
    # Without the bodies the brother, named higher in the evidence, took the surname.
    assert vote_for_name(question, evidence, ["Ledger", "Gazette"]) == "Peter Varga"
