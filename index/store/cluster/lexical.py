"""The words Milvus's BM25 sees: text analysed on our side (tantivy's tokenizer, lower case,
ASCII folding, the English Snowball stemmer), stored as space-separated tokens.

The analyser is the embedded tantivy index's own (index.store.embedded.lexical). Milvus Lite 3.2.2
accepts an analyzer's ``filter`` list but applies none of it (checked: "companies" is
found by "companies" and not by "company"; "café" not by "cafe"), so the collection uses
Milvus's plain ``standard`` tokenizer over pre-analysed text, which gives the same tokens
on Milvus Lite and on a Milvus cluster.

Usage::

    from index.store.cluster.lexical import analyse, analysed_text
    analyse("Hyundai's plants")        # ['hyundai', 's', 'plant']
    analysed_text("The companies")     # 'the compani'
    phrase_words("Hyundai rejected it", "Plant deal", "Reuters", "2023-10-07")   # what phrase_count reads
    pairs(["bankman", "fri"])          # ['bankmanǂfri']: what a phrase is searched as in Milvus
"""

from __future__ import annotations

import functools
import itertools

import tantivy

from index.store.embedded.lexical import analyser as embedded_analyser
from index.store.embedded.lexical import metadata_terms


@functools.cache
def _analyzer() -> tantivy.TextAnalyzer:
    return embedded_analyser()  # the embedded tantivy index's analyser: the same tokens on both backends


def analyse(text: str) -> list[str]:
    """The tokens of a text, in order."""
    return list(_analyzer().analyze(text)) if text else []


def analysed_text(text: str, max_chars: int | None = None) -> str:
    """Tokens joined by spaces (what is stored in Milvus), cut at a token boundary to fit."""
    joined = " ".join(analyse(text))
    if max_chars is not None and len(joined) > max_chars:
        joined = joined[:max_chars].rsplit(" ", 1)[0]
    return joined


def phrase_words(text: str, title: str, source: str, published_at: str | None) -> str:
    """A chunk's analysed words as the embedded index's phrase queries see them (chunk text,
    title, outlet and date words), for PostgreSQL's ``chunks.words`` tsvector."""
    return " ".join(part for part in (analysed_text(text), analysed_text(title),
                                      analysed_text(metadata_terms(source, published_at))) if part)


# Joins two adjacent tokens into one (a letter, so every tokenizer keeps the pair whole; our
# analyser never makes a token that holds it next to two others).
PAIR_JOINER = "\u01c2"  # ǂ


def pairs(tokens: list[str]) -> list[str]:
    """Each two adjacent tokens as one: Milvus has no phrase query, so a phrase is searched
    as the pairs it is made of, which the indexed text holds beside its words."""
    return [f"{a}{PAIR_JOINER}{b}" for a, b in itertools.pairwise(tokens)]
