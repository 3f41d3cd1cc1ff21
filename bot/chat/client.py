"""The newsbot Discord client: sharding, start-up (seed the knowledge base, warm the model),
command sync, and loading one Cog per feature. The commands themselves live in the cogs.

Usage::

    from bot.chat.client import NewsBot, ShardedNewsBot
    bot = NewsBot(service)                       # what `newsbot run` starts (bot.chat.run)
    bot = NewsBot(service, warm_up=False)        # tests that share a model already loaded
    await bot.start(token)                       # setup_hook loads the cogs and syncs the commands

- **Responsiveness**: every interaction is acknowledged at once; the engine runs in worker
  threads (:mod:`bot.chat.workers`), so the gateway heartbeat never waits on the model. The
  knowledge base is seeded and the model warmed in the background while the bot connects;
  commands wait for ``kb_ready``.
- **Never noisy**: the client's default is ``AllowedMentions.none()``, and every send
  passes it explicitly too.
- There are no prefix commands: the client is a ``commands.Bot`` for its cogs, and channel
  messages go to the asking cog's listener only.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Coroutine
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.articles import ArticleAdmin
from bot.chat.asking import Asking
from bot.chat.choices import Choices
from bot.chat.companies import Companies
from bot.chat.feedback import FeedbackStore
from bot.chat.feeds import Feeds
from bot.chat.permissions import AdminOnly
from bot.chat.ratelimit import limiter_for
from bot.chat.replies import NO_PINGS, new_reference, reply_private, report_interaction_error
from bot.chat.sources import Sources
from bot.chat.workers import Engine
from bot.config import Settings
from bot.service import NewsService

log = logging.getLogger("newsbot.discord")

WARM_UP_QUESTION = "Did the company confirm the report?"
COGS = (Asking, Companies, Sources, ArticleAdmin, Feeds)


class NewsTree(app_commands.CommandTree):
    """Turns a failed check into a polite private line, and anything else into a reference."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, AdminOnly):
            log.info("refused /%s to a non-admin", interaction.command.qualified_name if interaction.command else "?")
            await reply_private(interaction, str(error))
        elif isinstance(error, app_commands.NoPrivateMessage):
            await reply_private(interaction, "This command works in a server, not in direct messages.")
        elif isinstance(error, app_commands.CheckFailure):
            await reply_private(interaction, "Sorry, you can't use this command here.")
        else:
            await report_interaction_error(interaction, getattr(error, "original", error))


def shard_options(settings: Settings) -> dict[str, Any]:
    """discord.py's sharding arguments from NEWSBOT_SHARD_COUNT / NEWSBOT_SHARD_IDS (none: one
    unsharded connection). Shard ids must lie in [0, count)."""
    if settings.shard_count is None:
        if settings.shard_ids:
            raise ValueError("NEWSBOT_SHARD_IDS needs NEWSBOT_SHARD_COUNT (the total across every bot process)")
        return {}
    ids = list(settings.shard_ids) if settings.shard_ids else list(range(settings.shard_count))
    if not ids or any(not 0 <= i < settings.shard_count for i in ids) or len(set(ids)) != len(ids):
        raise ValueError(f"NEWSBOT_SHARD_IDS {ids} must be distinct ids from 0 to {settings.shard_count - 1}")
    return {"shard_count": settings.shard_count, "shard_ids": ids}


class NewsBot(commands.Bot):
    """The newsbot Discord client. ``warm_up=False`` skips the background warm-up question."""

    def __init__(self, service: NewsService, *, warm_up: bool = True, read_workers: int = 2) -> None:
        settings = service.settings
        intents = discord.Intents.default()
        # Mentions and replies to the bot carry their text without the privileged intent;
        # only "answer every message in these channels" needs it.
        intents.message_content = bool(settings.answer_channels)
        super().__init__(command_prefix=commands.when_mentioned, help_command=None, tree_cls=NewsTree,
                         intents=intents, allowed_mentions=NO_PINGS, **shard_options(settings))
        self.service = service
        self.settings: Settings = settings
        self.engine = Engine(service, read_workers=read_workers)
        self.feedback = FeedbackStore.for_settings(settings)  # PostgreSQL with the cluster backend
        self.limiter = limiter_for(settings)
        self.choices = Choices(self.engine)
        self.warm_up = warm_up
        self.kb_ready = asyncio.Event()
        self._background: set[asyncio.Task[Any]] = set()

    async def setup_hook(self) -> None:
        for cog in COGS:
            await self.add_cog(cog(self))
        try:
            synced = await self.tree.sync()
            log.info("synced %d application commands: %s", len(synced), ", ".join(c.name for c in synced))
        except discord.HTTPException:
            log.exception("could not sync the application commands; mentions still work")
        self.spawn(self.prepare_engine())

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: the asking cog's listener reads the messages."""

    async def on_ready(self) -> None:
        log.info("connected as %s (id %s) to %d server(s)", self.user, self.user.id if self.user else "?",
                 len(self.guilds))

    async def close(self) -> None:
        await super().close()
        self.engine.shutdown()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """A background task that is kept referenced and whose failure is logged."""
        task = asyncio.create_task(coro)
        self._background.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._background.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("[ref %s] background task failed", new_reference(), exc_info=t.exception())

        task.add_done_callback(done)
        return task

    async def prepare_engine(self) -> None:
        """Seed an empty knowledge base, fill the autocomplete lists, then warm the model
        with one question, so the first real question does not pay for loading it."""
        started = time.perf_counter()
        try:
            outcome = await self.engine.write(self.service.ensure_seeded, notify=log.info)
            if outcome is not None:
                log.info("seeded the knowledge base: %d articles", len(outcome.report.added))
        except Exception:
            log.exception("[ref %s] seeding the knowledge base failed", new_reference())
        finally:
            self.kb_ready.set()
        await self.choices.refresh()
        if self.warm_up:
            # The full model: a bot answers for hours, and torch encodes questions faster than
            # the light encoder a one-off CLI question uses.
            await self.engine.read(self.service.load_model)
            await self.engine.read(self.service.ask, WARM_UP_QUESTION)
            log.info("engine ready in %.1f s", time.perf_counter() - started)

    def rate_limit_message(self, user_id: int) -> str | None:
        """None when the user may ask now; a polite refusal otherwise."""
        decision = self.limiter.hit(user_id)
        if decision.allowed:
            return None
        wait = max(1, math.ceil(decision.retry_after))
        per_minute = self.settings.rate_limit_per_minute
        return (f"You're asking faster than I can read: please try again in {wait} s "
                f"(the limit is {per_minute} question{'s' if per_minute != 1 else ''} a minute).")


class ShardedNewsBot(NewsBot, commands.AutoShardedBot):
    """NewsBot on discord.py's sharded client: this process runs NEWSBOT_SHARD_IDS of
    NEWSBOT_SHARD_COUNT shards; other processes run the rest against the same knowledge base."""
