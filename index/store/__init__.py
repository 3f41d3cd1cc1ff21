"""The knowledge base behind its seam: the front door of ``index/store/``.

``base.py`` is the seam the rest of newsbot uses (the ``KnowledgeBase`` and ``Snapshot``
protocols); ``records.py`` the records it hands out; ``additions.py`` and ``tables.py`` what
both backends share. The backends: ``embedded/`` (SQLite, FAISS and tantivy under one data
dir) and ``cluster/`` (PostgreSQL and Milvus). Only the code that opens a knowledge base
names a backend.

Usage::

    from index.store import KnowledgeBase, KnowledgeBaseError, Snapshot
    from index.store.embedded import EmbeddedKnowledgeBase
    kb: KnowledgeBase = EmbeddedKnowledgeBase.open(data_dir, embedder)
    with kb.reader() as snap:
        snap.lexical_search(["hyundai", "plant"], 10)
"""

from index.store.additions import INGEST_BATCH
from index.store.base import (
    ArticleEnricher,
    KnowledgeBase,
    KnowledgeBaseError,
    ModelMismatchError,
    Snapshot,
    WriterBusyError,
)
from index.store.records import AddReport, ArticleOutcome, ArticleRow, ChunkRow, SentenceRow

__all__ = ["INGEST_BATCH", "AddReport", "ArticleEnricher", "ArticleOutcome", "ArticleRow", "ChunkRow",
           "KnowledgeBase", "KnowledgeBaseError", "ModelMismatchError", "SentenceRow", "Snapshot",
           "WriterBusyError"]
