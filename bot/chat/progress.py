"""Progress on a deferred reply while a long write (an upload, a fetch, a rebuild) runs in
the write worker: "Indexing quill.txt… 3/8", edited at most once per 1.5 s.

Usage::

    from bot.chat.progress import with_progress
    await defer(interaction, ephemeral=True)
    outcome = await with_progress(interaction, "Indexing quill.txt",
                                  lambda report: engine.write(service.add_upload, name, data, report))
    await interaction.edit_original_response(content=None, embed=add_outcome_embed(name, outcome))
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import discord

from bot.chat.render import progress_text
from bot.chat.replies import NO_PINGS

log = logging.getLogger("newsbot.discord")
T = TypeVar("T")
Report = Callable[[int, int], None]


class ProgressEditor:
    """Edits a deferred reply with progress reported from a worker thread, at most once
    per ``interval`` seconds, so a long upload shows it is alive without flooding Discord.

    ``report`` is the ``progress(done, total)`` callback for the service; call
    ``await finish()`` before the final edit, so no progress edit lands after it.
    """

    def __init__(self, interaction: discord.Interaction, label: str, interval: float = 1.5) -> None:
        self.interaction = interaction
        self.label = label
        self.interval = interval
        self._loop = asyncio.get_running_loop()
        self._latest: tuple[int, int] | None = None
        self._changed = asyncio.Event()
        self._editing = False
        self._task = asyncio.create_task(self._run())

    def report(self, done: int, total: int) -> None:  # called from the worker thread
        self._loop.call_soon_threadsafe(self._update, done, total)

    def _update(self, done: int, total: int) -> None:
        self._latest = (done, total)
        self._changed.set()

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            done, total = self._latest or (0, 0)
            self._editing = True
            try:
                await self.interaction.edit_original_response(content=progress_text(self.label, done, total),
                                                              allowed_mentions=NO_PINGS)
            except discord.HTTPException as exc:
                log.warning("progress edit failed: %s", exc)
            finally:
                self._editing = False
            await asyncio.sleep(self.interval)

    async def finish(self) -> None:
        while self._editing:  # let an edit in flight land first: it must not overwrite the result
            await asyncio.sleep(0.05)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def with_progress(interaction: discord.Interaction, label: str,
                        work: Callable[[Report], Awaitable[T]]) -> T:
    """Show ``label`` at once, then ``work(report)``'s progress, until it returns."""
    await interaction.edit_original_response(content=progress_text(label, 0, 0), allowed_mentions=NO_PINGS)
    progress = ProgressEditor(interaction, label)
    try:
        return await work(progress.report)
    finally:
        await progress.finish()
