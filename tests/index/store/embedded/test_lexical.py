"""The tantivy lexical index on its own: analysis, phrases, in-engine restriction, deletes,
the marker commit and the CRC-32 check. Real tantivy on small articles written here."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from index.store.embedded.lexical import (
    ChunkDoc,
    LexicalIndex,
    LexicalIndexError,
    LexicalState,
    day_number,
)
from index.store.embedded.vectors import file_stamp
from index.store.records import split_outlets

DOCS = [
    ChunkDoc(1, "Hyundai rejected the report's findings, calling them groundless.", "Plant deal",
             "Reuters, AP", "2023-10-07T10:00:00+00:00"),
    ChunkDoc(2, "The GPT-3.5 model was confirmed by the startup on Tuesday.", "Model news", "TechCrunch",
             "2023-11-01T08:00:00+00:00"),
    ChunkDoc(3, "Ferry operators confirmed the new harbour routes.", "Harbour routes", "TechCrunch", None),
]


@pytest.fixture
def lexical(tmp_path: Path) -> LexicalIndex:
    index = LexicalIndex.open(tmp_path / "lexical")
    with index.writer() as writer:
        writer.add(DOCS)
        writer.commit(LexicalState("epoch-1", 3, 0))
    index.refresh()
    return index


def ids(hits: list[tuple[int, float]]) -> list[int]:
    return [chunk_id for chunk_id, _ in hits]


def test_terms_are_stemmed_and_folded_like_the_text(lexical: LexicalIndex) -> None:
    assert set(ids(lexical.search(["confirming"], 10))) == set(ids(lexical.search(["confirms"], 10))) == {2, 3}
    assert ids(lexical.search(["harbours"], 10)) == [3]
    assert ids(lexical.search(["HYUNDAI"], 10)) == [1]
    assert ids(lexical.search(["groundless", "nowhere"], 10)) == [1]  # any term may match


def test_a_term_of_several_words_matches_as_a_phrase(lexical: LexicalIndex) -> None:
    assert ids(lexical.search(["gpt-3.5"], 10)) == [2]
    assert lexical.search(["3.5-gpt"], 10) == []
    assert lexical.phrase_count("rejected the report") == 1
    assert lexical.phrase_count("report rejected") == 0
    assert lexical.phrase_count("Harbour routes") == 1  # the title counts


def test_query_syntax_in_terms_is_just_text(lexical: LexicalIndex) -> None:
    for term in ['"', "AND", "title:hyundai", "(", "*", "a OR b", ""]:
        assert isinstance(lexical.search([term], 5), list)
    assert ids(lexical.search(['hyundai"'], 5)) == [1]


def test_outlet_and_date_restrictions_run_in_the_engine(lexical: LexicalIndex) -> None:
    assert set(ids(lexical.search(["confirmed"], 10, outlets=["TechCrunch"]))) == {2, 3}
    assert lexical.search(["confirmed"], 10, outlets=["Reuters"]) == []
    assert ids(lexical.search(["hyundai"], 10, outlets=["AP"])) == [1]  # one outlet of a multi-outlet source
    assert lexical.search(["hyundai"], 10, outlets=[]) == []
    november = (date(2023, 11, 1), date(2023, 11, 30))
    assert ids(lexical.search(["confirmed"], 10, published_between=november)) == [2]  # undated 3 excluded
    assert ids(lexical.search(["confirmed"], 10, outlets=["TechCrunch"], published_between=november)) == [2]


def test_outlet_and_date_words_are_searchable(lexical: LexicalIndex) -> None:
    assert ids(lexical.search(["reuters"], 10)) == [1]
    assert ids(lexical.search(["october"], 10)) == [1]


def test_deletes_and_the_marker_commit_together(lexical: LexicalIndex, tmp_path: Path) -> None:
    assert lexical.state() == LexicalState("epoch-1", 3, 0) and lexical.doc_count == 3
    with lexical.writer() as writer:
        writer.delete([1])
        writer.commit(LexicalState("epoch-1", 3, 1))
    lexical.refresh()
    assert lexical.state() == LexicalState("epoch-1", 3, 1)
    assert lexical.chunk_ids() == {2, 3} and lexical.search(["hyundai"], 5) == []
    again = LexicalIndex.open(tmp_path / "lexical", create=False)
    assert again.state() == LexicalState("epoch-1", 3, 1) and again.chunk_ids() == {2, 3}


def test_a_writer_that_fails_publishes_nothing(lexical: LexicalIndex) -> None:
    with pytest.raises(RuntimeError), lexical.writer() as writer:
        writer.add([ChunkDoc(4, "Never committed text about zeppelins.", "t", "X", None)])
        raise RuntimeError("the batch failed")
    lexical.refresh()
    assert lexical.search(["zeppelins"], 5) == [] and lexical.state().high == 3


def test_the_crc_check_finds_a_flipped_bit(lexical: LexicalIndex) -> None:
    lexical.verify()
    term = max(lexical.path.glob("*.term"), key=lambda p: p.stat().st_size)
    data = bytearray(term.read_bytes())
    data[len(data) // 2] ^= 0x01
    term.write_bytes(bytes(data))
    with pytest.raises(LexicalIndexError, match="CRC-32"):
        lexical.verify()


def test_files_that_passed_and_kept_their_stamps_are_not_read_again_and_a_write_is_caught(
        lexical: LexicalIndex) -> None:
    passed = lexical.verify()
    term = max(lexical.path.glob("*.term"), key=lambda p: p.stat().st_size)
    assert term.name in passed and all(lexical.path.joinpath(name).exists() for name in passed)
    # A stamp that vouches for a file stands in for its CRC: a forged record for a file
    # whose footer would fail is believed (which is how the check costs nothing at open)...
    data = bytearray(term.read_bytes())
    time.sleep(0.05)  # file times come from a coarse clock (a few ms): let it move past the last write
    data[len(data) // 2] ^= 0x01
    term.write_bytes(bytes(data))
    forged = {**passed, term.name: file_stamp(term)}
    assert lexical.verify(forged) == forged
    # ...while the record made before the write no longer matches: the CRC runs and fails.
    with pytest.raises(LexicalIndexError, match="CRC-32"):
        lexical.verify(passed)


def test_an_empty_folder_is_not_an_index(tmp_path: Path) -> None:
    (tmp_path / "lexical").mkdir()
    with pytest.raises(LexicalIndexError):
        LexicalIndex.open(tmp_path / "lexical", create=False)


def test_helpers() -> None:
    assert split_outlets("Reuters, AP,") == ["Reuters", "AP"]
    assert day_number("1970-01-02T23:00:00-05:00") == 1 and day_number("soon") is None and day_number(None) is None


def test_terms_of_deleted_documents_still_score(lexical: LexicalIndex) -> None:
    """tantivy keeps counting deleted documents in a term's frequency until segments merge;
    the IDF must stay defined when that count exceeds the live documents."""
    with lexical.writer() as writer:
        writer.add([ChunkDoc(i, "the ferry ferry report", "t", "X", None) for i in range(10, 20)])
        writer.commit(LexicalState("epoch-1", 19, 0))
    with lexical.writer() as writer:
        writer.delete(range(10, 20))
        writer.delete([1, 2])
        writer.commit(LexicalState("epoch-1", 19, 12))
    lexical.refresh()
    assert ids(lexical.search(["ferry", "report"], 10)) == [3]
