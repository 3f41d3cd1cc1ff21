"""Sentences and model-sized windows, with character offsets into the article body.

Usage::

    from index.chunking import split_sentences, plan_chunks
    spans = split_sentences(body)                      # [(start, end), ...]
    tokens = embedder.tokenize(body)                   # ids + char offsets, once per article
    plan = plan_chunks(body, spans, tokens, max_tokens=240, max_chars=1500, overlap_tokens=48)
    for chunk in plan.chunks: body[chunk.start:chunk.end]

A sentence longer than a window is cut into pieces at word boundaries, so nothing is
ever dropped by the model's truncation: every token of the body lands in some window.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# Abbreviations after which a period does not end a sentence. Lower-cased, without the dot.
_ABBREVIATIONS = frozenset((
    "mr mrs ms dr prof sr jr st mt ft co corp inc ltd llc plc bros vs etc al approx est fig gen gov sen rep "
    "col lt sgt capt cmdr adm rev hon pres supt dept univ assn ave blvd rd jan feb mar apr jun jul aug sep "
    "sept oct nov dec no nos vol pp ed eds op cf ca e.g i.e u.s u.k u.n e.u a.m p.m d.c n.y l.a"
).split())
_BOUNDARY = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9])|[.!?…]+["'”’)\]]*$""")
_BULLET = re.compile(r"\s*(?:[•·▪◦‣*–—-]|\d{1,2}[.)])\s+")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


@dataclass(frozen=True)
class TokenizedText:
    """Model token ids of a text, with each token's (start, end) character span."""

    ids: list[int]
    offsets: list[tuple[int, int]]


@dataclass(frozen=True)
class SentenceSpan:
    start: int
    end: int
    token_start: int
    token_end: int


@dataclass(frozen=True)
class ChunkSpan:
    start: int
    end: int
    token_start: int
    token_end: int
    first_sentence: int  # index into ChunkPlan.sentences
    last_sentence: int   # inclusive


@dataclass(frozen=True)
class ChunkPlan:
    sentences: list[SentenceSpan]
    chunks: list[ChunkSpan]


def _is_abbreviation(text: str, period_at: int) -> bool:
    match = _WORD_BEFORE.search(text, 0, period_at)
    if not match:
        return False
    word = match.group(1).lower().rstrip(".")
    # Single letters are initials ("J. Smith", "U. S."), not sentence ends; nor are letters
    # with stops ("the N.F.L. Player", "the K.O. II"), as the listed "u.s" is not.
    return word in _ABBREVIATIONS or len(word) == 1 or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word) is not None


def split_sentences(body: str) -> list[tuple[int, int]]:
    """Sentence spans of ``body``: lines are hard breaks (headlines, bullets), and inside a
    line a terminal mark followed by a capital, digit or opening quote ends a sentence."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", body):
        line_start = line.start()
        text = line.group()
        # A bullet marker is layout, not part of the sentence a quote would show.
        bullet = _BULLET.match(text)
        cursor = bullet.end() if bullet else 0
        for boundary in _BOUNDARY.finditer(text):
            if text[boundary.start()] == "." and boundary.end() - boundary.start() == 1 \
                    and _is_abbreviation(text, boundary.start()):
                continue
            _append_trimmed(spans, body, line_start + cursor, line_start + boundary.end())
            cursor = boundary.end()
        _append_trimmed(spans, body, line_start + cursor, line_start + len(text))
    return spans


def _append_trimmed(spans: list[tuple[int, int]], body: str, start: int, end: int) -> None:
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def _token_range(offsets: list[tuple[int, int]], starts: list[int], start: int, end: int) -> tuple[int, int]:
    first = bisect.bisect_left(starts, start)
    last = bisect.bisect_left(starts, end)
    # A token that begins before `start` but ends inside the span still belongs to it.
    if first > 0 and offsets[first - 1][1] > start:
        first -= 1
    return first, last


def _cut_long_sentence(body: str, span: SentenceSpan, offsets: list[tuple[int, int]],
                       max_tokens: int, max_chars: int) -> list[SentenceSpan]:
    """Pieces of at most ``max_tokens`` tokens and ``max_chars`` characters, cut where a
    token starts after whitespace so that no word is split."""
    pieces: list[SentenceSpan] = []
    token = span.token_start
    piece_start_char = span.start
    while token < span.token_end:
        limit = min(span.token_end, token + max_tokens)
        while limit > token + 1 and offsets[limit - 1][1] - piece_start_char > max_chars:
            limit -= 1
        cut = limit
        if limit < span.token_end:
            # Step back to a token that starts a word, unless the window is one giant word.
            back = limit
            while back > token + 1 and not body[offsets[back][0] - 1].isspace():
                back -= 1
            if back > token + 1:
                cut = back
        end_char = offsets[cut - 1][1] if cut < span.token_end else span.end
        pieces.append(SentenceSpan(piece_start_char, end_char, token, cut))
        token = cut
        if token < span.token_end:
            piece_start_char = offsets[token][0]
    return pieces


def plan_chunks(body: str, sentence_spans: list[tuple[int, int]], tokens: TokenizedText, *,
                max_tokens: int, max_chars: int = 1500, overlap_tokens: int = 48) -> ChunkPlan:
    """Greedy windows of whole sentences within both budgets; each window after the first
    repeats the previous window's closing sentences, up to ``overlap_tokens``."""
    offsets = tokens.offsets
    starts = [start for start, _ in offsets]
    sentences: list[SentenceSpan] = []
    for start, end in sentence_spans:
        token_start, token_end = _token_range(offsets, starts, start, end)
        if token_end <= token_start:
            continue  # nothing the model would see (e.g. stray control characters)
        span = SentenceSpan(start, end, token_start, token_end)
        if token_end - token_start > max_tokens or end - start > max_chars:
            sentences.extend(_cut_long_sentence(body, span, offsets, max_tokens, max_chars))
        else:
            sentences.append(span)

    chunks: list[ChunkSpan] = []
    first = 0
    while first < len(sentences):
        last = first
        while last + 1 < len(sentences):
            nxt = sentences[last + 1]
            if nxt.token_end - sentences[first].token_start > max_tokens \
                    or nxt.end - sentences[first].start > max_chars:
                break
            last += 1
        chunks.append(ChunkSpan(
            sentences[first].start, sentences[last].end,
            sentences[first].token_start, sentences[last].token_end, first, last,
        ))
        if last + 1 >= len(sentences):
            break
        # Overlap: restart at the earliest closing sentence that fits the overlap budget and
        # still leaves room for the next new sentence, so every window adds new text.
        following = sentences[last + 1]
        restart = last + 1
        while restart - 1 > first:
            candidate = sentences[restart - 1]
            if sentences[last].token_end - candidate.token_start > overlap_tokens \
                    or following.token_end - candidate.token_start > max_tokens \
                    or following.end - candidate.start > max_chars:
                break
            restart -= 1
        first = restart
    return ChunkPlan(sentences, chunks)
