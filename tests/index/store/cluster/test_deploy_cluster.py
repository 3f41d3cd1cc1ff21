"""deploy/docker-compose.cluster.yml: PostgreSQL, Milvus standalone with etcd and MinIO, an
ingest container and two bot shards, all on one knowledge base."""

from __future__ import annotations

import json

import yaml

from tests.conftest import REPO

COMPOSE = REPO / "deploy" / "docker-compose.cluster.yml"


def test_the_cluster_compose_file_wires_every_newsbot_container_to_one_knowledge_base() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"postgres", "etcd", "minio", "milvus", "ingest", "shard-0", "shard-1"} <= set(services)
    assert services["milvus"]["command"] == ["milvus", "run", "standalone"]
    env = services["milvus"]["environment"]
    assert env["ETCD_ENDPOINTS"] == "etcd:2379" and env["MINIO_ADDRESS"] == "minio:9000"
    newsbot = {name: s for name, s in services.items() if name == "ingest" or name.startswith("shard-")}
    urls = {s["environment"]["NEWSBOT_DATABASE_URL"] for s in newsbot.values()}
    assert len(urls) == 1 and next(iter(urls)).startswith("postgresql://") and "@postgres:5432/" in next(iter(urls))
    assert {s["environment"]["NEWSBOT_MILVUS_URI"] for s in newsbot.values()} == {"http://milvus:19530"}
    shards = [s for name, s in newsbot.items() if name.startswith("shard-")]
    count = {int(s["environment"]["NEWSBOT_SHARD_COUNT"]) for s in shards}
    ids = sorted(i for s in shards for i in json.loads(s["environment"]["NEWSBOT_SHARD_IDS"]))
    assert count == {2} and ids == [0, 1]  # every shard run exactly once
    for service in newsbot.values():
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["cap_drop"] == ["ALL"] and service["read_only"] is True
    assert "POSTGRES_PASSWORD:?" in services["postgres"]["environment"]["POSTGRES_PASSWORD"]  # no default secret
    assert all(name in compose["volumes"] for name in ("postgres-data", "milvus-data", "etcd-data", "minio-data"))
