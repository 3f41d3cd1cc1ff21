"""On the cluster, a question's unrestricted BM25 request goes to Milvus while the question is
being encoded (index.search.HybridSearcher._encode): Milvus Lite answers one request at a
time, and its ~30 ms then overlaps the encoding instead of following it."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.service import NewsService
from index.embedding import Embedder
from index.search import HybridSearcher
from index.store.cluster.milvus import LAYOUT_FIELD
from tests.index.store.cluster.conftest import Backend, ClusterServers
from tests.index.store.cluster.test_local_bm25 import _articles


def test_the_bm25_request_is_sent_before_the_question_is_encoded(cluster_servers: ClusterServers, tmp_path: Path,
                                                                 embedder: Embedder) -> None:
    backend = Backend("cluster", tmp_path / "data", cluster_servers.new_database(), cluster_servers.milvus.uri)
    service = NewsService(backend.settings(), embedder=embedder)
    kb = service.kb
    kb.add_articles(_articles())
    bm25_sent = threading.Event()
    seen_while_encoding: list[bool] = []
    client = kb._collection.client
    search, encode = client.search, embedder.encode_queries

    def recorded_search(*args: object, **kwargs: object) -> object:  # the pymilvus client's, still sent
        if kwargs.get("anns_field") == LAYOUT_FIELD:
            bm25_sent.set()
        return search(*args, **kwargs)

    def encoding(texts: list[str]):  # the real encoder, once the BM25 request is out (or 10 s)
        seen_while_encoding.append(bm25_sent.wait(10))
        return encode(texts)

    client.search = recorded_search
    embedder.encode_queries = encoding  # type: ignore[method-assign]
    try:
        with kb.reader() as snap:
            result = HybridSearcher(kb).search(snap, "Did Quillon Ferries add a night crossing to Estby?", k=5)
    finally:
        del client.search
        del embedder.encode_queries
    assert seen_while_encoding == [True]
    assert result.passages and result.passages[0].article_id == "h-1"
    service.close()
