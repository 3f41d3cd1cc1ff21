"""The cluster backend: PostgreSQL as the source of truth, Milvus for dense and BM25 search.

Chosen when both ``NEWSBOT_DATABASE_URL`` and ``NEWSBOT_MILVUS_URI`` are set; otherwise the
embedded store (index.store.embedded) is used, unchanged.

Usage::

    from index.store.cluster import cluster_configured, open_cluster
    if cluster_configured(settings.database_url, settings.milvus_uri):
        kb = open_cluster(settings.database_url, settings.milvus_uri, embedder, enrichers=[...])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from index.store import KnowledgeBaseError

if TYPE_CHECKING:
    from index.embedding import Embedder
    from index.store import ArticleEnricher
    from index.store.cluster.backend import ClusterKnowledgeBase


def cluster_configured(database_url: str | None, milvus_uri: str | None) -> bool:
    """Both settings, or neither; one alone is a configuration error."""
    if bool(database_url) != bool(milvus_uri):
        missing = "NEWSBOT_MILVUS_URI" if database_url else "NEWSBOT_DATABASE_URL"
        raise KnowledgeBaseError(f"the cluster backend needs both NEWSBOT_DATABASE_URL and NEWSBOT_MILVUS_URI; "
                                 f"{missing} is not set")
    if database_url and not database_url.startswith(("postgresql://", "postgres://")):
        raise KnowledgeBaseError("NEWSBOT_DATABASE_URL must be a postgresql:// URL")
    return bool(database_url)


def open_cluster(database_url: str, milvus_uri: str, embedder: Embedder, *, lock_timeout: float = 120.0,
                 check_model: bool = True, enrichers: Sequence[ArticleEnricher] = ()) -> ClusterKnowledgeBase:
    """Opens the cluster knowledge base (imports psycopg and pymilvus only now)."""
    try:
        from index.store.cluster.backend import ClusterKnowledgeBase
    except ImportError as exc:
        if exc.name not in ("psycopg", "pymilvus"):
            raise
        raise KnowledgeBaseError(f"the cluster backend needs the 'cluster' extra ({exc.name} is missing): "
                                 "pip install 'newsbot[cluster]'") from exc
    return ClusterKnowledgeBase.open(database_url, milvus_uri, embedder, lock_timeout=lock_timeout,
                                     check_model=check_model, enrichers=enrichers)
