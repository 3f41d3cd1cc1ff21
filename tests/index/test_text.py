"""index.text: the stop words and the stemmer every matcher shares."""

from __future__ import annotations

import pytest

from index.text import STOP_WORDS, spacy_stop_words, stem


@pytest.mark.parametrize(("word", "expected"), [
    ("dropped", "drop"), ("drops", "drop"), ("dropping", "drop"),
    ("companies", "compani"), ("company", "compani"), ("taxes", "tax"), ("Xiaomi's", "xiaomi"),
    ("it’s", "it"), ("nationalization", "national"), ("EVs", "evs"),
])
def test_stem_folds_inflections_to_one_root(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(("a", "b"), [("prices", "price"), ("making", "make"), ("confirmed", "confirms"),
                                      ("losses", "loss"), ("bosses", "boss")])
def test_inflections_meet_and_other_words_do_not(a: str, b: str) -> None:
    assert stem(a) == stem(b)
    assert stem(a) != stem("made")


def test_stop_words_hold_function_words_and_reporting_words_but_no_topic() -> None:
    assert {"the", "of", "doesn't", "said", "according", "reported", "source"} <= STOP_WORDS
    assert not {"company", "price", "factory", "ceo", "however"} & STOP_WORDS


def test_spacy_list_tells_sentence_openers_from_names() -> None:
    words = spacy_stop_words()
    assert {"however", "meanwhile", "please", "together", "the"} <= words
    assert not {"xiaomi", "company", "said"} & words
