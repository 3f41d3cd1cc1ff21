"""Another process that holds a knowledge base's writer lock, as an add holds it while it
embeds: for the tests and benchmarks that check who waits for a writer and who does not.

Usage::

    from tests.reliability.lock_holder import hold_writer_lock, release
    holder = hold_writer_lock(data_dir, at_most_seconds=300)   # returns once the lock is held
    ...                                                        # holder.poll() is None: still held
    release(holder)                                            # or it lets go by itself

    python -m tests.reliability.lock_holder DATA_DIR SECONDS   # prints "holding", then "released"
"""

from __future__ import annotations

import select
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def hold_writer_lock(data_dir: Path, at_most_seconds: float) -> subprocess.Popen:
    """Starts the holder and returns once it holds the lock. It lets go when its stdin
    closes (``release``) or after ``at_most_seconds``, like a writer that finishes."""
    holder = subprocess.Popen([sys.executable, "-m", "tests.reliability.lock_holder", str(data_dir),
                               str(at_most_seconds)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    line = holder.stdout.readline().strip()
    if line != "holding":
        holder.kill()
        holder.wait()
        raise RuntimeError(f"the lock holder did not start (it said {line!r})")
    return holder


def release(holder: subprocess.Popen) -> bool:
    """Lets go of the lock; True when the holder still held it until now and exited cleanly."""
    holder.stdin.close()
    released = holder.stdout.readline().strip() == "released"
    holder.wait(timeout=60)
    return released and holder.returncode == 0


def main(data_dir: str, seconds: str) -> None:
    from index.embedding import Embedder
    from index.store.embedded import EmbeddedKnowledgeBase

    kb = EmbeddedKnowledgeBase.open(Path(data_dir), Embedder())  # the model is never loaded
    with kb._writing():
        print("holding", flush=True)
        select.select([sys.stdin], [], [], float(seconds))
    print("released", flush=True)
    kb.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
