"""Autocomplete ranking (bot/chat/choices.py)."""

from __future__ import annotations

from bot.chat.choices import ranked_choices


def test_ranked_choices_prefer_prefixes_and_stop_at_25() -> None:
    names = [(f"Beta {i}", [f"Beta {i}"]) for i in range(30)] + [("Alphabet", ["Alphabet", "Google"])]
    assert [c.name for c in ranked_choices("goo", names)] == ["Alphabet"]
    assert len(ranked_choices("", names)) == 25
    ranked = ranked_choices("bet", names)
    assert len(ranked) == 25 and ranked[0].name == "Beta 0" and "Alphabet" not in [c.name for c in ranked]
    assert [c.name for c in ranked_choices("phab", names)] == ["Alphabet"]  # inside a word, after prefixes


def test_values_and_labels_are_clipped_to_discords_100_characters() -> None:
    long = "x" * 150
    [choice] = ranked_choices("x", [(long, [long])], values={long: 7})
    assert len(choice.name) == 100 and choice.value == 7
    [choice] = ranked_choices("x", [(long, [long])])
    assert len(choice.value) == 100
