"""Run a bot as a real subprocess, with its log kept for failure reports."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any


class BotProcess:
    """A bot subprocess whose stdout+stderr go to a log file.

    ``BotProcess([sys.executable, "bot.py"], env=double.bot_env()).start()``; call ``stop()``
    in teardown (it terminates, then kills). ``log_text()`` returns what it printed. Pass
    ``log_dir`` (e.g. from ``tmp_path_factory``) to keep logs out of the system temp dir.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str | os.PathLike[str] | None = None,
        name: str = "bot",
        log_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.argv = list(argv)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
        self.cwd = cwd
        self.name = name
        fd, path = tempfile.mkstemp(prefix=f"{name}-", suffix=".log", dir=log_dir)
        os.close(fd)
        self.log_path = Path(path)
        self._log: IO[bytes] | None = None
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def poll(self) -> int | None:
        """The exit code, or None while running (or before start)."""
        return None if self.popen is None else self.popen.poll()

    @property
    def returncode(self) -> int | None:
        return self.poll()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 5.0) -> int | None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.returncode

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def add_bot_logs_to_report(report: Any, funcargs: Mapping[str, Any]) -> None:
    """For a pytest_runtest_makereport hook: attach the log of every BotProcess that the
    failed test used as a fixture value to its report."""
    if not report.failed:
        return
    for value in funcargs.values():
        if isinstance(value, BotProcess):
            code = value.returncode
            title = f"{value.name} log ({value.log_path}, exit code {code})"
            report.sections.append((title, value.log_text()[-20000:]))
