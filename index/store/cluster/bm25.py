"""BM25 scored here, over a small set of chunks, as Milvus scores its BM25 field.

A question names an outlet in one to three clauses, and each clause ran a BM25 search
restricted to that outlet: a Milvus request of ~16 ms on Milvus Lite (a fixed cost per
request; it serves one at a time), two a question on the MultiHop dev set. An outlet of a
few thousand chunks is scored here in well under a millisecond instead, from the same
document text Milvus was given (``milvus.bm25_words``, tokenised as its ``standard``
tokenizer does) and with the collection-wide statistics Milvus uses: the number of chunks,
their average length (``chunks.bm25_length`` in PostgreSQL) and each token's document
frequency, and the server's k1 and b. Large searches (the unrestricted one, an outlet of more than SCORED_CHUNKS
chunks) stay in Milvus.

Milvus's score of a document for a query of tokens q with counts c(q):

    sum over q of c(q) · idf(q) · tf·(k1 + 1) / (tf + k1·(1 - b + b·len / avgdl)),
    idf(q) = log(1 + (N - df(q) + 0.5) / (df(q) + 0.5))

Usage::

    from index.store.cluster.bm25 import Bm25Stats, LocalBm25, encode_terms
    local = LocalBm25.build([(7, *encode_terms("hyundai plant ...")), (9, *encode_terms("kia ..."))])
    stats = Bm25Stats(chunks=7658, average_length=840.0, document_frequency={"hyundai": 12}, k1=1.5)
    local.search(["hyundai", "hyundai", "plant"], stats, k=20, within=[7, 9])   # [(7, 3.1), ...]
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from index.store.cluster.milvus import bm25_tokens


@dataclass(frozen=True)
class Bm25Stats:
    """The collection-wide figures a BM25 score needs (all chunks, not the scored subset)."""

    chunks: int
    average_length: float
    document_frequency: Mapping[str, int]  # per query token
    k1: float = 1.2   # the server's (ChunkCollection.bm25_params)
    b: float = 0.75

    def idf(self, token: str) -> float:
        df = min(self.document_frequency.get(token, 0), self.chunks)
        return math.log1p((self.chunks - df + 0.5) / (df + 0.5))


def term_key(token: str) -> int:
    """A token's key in ``chunks.bm25_terms``: 64 bits of BLAKE2b, the same in every process
    (Python's own string hash is not); two tokens of one outlet share one with negligible odds."""
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little", signed=True)


def encode_terms(words: str) -> tuple[int, bytes]:
    """A chunk's BM25 field (milvus.bm25_words) as PostgreSQL keeps it for scoring here: its
    length in tokens (``chunks.bm25_length``) and its distinct tokens' keys (int64) followed
    by their counts (uint16), little-endian (``chunks.bm25_terms``, ~3.4 kB a chunk). Stored
    at ingest, so an outlet's postings are read, not re-analysed (~0.6 ms a chunk)."""
    tokens = bm25_tokens(words)
    held = Counter(tokens)
    keys = np.fromiter((term_key(t) for t in held), dtype="<i8", count=len(held))
    counts = np.fromiter((min(n, 65535) for n in held.values()), dtype="<u2", count=len(held))
    return len(tokens), keys.tobytes() + counts.tobytes()


class LocalBm25:
    """The term counts and lengths of some chunks, as sorted postings (numpy), for exact
    BM25 scores of any subset of them."""

    def __init__(self, chunk_ids: np.ndarray, lengths: np.ndarray, keys: np.ndarray, rows: np.ndarray,
                 counts: np.ndarray) -> None:
        self.chunk_ids = chunk_ids  # sorted
        self.lengths = lengths      # tokens of each chunk's BM25 field
        self._keys, self._rows, self._counts = keys, rows, counts  # postings sorted by key

    @classmethod
    def build(cls, documents: Iterable[tuple[int, int, bytes]]) -> LocalBm25:
        """From (chunk id, length, terms) rows (encode_terms)."""
        docs = sorted(documents)
        sizes = [len(blob) // 10 for _, _, blob in docs]
        keys = np.concatenate([np.frombuffer(blob, dtype="<i8", count=n) for (_, _, blob), n in zip(docs, sizes,
                               strict=True)] or [np.zeros(0, dtype=np.int64)])
        counts = np.concatenate([np.frombuffer(blob, dtype="<u2", offset=8 * n) for (_, _, blob), n in zip(
            docs, sizes, strict=True)] or [np.zeros(0, dtype=np.uint16)]).astype(np.float32)
        # 16 bytes a posting: ~340 a chunk, 22 MB for an outlet of SCORED_CHUNKS chunks.
        rows = np.repeat(np.arange(len(docs), dtype=np.int32), sizes)
        order = np.argsort(keys, kind="stable")
        return cls(np.array([c for c, _, _ in docs], dtype=np.int64),
                   np.array([n for _, n, _ in docs], dtype=np.float64), keys[order], rows[order], counts[order])

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def search(self, query: Sequence[str], stats: Bm25Stats, k: int,
               within: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """The ``k`` best chunks (of ``within``, else of all held) for the query's tokens (a
        token repeated weighs that many times, as in a Milvus query), best first; ties by
        chunk id. Only chunks holding a query token are returned, as from Milvus."""
        if k <= 0 or not len(self.chunk_ids):
            return []
        k1, b = stats.k1, stats.b
        norm = k1 * (1.0 - b + b * self.lengths / max(stats.average_length, 1e-9))
        scores = np.zeros(len(self.chunk_ids), dtype=np.float64)
        matched = np.zeros(len(self.chunk_ids), dtype=bool)
        for token, times in Counter(query).items():
            key = term_key(token)
            lo, hi = np.searchsorted(self._keys, key, "left"), np.searchsorted(self._keys, key, "right")
            if lo == hi:
                continue
            rows, tf = self._rows[lo:hi], self._counts[lo:hi].astype(np.float64)
            scores[rows] += times * stats.idf(token) * tf * (k1 + 1.0) / (tf + norm[rows])
            matched[rows] = True
        if within is not None:
            matched &= np.isin(self.chunk_ids, np.asarray(within, dtype=np.int64))
        candidates = np.flatnonzero(matched)
        order = candidates[np.lexsort((self.chunk_ids[candidates], -scores[candidates]))][:k]
        return [(int(self.chunk_ids[i]), float(scores[i])) for i in order]
