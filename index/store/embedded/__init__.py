"""The embedded backend: SQLite as the source of truth, with a FAISS index and a tantivy
index derived from it, all under one data dir (``layout.py``). One job per module:

- ``schema.py``: tables, migrations, connecting; ``writer_lock.py``: one writer at a time
- ``snapshot.py``: the read view; ``ingest.py``: writing and removing articles
- ``rebuild.py``: re-deriving everything (enrichment is ``index.store.enrichment``, shared)
- ``vectors.py`` and ``vector_sync.py``: the FAISS index and its checkpoint
- ``lexical.py`` and ``lexical_sync.py``: the tantivy index and its catch-up
- ``knowledge_base.py``: ``EmbeddedKnowledgeBase``, which puts them together

Usage::

    from index.store.embedded import EmbeddedKnowledgeBase
    kb = EmbeddedKnowledgeBase.open(data_dir, embedder, enrichers=[CompanyIndex()])
"""

from index.store.embedded.knowledge_base import EmbeddedKnowledgeBase
from index.store.embedded.snapshot import EmbeddedSnapshot

__all__ = ["EmbeddedKnowledgeBase", "EmbeddedSnapshot"]
