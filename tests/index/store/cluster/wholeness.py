"""Backend-neutral checks that every article is whole or absent, and a SIGKILL harness for
`newsbot index add` on either backend.

Usage::

    problems = whole_or_absent(kb, articles)          # [] when every article is whole or absent
    killed = kill_during_add(env, source, delay=2.0)  # True when the add was still running
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from index.intake import Article
from tests.conftest import REPO


def whole_or_absent(kb: object, articles: Sequence[Article]) -> list[str]:
    """For each source article: absent, or stored with exactly its text, every chunk and
    sentence the chunker plans for it, and offsets inside the body."""
    problems: list[str] = []
    plans = dict(zip([a.id for a in articles], (plan for _, plan in kb._prepare(list(articles))), strict=True))
    with kb.reader() as snap:
        metadata = snap.chunk_metadata(snap.all_chunk_ids())
        chunks_of: dict[str, list[int]] = {}
        for chunk_id, (article_id, _, _) in metadata.items():
            chunks_of.setdefault(article_id, []).append(chunk_id)
        stored = snap.articles([a.id for a in articles])
        for article in articles:
            row = stored.get(article.id)
            if row is None:
                if article.id in chunks_of:
                    problems.append(f"{article.id}: chunks without the article")
                continue
            plan = plans[article.id]
            if row.body != article.body:
                problems.append(f"{article.id}: stored text differs")
            chunks = snap.chunks(chunks_of.get(article.id, []))
            if sorted((c.start, c.end) for c in chunks.values()) != [(c.start, c.end) for c in plan.chunks]:
                problems.append(f"{article.id}: {len(chunks)} chunks stored, {len(plan.chunks)} planned")
            sentences = snap.article_sentences(article.id)
            if [(s.start, s.end) for s in sentences] != [(s.start, s.end) for s in plan.sentences]:
                problems.append(f"{article.id}: {len(sentences)} sentences stored, {len(plan.sentences)} planned")
    return problems


def kill_during_add(env: dict[str, str], source: Path, delay: float, timeout: float = 300.0) -> bool:
    """Starts `newsbot index add SOURCE`, waits until it reports embedding progress, then
    ``delay`` seconds, and SIGKILLs it. Returns whether it was still running."""
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "index", "add", str(source)], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, bufsize=1)
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    for line in process.stderr:  # tqdm writes "embedding: 0%" once the plan is made
        if "embedding" in line or time.monotonic() > deadline:
            break
    time.sleep(delay)
    running = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stderr.close()
    return running
