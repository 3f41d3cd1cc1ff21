"""The embedded store's data dir: the names of its files, and the one-line warning every
embedded module prints about them.

Layout of the data dir:

- ``newsbot.db``: SQLite in WAL mode, the source of truth (``schema.py``). One transaction
  adds a batch of articles whole (text, sentences, chunks, vectors) or not at all, so a kill
  at any moment leaves the previous state. Article text lives in its own table, apart from
  every derived row, and ``rebuild`` re-derives everything from it.
- ``vectors-<n>.faiss`` plus ``vectors.json``: a FAISS checkpoint (``vector_sync.py``),
  derived from the vectors in SQLite. Adds never rewrite it; a reader loads it and replays
  the few changes made since (chunk ids above its high-water mark, logged removals).
- ``lexical/``: the tantivy BM25 index (``lexical.py``, kept in step by ``lexical_sync.py``),
  derived from the chunks; ``lexical.checked.json`` lists the files that passed their CRC
  check, so the next process does not read them again.
- ``write.lock``: the cross-process writer lock (``writer_lock.py``).

Usage::

    from index.store.embedded.layout import DB_NAME, LEXICAL_DIR, warn
    db_path = data_dir / DB_NAME
    warn("the lexical index is missing; rebuilding it")   # newsbot: warning: ... on stderr
"""

from __future__ import annotations

import sys

DB_NAME = "newsbot.db"
LEXICAL_DIR = "lexical"
LEXICAL_CHECKED = "lexical.checked.json"  # stamps of the lexical files that passed their CRC check
CHECKPOINT_POINTER = "vectors.json"
LOCK_NAME = "write.lock"
SCRATCH_NAME = "rebuild.db"


def warn(message: str) -> None:
    print(f"newsbot: warning: {message}", file=sys.stderr)
