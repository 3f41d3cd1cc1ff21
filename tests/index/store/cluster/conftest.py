"""Fixtures for the contract suite: each test runs once on the embedded store and once on the
cluster backend (a throwaway PostgreSQL and a Milvus Lite server, started once per session on
loopback and stopped at exit).

When initdb or milvus-lite is missing the cluster half is skipped with the reason, unless
``NEWSBOT_REQUIRE_CLUSTER=1`` (set by .ci/run), where it fails instead.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings
from bot.service import NewsService
from index.embedding import Embedder
from tests.conftest import SEEDS
from tests.index.store.cluster.servers import MilvusLiteServer, PostgresServer, ServerUnavailable

_NAMES = itertools.count()


@dataclass
class ClusterServers:
    postgres: PostgresServer
    milvus: MilvusLiteServer

    def new_database(self) -> str:
        return self.postgres.create_database(f"kb_{os.getpid()}_{next(_NAMES)}")


@pytest.fixture(scope="session")
def cluster_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterServers]:
    try:
        running = os.environ.get("NEWSBOT_TEST_POSTGRES_URL")  # started by .ci/run
        postgres = PostgresServer.running(running) if running else PostgresServer.start()
    except ServerUnavailable as exc:
        if os.environ.get("NEWSBOT_REQUIRE_CLUSTER") == "1":
            pytest.fail(f"the cluster tests need PostgreSQL: {exc}")
        pytest.skip(f"PostgreSQL server programs are not installed: {exc}")
    try:
        milvus = MilvusLiteServer.start(tmp_path_factory.mktemp("milvus"))
    except ServerUnavailable as exc:
        postgres.stop()
        if os.environ.get("NEWSBOT_REQUIRE_CLUSTER") == "1":
            pytest.fail(f"the cluster tests need Milvus Lite: {exc}")
        pytest.skip(str(exc))
    yield ClusterServers(postgres, milvus)
    milvus.stop()
    postgres.stop()


@dataclass
class Backend:
    """One knowledge base of one kind, fresh for a test."""

    kind: str
    data_dir: Path
    database_url: str | None = None
    milvus_uri: str | None = None

    def settings(self, **overrides: object) -> Settings:
        return Settings(data_dir=self.data_dir, seeds_dir=SEEDS, database_url=self.database_url,
                        milvus_uri=self.milvus_uri, **overrides)

    def env(self) -> dict[str, str]:
        """The environment for a `newsbot` subprocess on this knowledge base."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        env.update(NEWSBOT_DATA_DIR=str(self.data_dir), NEWSBOT_SEEDS_DIR=str(SEEDS), HF_HUB_OFFLINE="1",
                   TRANSFORMERS_OFFLINE="1")
        if self.database_url:
            env.update(NEWSBOT_DATABASE_URL=self.database_url, NEWSBOT_MILVUS_URI=self.milvus_uri or "")
        return env

    def service(self, embedder: Embedder) -> NewsService:
        return NewsService(self.settings(), embedder=embedder)


@pytest.fixture(params=["embedded", "cluster"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    data_dir = tmp_path / "data"
    if request.param == "embedded":
        return Backend("embedded", data_dir)
    servers: ClusterServers = request.getfixturevalue("cluster_servers")
    return Backend("cluster", data_dir, servers.new_database(), servers.milvus.uri)


@pytest.fixture
def kb_service(backend: Backend, embedder: Embedder) -> Iterator[NewsService]:
    service = backend.service(embedder)
    yield service
    service.close()
