"""The cross-process writer lock of an embedded data dir: one writing process at a time.

A ``filelock.FileLock`` (an exclusive ``flock`` on ``write.lock``, which the kernel drops when
the holder dies, so a killed writer never leaves the store locked). A second writer waits up
to its timeout, then gets ``WriterBusyError`` with a message that says what to do.

Usage::

    from index.store.embedded.writer_lock import is_writer_busy, try_writer_lock, writer_lock
    with writer_lock(data_dir, timeout=120.0):     # WriterBusyError after two minutes
        ...                                        # change the store
    with try_writer_lock(data_dir) as locked:      # one attempt, no waiting
        if locked:
            ...
    is_writer_busy(data_dir)                       # for doctor: True while another writer holds it
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from index.store.base import WRITER_BUSY, WriterBusyError
from index.store.embedded.layout import LOCK_NAME

POLL_SECONDS = 0.1


def _file_lock(data_dir: Path, timeout: float) -> FileLock:
    return FileLock(data_dir / LOCK_NAME, timeout=timeout, poll_interval=POLL_SECONDS)


@contextlib.contextmanager
def writer_lock(data_dir: Path, timeout: float) -> Iterator[None]:
    """Holds the data dir's writer lock for the block; waits up to ``timeout`` seconds for it."""
    lock = _file_lock(data_dir, timeout)
    try:
        lock.acquire()
    except Timeout:
        raise WriterBusyError(WRITER_BUSY) from None
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def try_writer_lock(data_dir: Path) -> Iterator[bool]:
    """The writer lock if it is free at once (True inside the block), else False."""
    lock = _file_lock(data_dir, 0.0)
    try:
        lock.acquire()
    except (Timeout, OSError):
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def is_writer_busy(data_dir: Path) -> bool:
    """Whether a writer holds the lock now (probed without waiting, and without creating the
    lock file of a data dir that has none)."""
    if not (data_dir / LOCK_NAME).exists():
        return False
    with try_writer_lock(data_dir) as locked:
        return not locked
