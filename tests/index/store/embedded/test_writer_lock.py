"""The embedded store's writer lock (filelock on write.lock): one writer at a time, within a
process and across processes; a second writer waits, or gives up with the clear error; a
killed holder never leaves the store locked. Real files, real processes, no clocks asserted."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from index.store import WriterBusyError
from index.store.embedded.layout import LOCK_NAME
from index.store.embedded.writer_lock import is_writer_busy, try_writer_lock, writer_lock
from tests.conftest import REPO

HOLD_AND_WAIT = """
import sys, time
from pathlib import Path
from index.store.embedded.writer_lock import writer_lock
with writer_lock(Path(sys.argv[1]), timeout=10):
    print("holding", flush=True)
    time.sleep(600)
"""


def test_a_second_writer_gives_up_with_the_clear_error_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    assert not is_writer_busy(tmp_path) and not (tmp_path / LOCK_NAME).exists(), "a probe creates nothing"
    with writer_lock(tmp_path, timeout=1):
        busy = "another newsbot process is changing this knowledge base"
        with pytest.raises(WriterBusyError, match=busy), writer_lock(tmp_path, timeout=0.2):
            pytest.fail("two writers held the lock at once")
        with try_writer_lock(tmp_path) as locked:
            assert locked is False
    with try_writer_lock(tmp_path) as locked:
        assert locked is True


def test_a_waiting_writer_takes_the_lock_when_the_first_releases_it(tmp_path: Path) -> None:
    order: list[str] = []
    first_holds, second_waiting = threading.Event(), threading.Event()

    def second_writer() -> None:
        first_holds.wait()
        second_waiting.set()
        with writer_lock(tmp_path, timeout=60):
            order.append("second")

    thread = threading.Thread(target=second_writer)
    thread.start()
    with writer_lock(tmp_path, timeout=1):
        first_holds.set()
        second_waiting.wait()
        order.append("first")
    thread.join(timeout=120)
    assert order == ["first", "second"]


def test_a_killed_holder_leaves_the_lock_free_and_the_file_in_place(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_AND_WAIT, str(tmp_path)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert is_writer_busy(tmp_path), "doctor's probe must see the lock another process holds"
        with pytest.raises(WriterBusyError), writer_lock(tmp_path, timeout=0.2):
            pytest.fail("the lock was taken while another process held it")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert not is_writer_busy(tmp_path)
    with try_writer_lock(tmp_path) as locked:
        assert locked is True
    assert (tmp_path / LOCK_NAME).exists(), "waiters must share one inode: the file stays after release"
