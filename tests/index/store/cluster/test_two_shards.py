"""Two `newsbot run` processes, one Discord shard each (NEWSBOT_SHARD_COUNT=2), sharing one
PostgreSQL + Milvus Lite knowledge base: an article added with /article add through shard 0
is answered through shard 1.

Each shard talks to its own loopback Discord double whose guild id Discord's rule
((guild_id >> 22) % 2) places on that shard, so each process serves one guild, as two
shards of one bot do; nothing but the knowledge base connects the two processes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import NEW_ARTICLE as ARTICLE
from tests.conftest import REPO, SEEDS
from tests.discord_double import BotProcess, DiscordDouble
from tests.index.store.cluster.conftest import Backend, ClusterServers

WAIT = 180.0


def _start_shard(double: DiscordDouble, backend: Backend, shard: int, work: Path) -> BotProcess:
    env = {**backend.env(), **double.bot_env(), "NEWSBOT_SHARD_COUNT": "2", "NEWSBOT_SHARD_IDS": f"[{shard}]",
           "NEWSBOT_DATA_DIR": str(work / f"data-{shard}"), "NEWSBOT_LOG_LEVEL": "INFO"}
    proc = BotProcess([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=REPO, name=f"shard-{shard}",
                      log_dir=work)
    proc.start()
    double.watch(proc)
    return proc


@pytest.fixture(scope="module")
def shards(cluster_servers: ClusterServers, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[DiscordDouble, DiscordDouble, BotProcess, BotProcess, Path]]:
    work = tmp_path_factory.mktemp("two-shards")
    backend = Backend("cluster", work / "unused", cluster_servers.new_database(), cluster_servers.milvus.uri)
    from bot.service import NewsService

    seeding = NewsService(backend.settings())
    assert seeding.add_paths([SEEDS]).ok
    seeding.close()
    with DiscordDouble(guild_shard=(0, 2)) as zero, DiscordDouble(guild_shard=(1, 2)) as one:
        procs = [_start_shard(zero, backend, 0, work), _start_shard(one, backend, 1, work)]
        try:
            for double, proc in zip((zero, one), procs, strict=True):
                double.wait_until_connected(timeout=WAIT)
                double.wait_for_commands(timeout=60)
                deadline = time.monotonic() + 300
                while "engine ready" not in proc.log_text():
                    assert proc.poll() is None and time.monotonic() < deadline, proc.log_text()[-3000:]
                    time.sleep(0.2)
            yield zero, one, procs[0], procs[1], work
        finally:
            codes = [proc.stop(timeout=30) for proc in procs]
        assert codes == [0, 0]


def test_each_process_identifies_as_its_own_shard(shards: tuple) -> None:
    zero, one, _, _, work = shards
    assert [p.get("shard") for p in zero.identify_payloads] == [[0, 2]]
    assert [p.get("shard") for p in one.identify_payloads] == [[1, 2]]
    for shard in (0, 1):  # with the cluster settings, no SQLite knowledge base is written
        assert not (work / f"data-{shard}" / "newsbot.db").exists()


def test_an_article_added_through_shard_0_is_answered_through_shard_1(shards: tuple) -> None:
    zero, one, _, _, _ = shards
    ada = zero.add_member("ada", admin=True)
    handle = zero.invoke_slash("article", None, ada, subcommand="add", attachment=("quill.txt", ARTICLE))
    added = zero.wait_for(lambda r: r.interaction_id == handle.id and bool(r.embeds), WAIT)
    assert added.embeds[0]["title"] == "quill.txt: 1 article indexed"
    alice = one.add_member("alice")
    asked = one.invoke_slash("ask", {"question": "Where did Quillfeather Robotics open a factory?"}, alice)
    reply = one.wait_for(lambda r: r.interaction_id == asked.id and r.has_body and bool(r.embeds), WAIT)
    assert "Port Ellery" in reply.text and "Quillfeather" in reply.text
    print(f"\nadded on shard 0 -> answered on shard 1: {reply.timestamp - added.timestamp:.2f} s "
          f"(question asked {asked.dispatched_at - added.timestamp:.2f} s after the add finished)")
