"""The knowledge base: offsets, dedupe, replace, remove, model checks and crash safety,
all with the real model, real FAISS and real SQLite."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.embedding import Embedder
from index.intake import Article, make_article, parse_paths
from index.store import ModelMismatchError
from index.store.embedded import EmbeddedKnowledgeBase
from index.store.embedded import vectors as vectors_module
from index.store.embedded.layout import DB_NAME
from index.store.embedded.vectors import VectorIndex, build_ivf
from tests.conftest import REPO, SEEDS, TEST_ARTICLES


def open_kb(path: Path, embedder: Embedder) -> EmbeddedKnowledgeBase:
    return EmbeddedKnowledgeBase.open(path, embedder)


def article(article_id: str, body: str, title: str = "A test article") -> Article:
    return make_article(title=title, body=body, origin="test", article_id=article_id, source="Test Wire")


def test_every_chunk_and_sentence_offset_points_into_the_stored_body(seeded_dir: Path, embedder: Embedder) -> None:
    kb = open_kb(seeded_dir, embedder)
    with kb.reader() as snap:
        rows = kb.list_articles()
        assert len(rows) == 8
        for row in rows:
            body = kb.get_article(row.id).body
            sentences = snap.article_sentences(row.id)
            assert sentences, row.id
            for sentence in sentences:
                text = body[sentence.start:sentence.end]
                assert text and text == text.strip()
            chunk_ids = [r[0] for r in kb._db.execute("SELECT id FROM chunks WHERE article_id = ?", (row.id,))]
            for chunk in snap.chunks(chunk_ids).values():
                assert 0 <= chunk.start < chunk.end <= len(body)
                assert chunk.end - chunk.start <= 1500
    counts = kb.counts()
    assert kb._vectors.ntotal == counts["chunks"]
    kb.close()


def test_adding_the_same_content_again_is_a_no_op(seeded_dir: Path, embedder: Embedder) -> None:
    kb = open_kb(seeded_dir, embedder)
    before = kb.counts()
    report = kb.add_articles(parse_paths([SEEDS, TEST_ARTICLES]).articles)
    assert not report.added and not report.replaced
    assert len(report.skipped) == 8
    assert all(s.detail == "already indexed, unchanged" for s in report.skipped)
    assert kb.counts() == before
    kb.close()


def test_same_text_under_another_id_is_dropped_as_a_duplicate(seeded_dir: Path, embedder: Embedder) -> None:
    kb = open_kb(seeded_dir, embedder)
    [seed] = parse_paths([SEEDS]).articles
    twin = make_article(title="Another title", body=seed.body, origin="copy.json", article_id="copy-1")
    report = kb.add_articles([twin])
    assert [s.detail for s in report.skipped] == [f"same text as indexed article {seed.id}"]
    assert kb.get_article("copy-1") is None
    kb.close()


def test_changed_content_under_an_existing_id_replaces_it_and_its_chunks(tmp_path: Path, embedder: Embedder) -> None:
    kb = open_kb(tmp_path, embedder)
    kb.add_articles([article("story-1", "The old version says the plant will open in May. " * 30)])
    old_chunks = {r[0] for r in kb._db.execute("SELECT id FROM chunks WHERE article_id = 'story-1'")}
    report = kb.add_articles([article("story-1", "The new version says the plant opens in June.")])
    assert [r.id for r in report.replaced] == ["story-1"]
    new_chunks = {r[0] for r in kb._db.execute("SELECT id FROM chunks WHERE article_id = 'story-1'")}
    assert new_chunks and not (new_chunks & old_chunks)
    assert kb.get_article("story-1").body == "The new version says the plant opens in June."
    query = embedder.encode_queries(["When will the plant open?"])[0]
    with kb.reader() as snap:
        hits = [chunk_id for chunk_id, _ in snap.dense_search(query, 10)]
        assert set(hits) == new_chunks
        assert kb._vectors.ntotal == kb.counts()["chunks"]
        fts = {r for r, _ in snap.lexical_search(["version"], 10)}
        assert fts == new_chunks
    kb.close()


def test_remove_deletes_the_article_and_everything_derived(seeded_dir: Path, embedder: Embedder) -> None:
    kb = open_kb(seeded_dir, embedder)
    assert kb.remove("wire-0001") is True
    assert kb.remove("wire-0001") is False
    assert kb.get_article("wire-0001") is None
    for table in ("chunks", "sentences"):
        assert kb._db.execute(f"SELECT count(*) FROM {table} WHERE article_id = 'wire-0001'").fetchone()[0] == 0
    query = embedder.encode_queries(["bronze statues returned to Orvieto"])[0]
    with kb.reader() as snap:
        rows = snap.chunks([c for c, _ in snap.dense_search(query, 50)])
        assert all(r.article_id != "wire-0001" for r in rows.values())
        assert not snap.lexical_search(["orvieto"], 10)
    kb.close()


def test_a_second_process_view_sees_adds_and_removes_without_a_restart(seeded_dir: Path, embedder: Embedder) -> None:
    reader = open_kb(seeded_dir, embedder)
    writer = open_kb(seeded_dir, embedder)
    with reader.reader():
        before = set(reader._vectors.ids())
    writer.add_articles([article("late-news", "A late article about glacier tourism in the alps.")])
    writer.remove("wire-0002")
    chunk_ids = {r[0] for r in writer._db.execute("SELECT id FROM chunks")}
    with reader.reader() as snap:
        after = set(reader._vectors.ids())
        assert after == chunk_ids != before
        assert snap.articles(["late-news"]) and not snap.articles(["wire-0002"])
    reader.close()
    writer.close()


def test_the_vector_checkpoint_is_reused_and_a_damaged_one_is_rebuilt(seeded_dir: Path, embedder: Embedder,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    kb = open_kb(seeded_dir, embedder)
    kb.checkpoint()
    kb.close()
    [checkpoint] = seeded_dir.glob("vectors-*.faiss")
    kb = open_kb(seeded_dir, embedder)
    with kb.reader() as snap:
        assert kb._vectors.ntotal == snap.chunk_count
    kb.close()
    assert "warning" not in capsys.readouterr().err
    data = bytearray(checkpoint.read_bytes())
    data[len(data) // 2] ^= 0xFF
    checkpoint.write_bytes(bytes(data))
    kb = open_kb(seeded_dir, embedder)
    with kb.reader() as snap:
        assert kb._vectors.ntotal == snap.chunk_count
    assert "checksum mismatch" in capsys.readouterr().err
    kb.close()


def test_a_different_model_is_refused_with_a_pointer_to_rebuild(seeded_dir: Path, embedder: Embedder) -> None:
    other = Embedder("sentence-transformers/paraphrase-MiniLM-L3-v2")
    with pytest.raises(ModelMismatchError) as caught:
        EmbeddedKnowledgeBase.open(seeded_dir, other)
    message = str(caught.value)
    assert "sentence-transformers/all-MiniLM-L6-v2" in message
    assert "newsbot index rebuild" in message
    assert "model" not in other.__dict__, "the check must not need to load either model"


def test_rebuild_restores_everything_from_the_article_text(seeded_dir: Path, embedder: Embedder) -> None:
    kb = open_kb(seeded_dir, embedder)
    before = kb.counts()
    kb._db.execute("DELETE FROM chunk_vectors")  # simulate lost derived data
    report = kb.rebuild()
    assert len(report.added) == before["articles"]
    assert kb.counts() == before
    with kb.reader() as snap:
        assert kb._vectors.ntotal == before["chunks"]
        assert snap.lexical_search(["groundless"], 5)
    kb.close()


KILL_SCRIPT = """
import sys
from pathlib import Path
from bot.config import Settings
from bot.service import NewsService
service = NewsService(Settings(data_dir=Path(sys.argv[1])))
service.add_paths([Path(sys.argv[2])])
"""


def write_articles(folder: Path, count: int) -> dict[str, str]:
    folder.mkdir()
    bodies = {}
    for i in range(count):
        body = " ".join(f"Report {i} sentence {j} describes harbor works, budgets and the vote." for j in range(40))
        (folder / f"story-{i:03d}.txt").write_text(f"Story {i}\n\nId: story-{i:03d}\n\n{body}\n")
        bodies[f"story-{i:03d}"] = body
    return bodies


def check_whole_or_absent(data_dir: Path, embedder: Embedder, bodies: dict[str, str]) -> int:
    kb = open_kb(data_dir, embedder)
    db = kb._db
    present = [r[0] for r in db.execute("SELECT id FROM articles")]
    for article_id in present:
        chunks = db.execute("SELECT count(*) FROM chunks WHERE article_id = ?", (article_id,)).fetchone()[0]
        vectors = db.execute("SELECT count(*) FROM chunk_vectors WHERE chunk_id IN "
                             "(SELECT id FROM chunks WHERE article_id = ?)", (article_id,)).fetchone()[0]
        sentences = db.execute("SELECT count(*) FROM sentences WHERE article_id = ?", (article_id,)).fetchone()[0]
        assert chunks > 0 and vectors == chunks and sentences > 0, article_id
        assert kb.get_article(article_id).body == bodies[article_id]
    with kb.reader() as snap:
        assert kb._vectors.ntotal == snap.chunk_count
    kb.close()
    return len(present)


def test_sigkill_in_the_middle_of_an_add_leaves_each_article_whole_or_absent(tmp_path: Path,
                                                                             embedder: Embedder) -> None:
    bodies = write_articles(tmp_path / "articles", 60)
    data_dir = tmp_path / "kb"
    seen_partial = False
    for attempt, delay in enumerate((0.3, 0.55, 0.8)):
        process = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(data_dir), str(tmp_path / "articles")],
                                   cwd=REPO, stderr=subprocess.DEVNULL)
        # Wait until the add has committed something (or the database exists), then kill at a
        # point that varies per attempt.
        deadline = time.monotonic() + 120
        db_path = data_dir / DB_NAME
        while time.monotonic() < deadline and process.poll() is None:
            if db_path.exists():
                try:
                    with sqlite3.connect(db_path, timeout=0.1) as probe:
                        count = probe.execute("SELECT count(*) FROM articles").fetchone()[0]
                except sqlite3.Error:
                    count = 0
                if count > attempt * 10 or (attempt == 0 and count >= 0):
                    break
            time.sleep(0.02)
        time.sleep(delay)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        present = check_whole_or_absent(data_dir, embedder, bodies)
        seen_partial = seen_partial or 0 < present < len(bodies)
    assert seen_partial, "no kill landed in the middle of an add; the test proved nothing"
    completion = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(data_dir), str(tmp_path / "articles")],
                                cwd=REPO, capture_output=True, timeout=600)
    assert completion.returncode == 0, completion.stderr.decode()[-2000:]
    assert check_whole_or_absent(data_dir, embedder, bodies) == len(bodies)


def test_a_current_checkpoint_is_mapped_at_open_and_one_behind_sqlite_is_read(
        seeded_dir: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors_module, "MAP_MIN_BYTES", 0)  # the seeded checkpoint stands for a 1M-chunk one
    kb = open_kb(seeded_dir, embedder)
    with kb.reader():
        pass
    with kb._lock:  # an IVF checkpoint, as from 100k chunks on (mapping is for IVF lists only)
        vectors, ids = kb._vectors._flat_contents()
        kb._vector_sync.index = VectorIndex(build_ivf(vectors, ids, nlist=1), policy="ivf")
    kb.checkpoint()
    kb.close()
    query = embedder.encode_queries(["Did the ferry operators confirm the new routes?"])[0]
    kb = open_kb(seeded_dir, embedder)
    with kb.reader():
        pass
    assert kb._vectors.mapped_at_load and kb._vectors._owning is not None, \
        "a checkpoint with nothing to replay was read into memory"
    with kb.reader() as snap:
        before = snap.dense_search(query, 5)  # from the mapped lists, or from the copy swapped in here
    kb.add_articles([article("ferry-new", "Ferry operators confirmed the new routes on Tuesday. "
                                          "The routes start in May, the operators said.")])
    with kb.reader() as snap:  # the replay of the add waits for the owned copy: mapped lists cannot grow
        after = snap.dense_search(query, 5)
        new_chunks = {r[0] for r in kb._db.execute("SELECT id FROM chunks WHERE article_id = 'ferry-new'")}
    assert kb._vectors._owning is None, "the add was replayed with the lists still mapped"
    assert new_chunks & {chunk_id for chunk_id, _ in after} and len(before) == 5
    kb.close()
    kb = open_kb(seeded_dir, embedder)       # the checkpoint is now one article behind SQLite
    with kb.reader() as snap:
        assert new_chunks & {chunk_id for chunk_id, _ in snap.dense_search(query, 5)}
    assert not kb._vectors.mapped_at_load, "a checkpoint with changes to replay was mapped (the replay would wait)"
    assert kb.remove("ferry-new")
    with kb.reader() as snap:
        assert not new_chunks & {chunk_id for chunk_id, _ in snap.dense_search(query, 5)}
    kb.close()
