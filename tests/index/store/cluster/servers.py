"""Throwaway servers for the cluster tests, all on loopback: a PostgreSQL cluster made with
initdb in a temp dir and started with pg_ctl on a free port, and a ``milvus-lite server``.
Both are stopped at exit (an atexit hook covers an interrupted run).

Usage::

    pg = PostgresServer.start()             # raises ServerUnavailable when initdb is absent
    url = pg.create_database("kb1")         # postgresql://newsbot@127.0.0.1:PORT/kb1
    milvus = MilvusLiteServer.start(tmp_dir)
    milvus.uri                              # http://127.0.0.1:PORT
    pg.stop(); milvus.stop()
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN_DIRS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")


class ServerUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_binary(name: str) -> str:
    """A PostgreSQL server program: $NEWSBOT_PG_BIN, then Debian's versioned dirs, then PATH."""
    for folder in (os.environ.get("NEWSBOT_PG_BIN", ""), *PG_BIN_DIRS):
        if folder and (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if found is None:
        raise ServerUnavailable(f"{name} not found (install PostgreSQL: apt-get install -y postgresql)")
    return found


def _wait_for_port(port: int, process: subprocess.Popen | None, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerUnavailable(f"{what} exited with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise ServerUnavailable(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


@dataclass
class PostgresServer:
    data_dir: Path
    port: int
    run_as: str | None = None
    user: str = "newsbot"
    external: bool = False

    @classmethod
    def running(cls, url: str) -> PostgresServer:
        """The server ``.ci/run`` started (``NEWSBOT_TEST_POSTGRES_URL``): used, never stopped here."""
        port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        return cls(Path(), port, external=True)

    @classmethod
    def start(cls, *, keep: bool = False) -> PostgresServer:
        """initdb + pg_ctl in a fresh temp dir. PostgreSQL refuses to run as root, so under
        root (a CI container) the server runs as the ``postgres`` user (or ``nobody``).
        ``keep``: it outlives this process (``.ci/run`` stops it)."""
        initdb, pg_ctl = pg_binary("initdb"), pg_binary("pg_ctl")
        base = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
        run_as = _server_user()
        if run_as is not None:
            os.chown(base, run_as.pw_uid, run_as.pw_gid)
        data_dir = base / "pgdata"
        port = free_port()
        server = cls(data_dir, port, run_as=run_as.pw_name if run_as else None)
        if not keep:
            atexit.register(server.stop)
        server._run([initdb, "-D", str(data_dir), "-U", "newsbot", "--auth=trust", "-E", "UTF8",
                     "--no-instructions"])
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c max_connections=200"
        server._run([pg_ctl, "-D", str(data_dir), "-l", str(base / "postgres.log"), "-o", options,
                     "-w", "-t", "60", "start"])
        _wait_for_port(port, None, 30, "PostgreSQL")
        return server

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(command, capture_output=True, text=True, user=self.run_as, cwd="/")
        if done.returncode != 0:
            raise ServerUnavailable(f"{Path(command[0]).name} failed: {(done.stderr or done.stdout).strip()[-400:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.external:
            return
        if (self.data_dir / "postmaster.pid").exists():
            subprocess.run([pg_binary("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"],
                           capture_output=True, user=self.run_as, cwd="/")
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ServerUnavailable("running as root and there is no postgres or nobody user to run PostgreSQL as")


@dataclass
class MilvusLiteServer:
    process: subprocess.Popen
    port: int

    @classmethod
    def start(cls, base: Path) -> MilvusLiteServer:
        program = Path(sys.executable).with_name("milvus-lite")
        if not program.exists():
            raise ServerUnavailable("milvus-lite is not installed (pip install 'newsbot[cluster]')")
        port = free_port()
        with open(base / "milvus.log", "ab") as log:  # the child keeps its own copy of the handle
            process = subprocess.Popen([str(program), "server", "--data-dir", str(base / "milvus"), "--host",
                                        "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        server = cls(process, port)
        atexit.register(server.stop)
        _wait_for_port(port, process, 60, "milvus-lite server")
        return server

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


if __name__ == "__main__":
    # .ci/run starts the suite's PostgreSQL once and stops it at the end:
    #   python -m tests.index.store.cluster.servers start   → prints the URL, then the data dir
    #   python -m tests.index.store.cluster.servers stop DIR
    if sys.argv[1:2] == ["start"]:
        started = PostgresServer.start(keep=True)
        print(started.url(), started.data_dir)
    elif sys.argv[1:2] == ["stop"] and len(sys.argv) == 3:
        user = _server_user()
        PostgresServer(Path(sys.argv[2]), 0, run_as=user.pw_name if user else None).stop()
    else:
        sys.exit("usage: python -m tests.index.store.cluster.servers start | stop DATA_DIR")
