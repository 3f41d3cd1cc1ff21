"""Sentences and windows: offsets into the body, both budgets, overlap, and no text lost."""

from __future__ import annotations

import itertools

import pytest

from index.chunking import plan_chunks, split_sentences
from index.embedding import Embedder


def test_sentences_respect_abbreviations_initials_and_quotes() -> None:
    body = ('He met Mr. Smith at 5 p.m. on Jan. 5. The U.S. economy grew 3.2%. "It works," she said. '
            "Hyundai No. 2 plant was named. Really? Yes.")
    sentences = [body[s:e] for s, e in split_sentences(body)]
    assert sentences == [
        "He met Mr. Smith at 5 p.m. on Jan. 5.",
        "The U.S. economy grew 3.2%.",
        '"It works," she said.',
        "Hyundai No. 2 plant was named.",
        "Really?",
        "Yes.",
    ]
    dotted = "The N.F.L. Player of the Year rode the K.O. III. Then he left."
    assert [dotted[s:e] for s, e in split_sentences(dotted)] == [
        "The N.F.L. Player of the Year rode the K.O. III.", "Then he left."]


def test_lines_are_sentence_breaks_and_bullets_are_not_quoted() -> None:
    body = "Headline without a stop\n  • First bullet point\n  • Second bullet point\nA closing line."
    assert [body[s:e] for s, e in split_sentences(body)] == [
        "Headline without a stop", "First bullet point", "Second bullet point", "A closing line.",
    ]


def test_closing_quote_stays_with_its_sentence() -> None:
    body = "A spokesperson called them “groundless.” Separately, an executive denied it."
    assert [body[s:e] for s, e in split_sentences(body)] == [
        "A spokesperson called them “groundless.”", "Separately, an executive denied it.",
    ]


@pytest.fixture(scope="module")
def long_body() -> str:
    sentences = [f"Sentence number {i} talks about the harbor bridge toll and the council vote." for i in range(120)]
    # One run-on "sentence" far longer than a window, as scraped tables of contents are.
    sentences.insert(40, "Contents: " + " ".join(f"item{i}" for i in range(700)) + ".")
    return " ".join(sentences)


def test_windows_fit_both_budgets_cover_every_token_and_overlap(embedder: Embedder, long_body: str) -> None:
    tokens = embedder.tokenize(long_body)
    plan = plan_chunks(long_body, split_sentences(long_body), tokens, max_tokens=200, max_chars=1500,
                       overlap_tokens=40)
    covered = set()
    for chunk in plan.chunks:
        assert chunk.token_end - chunk.token_start <= 200
        assert chunk.end - chunk.start <= 1500
        assert long_body[chunk.start:chunk.end].strip() == long_body[chunk.start:chunk.end]
        covered.update(range(chunk.token_start, chunk.token_end))
    assert covered == set(range(len(tokens.ids))), "some tokens are in no window"
    # Windows of ordinary sentences share their edge sentences; pieces of the giant one cannot.
    ordinary = [c for c in plan.chunks if "item" not in long_body[c.start:c.end]]
    pairs = list(itertools.pairwise(ordinary))
    overlapping = [(a, b) for a, b in pairs if b.token_start < a.token_end]
    assert len(overlapping) >= len(pairs) - 1
    assert all(a.token_end - b.token_start <= 40 for a, b in overlapping)
    for sentence in plan.sentences:
        assert sentence.token_end - sentence.token_start <= 200
        assert sentence.end - sentence.start <= 1500


def test_long_sentence_pieces_are_cut_between_words(embedder: Embedder, long_body: str) -> None:
    tokens = embedder.tokenize(long_body)
    plan = plan_chunks(long_body, split_sentences(long_body), tokens, max_tokens=200, max_chars=1500)
    pieces = [long_body[s.start:s.end] for s in plan.sentences if "item" in long_body[s.start:s.end]]
    assert len(pieces) >= 3
    # Every cut falls between two words: each piece ends with a whole "itemN" and the next
    # starts with the following one, so joining the pieces gives the sentence back.
    assert " ".join(pieces) == "Contents: " + " ".join(f"item{i}" for i in range(700)) + "."
