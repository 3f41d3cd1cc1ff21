"""The Milvus side of the cluster backend: one collection of chunks with a dense vector, one
BM25 sparse field filled by Milvus's own BM25 function, and the article id, outlets and day
as scalar fields for deletes and filters.

The BM25 field is the embedded tantivy index's one "words" field (index.store.embedded.lexical):
the analysed chunk text twice, the title, and the outlet and date words, so a chunk has one
length and a term one document frequency, the text counting twice what the title and outlet
words count, scored with tantivy's k1 = 1.2 and b = 0.75. Three fields summed by a
WeightedRanker (the first design) were three top-k lists: a chunk outside one field's top k
got nothing from it (dev evidence recall .584 against the embedded .639). Milvus has no
phrase query, so each part also holds its adjacent token pairs (lexical.pairs), and a term
of several tokens is searched as its pairs: the chunks that hold the phrase, as tantivy's
phrase query finds them, where its tokens one by one matched any chunk with one of them.

The same code talks to a Milvus cluster (``http://host:19530``), to a ``milvus-lite server``
(``http://127.0.0.1:PORT``, shared by several processes) and to a Milvus Lite file.

Usage::

    from index.store.cluster.milvus import ChunkCollection, ChunkDoc
    chunks = ChunkCollection.connect("http://127.0.0.1:19530", "newsbot_ab12cd34", dim=384)
    chunks.upsert([ChunkDoc(7, "a-1", "Hyundai confirmed ...", "Hyundai deal", "Reuters", "2023-10-07", vec)])
    chunks.dense(query_vector, k=10)                 # [(7, 0.83), ...]
    chunks.lexical(["hyundai", "confirm"], k=10)     # BM25, best first
    chunks.delete_articles(["a-1"])
    chunks.flush()                                   # after a batch of writes (see flush)
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from index.store.cluster.lexical import analyse, analysed_text, pairs
from index.store.embedded.lexical import day_number as embedded_day_number
from index.store.embedded.lexical import metadata_terms
from index.store.records import split_outlets

TEXT_CHARS = 8000      # analysed chunk text (chunks are at most 1,500 characters of body)
# pymilvus pings every 10 s even when idle; a gRPC server with default settings (milvus-lite
# server) answers more than two such pings with GOAWAY "too_many_pings" and the channel fails.
# Five minutes is gRPC's default minimum, which every server accepts.
GRPC_OPTIONS = {"grpc.keepalive_time_ms": 300_000, "grpc.keepalive_permit_without_calls": 0}
SHORT_CHARS = 2000     # analysed title, and outlet + date words
WORDS_BYTES = 65535    # Milvus's largest VARCHAR (UTF-8 bytes); a chunk's words take ~12 kB
# tantivy's BM25 constants (Milvus Lite's default k1 is 1.5, a Milvus cluster's 1.2).
BM25_PARAMS = {"bm25_k1": 1.2, "bm25_b": 0.75}
# What Milvus Lite 3.2.2 scores with whatever the index asked for (ChunkCollection.bm25_params).
MILVUS_LITE_BM25 = {"bm25_k1": 1.5, "bm25_b": 0.75}
LAYOUT_FIELD = "words_bm25"
# The collection's layout, recorded in PostgreSQL (meta milvus_layout) by the restore that
# filled it, and in its description for people: a collection with another is from an older
# newsbot and is refilled from PostgreSQL by the next catch-up (sync.catch_up), once.
LAYOUT = "newsbot chunks, layout 2: one BM25 field of words and word pairs"
WEIGHT_STEPS = 10      # a term's weight is sent in tenths (query_tokens)
NO_DAY = -(1 << 40)    # no date: outside every range a question can name
_EPOCH = date(1970, 1, 1)



class MilvusUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class ChunkDoc:
    chunk_id: int
    article_id: str
    text: str           # the chunk's text as stored in the body
    title: str
    source: str
    published_at: str | None
    vector: np.ndarray

    def row(self) -> dict:
        day = embedded_day_number(self.published_at)
        return {"chunk_id": self.chunk_id, "article_id": self.article_id, "words": self.words(),
                "outlets": split_outlets(self.source)[:64], "day": NO_DAY if day is None else day,
                "dense": np.asarray(self.vector, dtype=np.float32).tolist()}

    def words(self) -> str:
        """What the BM25 field holds (bm25_words)."""
        return bm25_words(self.text, self.title, self.source, self.published_at)


def bm25_words(text: str, title: str, source: str, published_at: str | None) -> str:
    """A chunk's BM25 field: text twice, title, outlet and date words, analysed; then the
    pairs of each part."""
    analysed = analysed_text(text, TEXT_CHARS).split()
    parts = [analysed, analysed, analysed_text(title, SHORT_CHARS).split(),
             analysed_text(metadata_terms(source, published_at), SHORT_CHARS).split()]
    joined = " ".join(" ".join(part) for part in [*parts, *(pairs(part) for part in parts)] if part)
    if len(joined.encode()) > WORDS_BYTES:
        joined = joined.encode()[:WORDS_BYTES].decode(errors="ignore").rsplit(" ", 1)[0]
    return joined


_MILVUS_TOKEN = re.compile(r"\w+")


def bm25_tokens(words: str) -> list[str]:
    """The tokens Milvus's ``standard`` tokenizer makes of a BM25 field or query (runs of
    word characters, lower case): what a document's length and term counts are made of
    when BM25 is scored here (index.store.cluster.bm25)."""
    return _MILVUS_TOKEN.findall(words.lower())


def query_tokens(terms: Sequence[str], factors: Mapping[str, float] | None = None) -> list[str]:
    """What a BM25 request asks for: a one-token term as its token, a longer one as its pairs.
    With ``factors`` (a term's analysed tokens joined by spaces: its weight), each token of a
    term is repeated round(WEIGHT_STEPS * weight / the largest weight) times: Milvus weighs a
    query token by how often the query holds it, and that is the one per-term weight a BM25
    request can carry. Only the ratios matter to the ranking; the largest weight is always
    sent, and a term weighed to nothing beside it is left out."""
    analysed = {term: analyse(term) for term in dict.fromkeys(terms)}
    weights = {term: 1.0 if factors is None else factors.get(" ".join(tokens), 1.0)
               for term, tokens in analysed.items() if tokens}
    top = max(weights.values(), default=1.0)
    out: list[str] = []
    for term, weight in weights.items():
        tokens = analysed[term]
        parts = tokens if len(tokens) == 1 else pairs(tokens)
        out.extend(parts if factors is None else parts * round(WEIGHT_STEPS * weight / top))
    return out


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def restriction(outlets: Collection[str] | None = None, published_between: tuple[date, date] | None = None,
                within: Sequence[int] | None = None) -> str:
    """A Milvus boolean expression for the Snapshot's restrictions (AND-ed), or ''."""
    parts = []
    if outlets is not None:
        parts.append(f"array_contains_any(outlets, [{', '.join(_literal(o) for o in sorted(outlets))}])")
    if published_between is not None:
        first, last = published_between
        parts.append(f"(day >= {(first - _EPOCH).days} and day <= {(last - _EPOCH).days})")
    if within is not None:
        parts.append(f"chunk_id in [{', '.join(str(int(c)) for c in within)}]")
    return " and ".join(parts)


def _hits(result: list) -> list[tuple[int, float]]:
    return [(int(hit["chunk_id"]), float(hit["distance"])) for hit in (result[0] if result else [])]


class ChunkCollection:
    def __init__(self, client: object, name: str) -> None:
        self.client = client
        self.name = name
        self._current: bool | None = None  # whether the collection has this layout (asked once)
        # Strong (wait for every write) unless the backend knows the last write is older than
        # Milvus's staleness bound; see ClusterKnowledgeBase.reader.
        self.consistency = "Strong"
        self._bm25_params: dict[str, float] | None = None

    @classmethod
    def connect(cls, uri: str, name: str, dim: int | None, *, timeout: float = 10.0) -> ChunkCollection:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        # pymilvus logs every failed RPC with a traceback (and configures its loggers on import);
        # our callers turn failures into one-line errors.
        for logger in ("pymilvus", "pymilvus.client.iterator.query_iterator", "pymilvus.decorators"):
            logging.getLogger(logger).setLevel(logging.CRITICAL)
        try:
            client = MilvusClient(uri=uri, timeout=timeout, grpc_options=GRPC_OPTIONS)
        except MilvusException as exc:
            raise MilvusUnavailable(f"cannot reach Milvus at {uri}: {exc.message}") from exc
        collection = cls(client, name)
        if dim and not client.has_collection(name):
            collection.create(dim)
        collection.ensure_loaded()
        return collection

    def ensure_loaded(self) -> None:
        """Loads the collection when the server holds it released: a restarted ``milvus-lite
        server`` forgets that it was loaded, and every search then fails."""
        from pymilvus.exceptions import MilvusException

        try:
            if self.client.has_collection(self.name) and "NotLoad" in str(
                    self.client.get_load_state(self.name).get("state")):
                self.client.load_collection(self.name)
        except MilvusException as exc:
            raise MilvusUnavailable(f"cannot load the Milvus collection {self.name}: {exc.message}") from exc

    def create(self, dim: int) -> None:
        from pymilvus import DataType, Function, FunctionType

        c = self.client
        schema = c.create_schema(auto_id=False)
        schema.add_field("chunk_id", DataType.INT64, is_primary=True)
        schema.add_field("article_id", DataType.VARCHAR, max_length=512)
        schema.add_field("words", DataType.VARCHAR, max_length=WORDS_BYTES, enable_analyzer=True)
        schema.add_field("outlets", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=64, max_length=512)
        schema.add_field("day", DataType.INT64)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field(LAYOUT_FIELD, DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="words_bm25_fn", function_type=FunctionType.BM25,
                                     input_field_names=["words"], output_field_names=[LAYOUT_FIELD]))
        index = c.prepare_index_params()
        index.add_index("dense", index_type="AUTOINDEX", metric_type="IP")
        index.add_index(LAYOUT_FIELD, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25_PARAMS)
        index.add_index("article_id", index_type="INVERTED")
        index.add_index("day", index_type="INVERTED")
        c.create_collection(self.name, schema=schema, index_params=index, consistency_level="Strong",
                            description=LAYOUT)
        c.load_collection(self.name)
        self._current = True

    def exists(self) -> bool:
        return bool(self.client.has_collection(self.name))

    def is_current(self, layout: str | None) -> bool:
        """Whether the collection exists with this version's layout. ``layout`` is what
        PostgreSQL's meta says the last restore wrote (sync.restore): a ``milvus-lite
        server`` keeps no collection description, so reading LAYOUT back from Milvus found
        every collection old and refilled it at every process start. The collection's own
        fields are asked once, for one that someone else made under this name."""
        if layout != LAYOUT:
            return False
        if self._current is None:
            if not self.exists():
                return False
            fields = self.client.describe_collection(self.name).get("fields", [])
            self._current = LAYOUT_FIELD in {field.get("name") for field in fields}
        return self._current

    def drop(self) -> None:
        if self.exists():
            self.client.drop_collection(self.name)
        self._current = None

    def flush(self) -> None:
        """Seals what was written. Milvus Lite keeps unflushed rows in a memtable that every
        search scans and re-indexes from scratch (7,658 chunks: 0.4 s a dense search, 1 s a
        BM25 one); sealed segments are indexed once. A Milvus cluster seals on its own, and
        advises against flushing after every insert: the sync calls this once per catch-up."""
        self.client.flush(self.name)

    # ------------------------------------------------------------------ writes (idempotent)

    def upsert(self, docs: Sequence[ChunkDoc]) -> None:
        for at in range(0, len(docs), 512):
            self.client.upsert(self.name, [doc.row() for doc in docs[at:at + 512]])

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        for at in range(0, len(article_ids), 256):
            group = article_ids[at:at + 256]
            self.client.delete(self.name, filter=f"article_id in [{', '.join(_literal(a) for a in group)}]")

    # ------------------------------------------------------------------ reads

    def dense(self, vector: np.ndarray, k: int, expr: str = "") -> list[tuple[int, float]]:
        if k <= 0:
            return []
        result = self.client.search(self.name, data=[np.asarray(vector, dtype=np.float32).tolist()],
                                    anns_field="dense", limit=min(k, 16384), filter=expr, output_fields=["chunk_id"],
                                    search_params={"metric_type": "IP"}, consistency_level=self.consistency)
        return _hits(result)

    def lexical(self, terms: Sequence[str], k: int, expr: str = "",
                factors: Mapping[str, float] | None = None) -> list[tuple[int, float]]:
        """BM25 over the words field (text twice, title, outlet/date words), one request;
        any term may match, a term of several tokens as its pairs (the phrase); ``factors``
        weigh one-token terms (query_tokens)."""
        query = " ".join(query_tokens(terms, factors))
        if not query or k <= 0:
            return []
        result = self.client.search(self.name, data=[query], anns_field=LAYOUT_FIELD, limit=min(k, 16384),
                                    filter=expr, output_fields=["chunk_id"], search_params={"metric_type": "BM25"},
                                    consistency_level=self.consistency)
        return _hits(result)

    def hybrid(self, vector: np.ndarray, terms: Sequence[str], k: int, expr: str = "",
               rrf_k: int = 60) -> list[tuple[int, float]]:
        """Dense and BM25 fused by reciprocal rank inside Milvus."""
        from pymilvus import AnnSearchRequest, RRFRanker

        query = " ".join(query_tokens(terms))
        requests = [AnnSearchRequest(data=[np.asarray(vector, dtype=np.float32).tolist()], anns_field="dense",
                                     param={"metric_type": "IP"}, limit=k, expr=expr or None)]
        if query:
            requests.append(AnnSearchRequest(data=[query], anns_field=LAYOUT_FIELD, param={"metric_type": "BM25"},
                                             limit=k, expr=expr or None))
        result = self.client.hybrid_search(self.name, requests, ranker=RRFRanker(rrf_k), limit=k,
                                           output_fields=["chunk_id"], consistency_level=self.consistency)
        return _hits(result)

    def bm25_params(self) -> dict[str, float]:
        """The k1 and b the server scores BM25 with, asked once: what its index reports, else
        Milvus Lite's defaults. Milvus Lite 3.2.2 reads an index's parameters only from a
        ``params`` JSON, which pymilvus does not send when it creates the collection with its
        indexes, so it reports none and scores with k1 = 1.5 (checked: the scores of a
        one-segment collection are k1 = 1.5's, not BM25_PARAMS' 1.2). A BM25 scored here
        (cluster.bm25) must use the server's, to rank as the server does."""
        if self._bm25_params is None:
            described = self.client.describe_index(self.name, LAYOUT_FIELD) or {}
            nested = described.get("params")
            if isinstance(nested, str):
                nested = json.loads(nested)
            given = {**described, **(nested if isinstance(nested, dict) else {})}
            self._bm25_params = {key: float(given.get(key, default)) for key, default in MILVUS_LITE_BM25.items()}
        return self._bm25_params

    def count(self) -> int:
        rows = self.client.query(self.name, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def iter_ids(self) -> Iterator[tuple[int, str]]:
        """Every (chunk id, article id) stored, for comparisons with PostgreSQL."""
        iterator = self.client.query_iterator(self.name, batch_size=4096, filter="chunk_id >= 0",
                                              output_fields=["article_id"])
        try:
            while batch := iterator.next():
                for row in batch:
                    yield int(row["chunk_id"]), row["article_id"]
        finally:
            iterator.close()
