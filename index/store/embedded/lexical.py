"""The lexical (BM25) index: a tantivy index of chunk text, title and outlet/date words,
derived from SQLite like the FAISS checkpoint, and never its source of truth.

Usage::

    from index.store.embedded.lexical import ChunkDoc, LexicalIndex, LexicalState
    lex = LexicalIndex.open(data_dir / "lexical")          # raises LexicalIndexError when damaged
    with lex.writer() as w:                                 # one commit, marker included
        w.delete([17, 18])
        w.add([ChunkDoc(19, "Hyundai rejected the report.", "Plant deal", "Reuters", "2023-10-07")])
        w.commit(LexicalState(epoch="9f...", high=19, seq=2))
    lex.refresh()
    lex.search(["hyundai", "plant"], k=10, outlets=["Reuters"])   # [(19, 1.73)]
    lex.phrase_count("rejected the report")                       # 1

One document per chunk (``chunk_id`` > 0) plus one marker document (``chunk_id`` 0) that
records the SQLite epoch, the highest chunk id and the removal sequence the index holds.
The marker is written in the same tantivy commit as the documents, so the index always
knows exactly which SQLite changes it has applied: a kill before the commit loses the
batch and the marker together, and the next catch-up applies both again.

Tokenisation matches what FTS5 did for ranking (``porter unicode61 remove_diacritics 2``):
split on non-alphanumerics, lower-case, fold diacritics, stem (Snowball English).
Questions' terms go through the same analyser, so no tantivy query syntax is ever parsed.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import struct
import zlib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import tantivy

from index.store.embedded.vectors import file_stamp
from index.store.records import split_outlets

ANALYSER = "newsbot_en"
FORMAT = 3            # bump when the schema or the analyser changes: the index is rebuilt
MARKER_ID = 0         # SQLite chunk ids start at 1
PHRASE_COUNT_CAP = 1000
_EPOCH_DAY = date(1970, 1, 1)
_MONTHS = "January February March April May June July August September October November December".split()


class LexicalIndexError(RuntimeError):
    """The index on disk cannot be opened or read; the store rebuilds it from SQLite."""


@dataclass(frozen=True)
class LexicalState:
    """Which SQLite changes the index holds: the store's epoch, the highest chunk id added
    and the last ``removed_chunks`` sequence number applied."""

    epoch: str
    high: int
    seq: int


@dataclass(frozen=True)
class ChunkDoc:
    chunk_id: int
    text: str
    title: str
    source: str
    published_at: str | None


def day_number(published_at: str | None) -> int | None:
    """Days since 1970-01-01 of the date written in ``published_at`` (its own time zone)."""
    if not published_at:
        return None
    try:
        return (datetime.fromisoformat(published_at).date() - _EPOCH_DAY).days
    except ValueError:
        return None


def metadata_terms(source: str, published_at: str | None) -> str:
    """Words a question may use for an article's outlet and date ("TechCrunch", "October 7 2023")."""
    parts = [source]
    if published_at:
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(published_at)
            parts.append(f"{_MONTHS[when.month - 1]} {when.day} {when.year}")
    return " ".join(p for p in parts if p)


def fts5_idf_factor(n: int, total: int) -> float:
    """What turns BM25's log(1 + (N - n + .5) / (n + .5)) (tantivy's, Milvus's) into FTS5's
    log((N - n + .5) / (n + .5)) for a word in ``n`` of ``total`` chunks: words found in most
    chunks count as little as they did with FTS5. The cluster backend applies it too."""
    n = min(n, total)
    if n <= 0:
        return 1.0
    ratio = (total - n + 0.5) / (n + 0.5)  # > 0 since n <= total
    return max(math.log(ratio), 1e-6) / math.log1p(ratio)


