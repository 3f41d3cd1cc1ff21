"""The records a knowledge base hands out (articles, chunks, sentences, add reports), the
sentence-vector encoding and the body digest both backends store, and the split of a source
into outlet names.

Usage::

    from index.store.records import body_hash, outlet_names, quantize_int8, split_outlets
    split_outlets("Reuters, AP")                # ['Reuters', 'AP']
    outlet_names(["Reuters, AP", "AP"])         # ['AP', 'Reuters']
    blob = quantize_int8(vector).tobytes()      # a sentence vector as stored; dequantize_int8(blob) reads it
    body_hash("Same  text") == body_hash("same text")   # True: how a same-text duplicate is found
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ArticleRow:
    id: str
    title: str
    source: str
    url: str | None
    published_at: str | None
    author: str | None
    origin: str
    added_at: str
    body: str = ""


@dataclass(frozen=True)
class ChunkRow:
    id: int
    article_id: str
    ord: int
    start: int
    end: int


@dataclass(frozen=True)
class SentenceRow:
    id: int
    article_id: str
    start: int
    end: int
    vector: np.ndarray


@dataclass(frozen=True)
class ArticleOutcome:
    id: str
    title: str
    origin: str
    detail: str = ""


@dataclass
class AddReport:
    added: list[ArticleOutcome] = field(default_factory=list)
    replaced: list[ArticleOutcome] = field(default_factory=list)
    skipped: list[ArticleOutcome] = field(default_factory=list)
    chunks_added: int = 0
    seconds: float = 0.0


def body_hash(body: str) -> str:
    """The digest that finds the same text again: whitespace runs and case do not count."""
    return hashlib.sha256(" ".join(body.split()).casefold().encode("utf-8")).hexdigest()


def split_outlets(source: str) -> list[str]:
    """A source may list several outlets ("Reuters, AP"); each is a name on its own."""
    return [part.strip() for part in source.split(",") if part.strip()]


def outlet_names(sources: Iterable[str]) -> list[str]:
    """The outlet names in article sources, sorted, a source naming several split at commas."""
    return sorted({name for source in sources for name in split_outlets(source)})


def quantize_int8(vectors: np.ndarray) -> np.ndarray:
    """Sentence vectors as stored: unit vectors have components in [-1, 1]; 127 steps keep
    cosine error near 1e-4, at a quarter of float32's size (sentences outnumber chunks ten to one)."""
    return np.clip(np.rint(vectors * 127.0), -127, 127).astype(np.int8)


def dequantize_int8(blob: bytes) -> np.ndarray:
    """A stored sentence vector back as float32."""
    return np.frombuffer(blob, dtype=np.int8).astype(np.float32) / 127.0
