"""The worker threads the Discord face runs the blocking :class:`~bot.service.NewsService` in,
so the gateway heartbeat never waits on the model.

Usage::

    from bot.chat.workers import Engine
    engine = Engine(service)
    answer = await engine.read(service.ask, "Did Hyundai confirm the plant deal?")
    outcome = await engine.write(service.add_upload, "quill.txt", data)
    engine.shutdown()

Reads (questions, lists, autocomplete data) share a small pool; writes (adds, removals,
rebuilds, feed polls) get their own thread, so a long upload never queues questions behind
it. The pools are small on purpose: the model is CPU-bound, and more threads than cores
only make every answer slower.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.service import NewsService

T = TypeVar("T")


class Engine:
    """Runs the blocking NewsService in worker threads, off the event loop."""

    def __init__(self, service: NewsService, read_workers: int = 2) -> None:
        self.service = service
        self._reads = ThreadPoolExecutor(read_workers, thread_name_prefix="newsbot-read")
        self._writes = ThreadPoolExecutor(1, thread_name_prefix="newsbot-write")

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._run(self._reads, fn, *args, **kwargs)

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._run(self._writes, fn, *args, **kwargs)

    @staticmethod
    async def _run(pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, functools.partial(fn, *args, **kwargs))

    def shutdown(self) -> None:
        for pool in (self._reads, self._writes):
            pool.shutdown(wait=False, cancel_futures=True)