def analyser() -> tantivy.TextAnalyzer:
    """The analyser of chunk text and of questions' terms (the cluster backend uses it too)."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .filter(tantivy.Filter.stemmer("english"))
            .build())


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("chunk_id", indexed=True, fast=True)  # i64: Python ints are i64 terms
    # One field, four values (chunk text twice, title, outlet + date words): BM25 then scores
    # a chunk as FTS5 scored its row, with one length and one document frequency, and the
    # text counting twice what the title and outlet/date words count (FTS5's weights 1, .5,
    # .5). Per-field scores kept less of FTS5's ranking (dev top-10 overlap .80 against .88)
    # and lost dev evidence recall (.618 and .622 against .639; FTS5 .647).
    builder.add_text_field("words", tokenizer_name=ANALYSER, index_option="position")
    builder.add_text_field("outlet", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_text_field("state", stored=True, tokenizer_name="raw", index_option="basic")
    return builder.build()


_FAILURES: tuple[type[BaseException], ...] = (ValueError, OSError, RuntimeError)
with contextlib.suppress(ImportError):  # a Rust panic surfaces as this BaseException subclass
    from pyo3_runtime import PanicException  # type: ignore[import-not-found]

    _FAILURES = (*_FAILURES, PanicException)


_SEGMENT_FILES = ("idx", "pos", "term", "store", "fast", "fieldnorm")
_FOOTER_MAGIC = 1337


def _footer_problem(path: Path, block: int = 1 << 22) -> str | None:
    """Why a tantivy file fails its footer check (body, footer JSON, u32 length, u32 magic), or None."""
    size = path.stat().st_size
    if size < 8:
        return "too short"
    with path.open("rb") as handle:
        handle.seek(size - 8)
        length, magic = struct.unpack("<II", handle.read(8))
        if magic != _FOOTER_MAGIC or length > size - 8:
            return "no footer"
        handle.seek(size - 8 - length)
        try:
            expected = int(json.loads(handle.read(length))["crc"])
        except (ValueError, KeyError, TypeError):
            return "unreadable footer"
        handle.seek(0)
        crc, left = 0, size - 8 - length
        while left > 0:
            data = handle.read(min(block, left))
            if not data:
                return "truncated"
            crc = zlib.crc32(data, crc)
            left -= len(data)
    return None if crc == expected else f"CRC-32 {crc:08x}, footer says {expected:08x}"


class LexicalWriter:
    """Changes for one tantivy commit; ``commit`` publishes them with the new marker."""

    def __init__(self, index: tantivy.Index, threads: int, heap: int) -> None:
        self._writer = index.writer(heap, threads)
        self.added = 0

    def delete(self, chunk_ids: Iterable[int]) -> None:
        for chunk_id in chunk_ids:
            self._writer.delete_documents_by_term("chunk_id", int(chunk_id))

    def delete_all(self) -> None:
        self._writer.delete_all_documents()

    def add(self, docs: Iterable[ChunkDoc]) -> None:
        for doc in docs:
            document = tantivy.Document()
            document.add_integer("chunk_id", doc.chunk_id)
            document.add_text("words", doc.text)
            document.add_text("words", doc.text)
            document.add_text("words", doc.title)
            document.add_text("words", metadata_terms(doc.source, doc.published_at))
            for outlet in split_outlets(doc.source):
                document.add_text("outlet", outlet)
            day = day_number(doc.published_at)
            if day is not None:
                document.add_integer("day", day)
            self._writer.add_document(document)
            self.added += 1

    def commit(self, state: LexicalState) -> None:
        self._writer.delete_documents_by_term("chunk_id", MARKER_ID)
        marker = tantivy.Document()
        marker.add_integer("chunk_id", MARKER_ID)
        marker.add_text("state", json.dumps({"epoch": state.epoch, "high": state.high, "seq": state.seq,
                                             "format": FORMAT}))
        self._writer.add_document(marker)
        self._writer.commit()
        self._writer.wait_merging_threads()

    def rollback(self) -> None:
        with contextlib.suppress(*_FAILURES):
            self._writer.rollback()


class LexicalIndex:
    """One tantivy index directory. Readers call ``refresh`` to see the last commit."""

    def __init__(self, path: Path, index: tantivy.Index) -> None:
        self.path = path
        self._index = index
        self._schema = index.schema
        self._analyser = analyser()
        self._searcher = index.searcher()

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> LexicalIndex:
        """Opens the index at ``path``, creating an empty one when there is none."""
        try:
            if not path.exists() or not any(path.iterdir()):
                if not create:
                    raise LexicalIndexError(f"there is no lexical index at {path}")
                path.mkdir(parents=True, exist_ok=True)
                index = tantivy.Index(_schema(), path=str(path), reuse=False)
            else:
                index = tantivy.Index.open(str(path))
            index.register_tokenizer(ANALYSER, analyser())
            index.config_reader("Manual", 0)
            return cls(path, index)
        except _FAILURES as exc:
            raise LexicalIndexError(f"the lexical index at {path} cannot be opened ({exc})") from exc

    @classmethod
    def recreate(cls, path: Path) -> LexicalIndex:
        """Deletes whatever is at ``path`` and makes an empty index there."""
        if path.exists():
            shutil.rmtree(path)
        return cls.open(path)

    def refresh(self) -> None:
        """Sees the latest commit (of this process or another)."""
        try:
            self._index.reload()
            self._searcher = self._index.searcher()
        except _FAILURES as exc:
            raise LexicalIndexError(f"the lexical index at {self.path} cannot be read ({exc})") from exc

    @contextlib.contextmanager
    def writer(self, *, threads: int = 1, heap: int = 64_000_000) -> Iterator[LexicalWriter]:
        """A writer for one commit. Callers serialise writers (the store's writer lock);
        tantivy's own lock file guards against anything else."""
        try:
            writer = LexicalWriter(self._index, threads, heap)
        except _FAILURES as exc:
            raise LexicalIndexError(f"the lexical index at {self.path} cannot be written ({exc})") from exc
        try:
            yield writer
        except BaseException:
            writer.rollback()
            raise
        finally:
            del writer

    # ------------------------------------------------------------------ reading

    def state(self) -> LexicalState | None:
        """The marker of the last commit seen by ``refresh``; None for a new or foreign index."""
        try:
            hits = self._searcher.search(tantivy.Query.term_query(self._schema, "chunk_id", MARKER_ID), 1).hits
            if not hits:
                return None
            stored = self._searcher.doc(hits[0][1]).to_dict().get("state") or [""]
            data = json.loads(stored[0])
        except _FAILURES as exc:
            raise LexicalIndexError(f"the lexical index at {self.path} cannot be read ({exc})") from exc
        if data.get("format") != FORMAT:
            return None
        return LexicalState(str(data["epoch"]), int(data["high"]), int(data["seq"]))

    @property
    def is_empty(self) -> bool:
        return int(self._searcher.num_docs) == 0

    @property
    def doc_count(self) -> int:
        """Chunk documents (the marker not counted)."""
        return int(self._searcher.num_docs) - (1 if self.state() is not None else 0)

    def tokens(self, text: str) -> list[str]:
        return self._analyser.analyze(text)

    def _match(self, field: str, tokens: list[str]) -> tantivy.Query:
        if len(tokens) == 1:
            return tantivy.Query.term_query(self._schema, field, tokens[0])
        return tantivy.Query.phrase_query(self._schema, field, tokens)

    def _restriction(self, outlets: Collection[str] | None, days: tuple[int, int] | None) -> list[tantivy.Query]:
        filters = []
        if outlets is not None:
            filters.append(tantivy.Query.term_set_query(self._schema, "outlet", sorted(outlets)))
        if days is not None:
            filters.append(tantivy.Query.range_query(self._schema, "day", tantivy.FieldType.Integer,
                                                     days[0], days[1]))
        return filters

    def search(self, terms: Sequence[str], k: int, *, outlets: Collection[str] | None = None,
               published_between: tuple[date, date] | None = None) -> list[tuple[int, float]]:
        """BM25 over a chunk's text, title and outlet/date words: any term may match; a term
        that analyses to several tokens matches as a phrase. Best first."""
        if k <= 0 or (outlets is not None and not outlets):
            return []
        should, faint = [], []
        total = max(int(self._searcher.num_docs), 1)
        for term in dict.fromkeys(terms):
            tokens = self.tokens(term)
            if not tokens:
                continue
            query = self._match("words", tokens)
            factor, floored = self._idf_factor(tokens, total)
            (faint if floored else should).append(
                (tantivy.Occur.Should, query if factor == 1.0 else tantivy.Query.boost_query(query, factor)))
        days = None
        if published_between is not None:
            days = ((published_between[0] - _EPOCH_DAY).days, (published_between[1] - _EPOCH_DAY).days)
        filters = self._restriction(outlets, days)
        # A word in half the chunks or more weighs 1e-6 (FTS5's floor): it moves a score by
        # about a millionth, so it only ranks chunks that match nothing else. Left out, the
        # engine walks fewer postings for the same top k (the year of every chunk's date
        # words, at 1M chunks: BM25 p50 17.6 → 15.0 ms, the same order in 150 searches); the
        # whole query runs only when the rest matches fewer than k chunks.
        hits = self._top(self._restricted(should, filters), k) if should else []
        if faint and len(hits) < k:
            hits = self._top(self._restricted(should + faint, filters), k)
        return hits

    @staticmethod
    def _restricted(should: list[tuple[tantivy.Occur, tantivy.Query]],
                    filters: list[tantivy.Query]) -> tantivy.Query:
        """Any of the ``should`` clauses, within every filter (which adds nothing to the score)."""
        query = tantivy.Query.boolean_query(should)
        if not filters:
            return query
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query)]
            + [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters])

    def _idf_factor(self, tokens: list[str], total: int) -> tuple[float, bool]:
        """FTS5's BM25 weighs a term by log((N - n + .5) / (n + .5)), tantivy's by
        log(1 + (N - n + .5) / (n + .5)): the boost turns one into the other, so words found
        in most chunks count as little as they did with FTS5. Also whether FTS5's floor of
        1e-6 applies (a word in at least half the chunks)."""
        if len(tokens) != 1:
            return 1.0, False
        # doc_freq still counts deleted documents until their segment merges: clamp it.
        n = min(int(self._searcher.doc_freq("words", tokens[0])), total)
        faint = n > 0 and math.log((total - n + 0.5) / (n + 0.5)) <= 1e-6
        return fts5_idf_factor(n, total), faint

    def _top(self, query: tantivy.Query, k: int) -> list[tuple[int, float]]:
        try:
            hits = self._searcher.search(query, k, count=False).hits
            ids = self._searcher.fast_field_values("chunk_id", [address for _, address in hits])
        except _FAILURES as exc:
            raise LexicalIndexError(f"the lexical index at {self.path} cannot be read ({exc})") from exc
        return [(int(i), float(score)) for (score, _), i in zip(hits, ids, strict=True) if i]

    def phrase_count(self, phrase: str, cap: int = PHRASE_COUNT_CAP) -> int:
        """Chunks holding the phrase's words in order (in their text, title, or outlet and
        date words), up to ``cap``."""
        tokens = self.tokens(phrase)
        if not tokens:
            return 0
        query = self._match("words", tokens)
        try:
            count = self._searcher.search(query, 1, count=True).count
        except _FAILURES as exc:
            raise LexicalIndexError(f"the lexical index at {self.path} cannot be read ({exc})") from exc
        return min(int(count), cap)

    def chunk_ids(self) -> set[int]:
        """Every chunk id the index holds (for integrity checks; reads one fast field)."""
        total = int(self._searcher.num_docs)
        if total == 0:
            return set()
        try:
            hits = self._searcher.search(tantivy.Query.all_query(), total, count=False).hits
            ids = self._searcher.fast_field_values("chunk_id", [address for _, address in hits])
        except _FAILURES as exc:
            raise LexicalIndexError(f"the lexical index at {self.path} cannot be read ({exc})") from exc
        return {int(i) for i in ids if i}

    def verify(self, checked: Mapping[str, object] | None = None) -> dict[str, list[int]]:
        """Checks every file of the committed segments against the CRC-32 in its tantivy
        footer (tantivy reads them without checking, so a flipped bit would go unnoticed).
        Files of uncommitted segments (a killed writer's) are not part of the index.
        A file whose stamp (``vectors.file_stamp``) is the one in ``checked`` passed before
        and has not been written since (segment files never are): it is not read again.
        Returns the stamps of the files that pass, for the next call's ``checked``."""
        checked = checked or {}
        passed: dict[str, list[int]] = {}
        try:
            segments = json.loads((self.path / "meta.json").read_text())["segments"]
        except (OSError, ValueError, KeyError) as exc:
            raise LexicalIndexError(f"the lexical index's meta.json is unreadable ({exc})") from exc
        for segment in segments:
            stem = str(segment["segment_id"]).replace("-", "")
            names = [f"{stem}.{kind}" for kind in _SEGMENT_FILES]
            if segment.get("deletes"):
                names.append(f"{stem}.{segment['deletes']['opstamp']}.del")
            for name in names:
                path = self.path / name
                if not path.exists():
                    raise LexicalIndexError(f"the lexical index file {name} is damaged (missing)")
                stamp = file_stamp(path)
                if checked.get(name) != stamp:
                    problem = _footer_problem(path)
                    if problem:
                        raise LexicalIndexError(f"the lexical index file {name} is damaged ({problem})")
                passed[name] = stamp
        return passed

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
