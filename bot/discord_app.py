"""The Discord face of newsbot: a thin discord.py layer over :class:`bot.service.NewsService`.

Usage::

    from bot.config import Settings
    from bot.service import NewsService
    from bot.discord_app import run_bot
    raise SystemExit(run_bot(NewsService(Settings())))     # what `newsbot run` does

    # in tests (simcord, or any event loop of your own):
    bot = NewsBot(service, warm_up=False)

What it does:

- **Questions**: ``/ask question:``; a message that mentions the bot; a reply to one of the
  bot's answers, which is a follow-up: it is asked as "<earlier question> <follow-up>", so
  the engine sees the context (simple, and good enough for "and Xiaomi?"-style follow-ups);
  and, when ``answer_channels`` is set, every message in those channels. Channel questions
  are answered in a reply, or in a new thread when ``thread_mode`` is on.
- ``/company name:`` (autocomplete from the knowledge base's companies, else article
  titles), ``/sources`` (recent articles, paginated with buttons) and, for admins only,
  ``/article add file:`` or ``url:``, ``/article remove id:``, ``/reindex`` and ``/feed
  add url:``, ``/feed remove id:``, ``/feed list``.
- **Feeds**: a background task polls the followed feeds every ``feed_interval`` minutes
  (in the write worker, so the gateway never waits on a fetch) and, when
  ``announce_channel`` is set, posts each new article there: linked title, outlet, date
  and its first sentence quoted verbatim, up to 10 articles a message, pinging nobody.
- **Admin-only** is checked here, on every call: the invoker needs Administrator or Manage
  Server in the channel, or the configured ``admin_role``. ``default_permissions`` is only
  the hint that hides the commands from others in Discord's UI.
- **Responsiveness**: every interaction is acknowledged at once (a deferral, or an
  immediate ephemeral reply such as the rate-limit notice); the engine runs in worker
  threads (two for reads, one for writes), so the gateway heartbeat never waits on the
  model. The knowledge base is seeded and the model warmed in the background while the
  bot connects.
- **Never noisy**: every message is sent with ``AllowedMentions.none()`` (set on the
  client and passed explicitly); answers carry 👍/👎 buttons whose custom ids hold the
  answer id, so they keep working after a restart; votes go to ``bot.feedback``.
- **Errors**: the user gets a short ephemeral message with a reference id; the log has the
  traceback under the same id. The token is redacted from every log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import re
import secrets
import signal
import sqlite3
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath
from typing import Any, TypeVar, cast

import discord
import yarl
from discord import app_commands

from bot.answer import Answer
from bot.config import Settings
from bot.discord_render import (
    add_outcome_embed,
    announcement_embed,
    answer_embed,
    clip,
    company_embed,
    feeds_embed,
    limit_problems,
    pack_embeds,
    progress_text,
    rebuild_embed,
    sources_embed,
)
from bot.feedback import FeedbackStore
from bot.ratelimit import limiter_for
from bot.service import NewsService, QuestionError, clean_question
from index.intake.feeds import FeedError, PollReport
from index.intake.fetch import FetchError

log = logging.getLogger("newsbot.discord")
T = TypeVar("T")

#: Every message goes out with this; a question echoing "@everyone" pings nobody.
NO_PINGS = discord.AllowedMentions.none()
ALLOWED_UPLOADS = (".txt", ".md", ".html", ".json", ".jsonl")
SOURCES_PAGE_SIZE = 10
COMPANIES_PENDING = "Company summaries are not available in this version of newsbot yet."
WARM_UP_QUESTION = "Did the company confirm the report?"


def new_reference() -> str:
    """A short id that joins what the user sees to the traceback in the log."""
    return secrets.token_hex(4)


# ----------------------------------------------------------------------------- the engine


class Engine:
    """Runs the blocking NewsService in worker threads, off the event loop.

    Reads (questions, lists, autocomplete data) share a small pool; writes (adds, removals,
    rebuilds) get their own thread, so a long upload never queues questions behind it.
    The pools are small on purpose: the model is CPU-bound, and more threads than cores
    only make every answer slower.
    """

    def __init__(self, service: NewsService, read_workers: int = 2) -> None:
        self.service = service
        self._reads = ThreadPoolExecutor(read_workers, thread_name_prefix="newsbot-read")
        self._writes = ThreadPoolExecutor(1, thread_name_prefix="newsbot-write")

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reads, functools.partial(fn, *args, **kwargs))

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writes, functools.partial(fn, *args, **kwargs))

    def shutdown(self) -> None:
        for pool in (self._reads, self._writes):
            pool.shutdown(wait=False, cancel_futures=True)


# ----------------------------------------------------------------------------- admin check


class AdminOnly(app_commands.CheckFailure):
    """Raised by :func:`admin_only`; the message is shown to the user."""


def is_admin(interaction: discord.Interaction, admin_role: str | None) -> bool:
    """Administrator or Manage Server in this channel (as Discord resolved them for this
    interaction), or the configured admin role (by name or id)."""
    if interaction.guild is None:
        return False
    permissions = interaction.permissions
    if permissions.administrator or permissions.manage_guild:
        return True
    user = interaction.user
    if admin_role and isinstance(user, discord.Member):
        return any(role.name == admin_role or str(role.id) == admin_role for role in user.roles)
    return False


def admin_only() -> Callable[[T], T]:
    """The server-side half of admin-only commands (the other half is the
    ``default_permissions`` hint, which any server admin can override)."""

    async def predicate(interaction: discord.Interaction) -> bool:
        role = cast(NewsBot, interaction.client).settings.admin_role
        if is_admin(interaction, role):
            return True
        who = "server admins" + (f" and members with the {role} role" if role else "")
        name = interaction.command.qualified_name if interaction.command else "this command"
        raise AdminOnly(f"Sorry, /{name} is only for {who}.")

    return app_commands.check(predicate)


# ----------------------------------------------------------------------------- buttons

FEEDBACK_ID = re.compile(r"newsbot:fb:(?P<vote>up|down):(?P<answer_id>[0-9A-Za-z_-]{1,64})")


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button], template=FEEDBACK_ID):
    """👍 or 👎 under an answer. The custom id carries the vote and the answer id, so a
    click is understood even after a restart (registered with ``add_dynamic_items``)."""

    def __init__(self, vote: str, answer_id: str) -> None:
        emoji = "👍" if vote == "up" else "👎"
        super().__init__(discord.ui.Button(emoji=emoji, style=discord.ButtonStyle.secondary,
                                           custom_id=f"newsbot:fb:{vote}:{answer_id}"))
        self.vote = vote
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> FeedbackButton:
        return cls(match["vote"], match["answer_id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = cast(NewsBot, interaction.client)
        try:
            await defer(interaction, ephemeral=True)
            result = await asyncio.to_thread(bot.feedback.record_vote, self.answer_id, interaction.user.id,
                                             self.vote)
            emoji = "👍" if result.vote == "up" else "👎"
            text = f"Thanks, your {emoji} is recorded." if result.changed else f"You already voted {emoji}."
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
        except Exception as exc:
            await bot.report_interaction_error(interaction, exc)


class SourcesPageButton(discord.ui.DynamicItem[discord.ui.Button],
                        template=r"newsbot:src:(?P<direction>newer|older):(?P<offset>\d{1,7})"):
    """A /sources page button; the custom id holds the offset of the page it opens."""

    def __init__(self, direction: str, offset: int, *, disabled: bool = False) -> None:
        label = "◀ Newer" if direction == "newer" else "Older ▶"
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, disabled=disabled,
                                           custom_id=f"newsbot:src:{direction}:{offset}"))
        self.offset = offset

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> SourcesPageButton:
        return cls(match["direction"], int(match["offset"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = cast(NewsBot, interaction.client)
        try:
            await defer(interaction, update=True)
            embed, view = await bot.sources_page(self.offset)
            await interaction.edit_original_response(embed=embed, view=view, allowed_mentions=NO_PINGS)
        except Exception as exc:
            await bot.report_interaction_error(interaction, exc)


def feedback_view(answer_id: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(FeedbackButton("up", answer_id))
    view.add_item(FeedbackButton("down", answer_id))
    return view


def sources_view(offset: int, has_more: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(SourcesPageButton("newer", max(offset - SOURCES_PAGE_SIZE, 0), disabled=offset == 0))
    view.add_item(SourcesPageButton("older", offset + SOURCES_PAGE_SIZE, disabled=not has_more))
    return view


def answer_id_of(message: discord.Message) -> str | None:
    """The answer id in a bot answer's 👍/👎 buttons, or None for any other message."""
    for row in message.components:
        for child in getattr(row, "children", []):
            match = FEEDBACK_ID.fullmatch(getattr(child, "custom_id", None) or "")
            if match:
                return match["answer_id"]
    return None


# ----------------------------------------------------------------------------- interactions


async def defer(interaction: discord.Interaction, *, ephemeral: bool = False, update: bool = False) -> None:
    """Acknowledge now (Discord allows 3 s) and remember how, for :meth:`NewsBot.reply_private`."""
    if update:
        await interaction.response.defer()
        interaction.extras["newsbot_defer"] = "update"
    else:
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        interaction.extras["newsbot_defer"] = "private" if ephemeral else "public"


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


# ----------------------------------------------------------------------------- the client


class NewsTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        bot = cast(NewsBot, interaction.client)
        if isinstance(error, AdminOnly):
            log.info("refused /%s to a non-admin", interaction.command.qualified_name if interaction.command else "?")
            await bot.reply_private(interaction, str(error))
        elif isinstance(error, app_commands.NoPrivateMessage):
            await bot.reply_private(interaction, "This command works in a server, not in direct messages.")
        elif isinstance(error, app_commands.CheckFailure):
            await bot.reply_private(interaction, "Sorry, you can't use this command here.")
        else:
            await bot.report_interaction_error(interaction, getattr(error, "original", error))


def shard_options(settings: Settings) -> dict[str, Any]:
    """discord.py's sharding arguments from NEWSBOT_SHARD_COUNT / NEWSBOT_SHARD_IDS (none: one
    unsharded connection, as before). Shard ids must lie in [0, count)."""
    if settings.shard_count is None:
        if settings.shard_ids:
            raise ValueError("NEWSBOT_SHARD_IDS needs NEWSBOT_SHARD_COUNT (the total across every bot process)")
        return {}
    ids = list(settings.shard_ids) if settings.shard_ids else list(range(settings.shard_count))
    if not ids or any(not 0 <= i < settings.shard_count for i in ids) or len(set(ids)) != len(ids):
        raise ValueError(f"NEWSBOT_SHARD_IDS {ids} must be distinct ids from 0 to {settings.shard_count - 1}")
    return {"shard_count": settings.shard_count, "shard_ids": ids}


class NewsBot(discord.Client):
    """The newsbot Discord client. ``warm_up=False`` skips the background warm-up question
    (tests that share a model already loaded use it)."""

    def __init__(self, service: NewsService, *, warm_up: bool = True, read_workers: int = 2) -> None:
        settings = service.settings
        intents = discord.Intents.default()
        # Mentions and replies to the bot carry their text without the privileged intent;
        # only "answer every message in these channels" needs it.
        intents.message_content = bool(settings.answer_channels)
        super().__init__(intents=intents, allowed_mentions=NO_PINGS, **shard_options(settings))
        self.service = service
        self.settings: Settings = settings
        self.engine = Engine(service, read_workers=read_workers)
        self.feedback = FeedbackStore.for_settings(settings)  # PostgreSQL with the cluster backend
        self.limiter = limiter_for(settings)
        self.warm_up = warm_up
        self.kb_ready = asyncio.Event()
        self.tree = NewsTree(self)
        self._background: set[asyncio.Task[Any]] = set()
        self._article_choices: list[tuple[str, str]] = []   # (id, title), newest first
        self._company_names: list[tuple[str, list[str]]] | None = None  # None: not available yet
        self._feed_choices: list[tuple[int, str]] = []       # (id, name) for /feed remove
        self._poll_lock = asyncio.Lock()                      # one feed poll at a time
        register_commands(self.tree)

    # -------------------------------------------------------------- lifecycle

    async def setup_hook(self) -> None:
        self.add_dynamic_items(FeedbackButton, SourcesPageButton)
        try:
            synced = await self.tree.sync()
            log.info("synced %d application commands: %s", len(synced), ", ".join(c.name for c in synced))
        except discord.HTTPException:
            log.exception("could not sync the application commands; mentions still work")
        self.spawn(self.prepare_engine())
        self.spawn(self.feed_loop())

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
                ref = new_reference()
                log.error("[ref %s] background task failed", ref, exc_info=t.exception())

        task.add_done_callback(done)
        return task

    async def prepare_engine(self) -> None:
        """Seed an empty knowledge base, fill the autocomplete caches, then warm the model
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
        await self.refresh_caches()
        if self.warm_up:
            # The full model: a bot answers for hours, and torch encodes questions faster than
            # the light encoder a one-off CLI question uses.
            await self.engine.read(self.service.embedder.load)
            await self.engine.read(self.service.ask, WARM_UP_QUESTION)
            log.info("engine ready in %.1f s", time.perf_counter() - started)

    async def refresh_caches(self) -> None:
        """The autocomplete data: autocomplete must answer within 3 s, so it never waits
        on the engine; it reads these lists, refreshed after every change."""
        try:
            rows = await self.engine.read(self.service.list_articles)
            self._article_choices = [(r.id, r.title) for r in rows]
        except Exception:
            log.exception("[ref %s] could not list the articles for autocomplete", new_reference())
        try:
            companies = await self.engine.read(self.service.companies)
            self._company_names = [(c.name, list(c.aliases)) for c in companies]
        except NotImplementedError:
            self._company_names = None  # until the companies issue lands: article titles
        except Exception:
            log.exception("[ref %s] could not list the companies for autocomplete", new_reference())

    # -------------------------------------------------------------- feeds

    async def feed_loop(self) -> None:
        """Poll the feeds now, then every ``feed_interval`` minutes; a failed round is
        logged and the loop goes on."""
        await self.kb_ready.wait()
        while not self.is_closed():
            try:
                await self.poll_feeds()
            except Exception:
                log.exception("[ref %s] polling the feeds failed", new_reference())
            await asyncio.sleep(self.settings.feed_interval * 60)

    async def poll_feeds(self, only_due: bool = True) -> list[PollReport]:
        """One round over the feeds (in the write worker), then the announcements."""
        async with self._poll_lock:
            reports = await self.engine.write(self.service.poll_feeds, only_due=only_due)
        for report in reports:
            if report.error:
                log.warning("feed %d (%s) failed: %s", report.feed.id, report.feed.url, report.error)
            elif report.outcomes:
                log.info("feed %d: %d new entries, %d articles added", report.feed.id, len(report.outcomes),
                         len(report.added_ids))
        added = list(dict.fromkeys(a for r in reports for a in r.added_ids))
        await self.refresh_feed_choices()
        if added:
            await self.refresh_caches()
            await self.announce(added)
        return reports

    async def announce(self, article_ids: Sequence[str]) -> None:
        """Post the new articles in ``announce_channel`` (when set): 10 embeds a message."""
        channel_id = self.settings.announce_channel
        if not channel_id or not article_ids:
            return
        try:
            channel = self.get_channel(channel_id) or await self.fetch_channel(channel_id)
        except discord.HTTPException as exc:
            log.warning("cannot announce in channel %s: %s", channel_id, exc)
            return
        embeds = []
        for article_id in article_ids:
            found = await self.engine.read(self.service.first_sentence, article_id)
            if found is not None:
                row, sentence = found
                embeds.append(announcement_embed(row.title, row.url, row.source, row.published_at, sentence))
        log.info("announcing %d new articles in channel %s", len(embeds), channel_id)
        for group in pack_embeds(embeds):
            check_limits(None, group)
            await cast(discord.abc.Messageable, channel).send(embeds=group, allowed_mentions=NO_PINGS)

    async def refresh_feed_choices(self) -> None:
        try:
            feeds = await self.engine.read(self.service.list_feeds)
            self._feed_choices = [(f.id, f.name) for f in feeds]
        except Exception:
            log.exception("[ref %s] could not list the feeds for autocomplete", new_reference())

    def feed_choices(self, current: str) -> list[app_commands.Choice[int]]:
        labelled = {clip(f"{fid} — {name}", 100): fid for fid, name in self._feed_choices}
        ranked = ranked_choices(current, [(label, [label]) for label in labelled])
        return [app_commands.Choice(name=c.name, value=labelled[c.name]) for c in ranked if c.name in labelled]

    async def add_article_url(self, interaction: discord.Interaction, url: str) -> None:
        """/article add url: fetch the page and index its article (in the write worker)."""
        await self.kb_ready.wait()
        label = f"Fetching {url}"
        await interaction.edit_original_response(content=progress_text(label, 0, 0), allowed_mentions=NO_PINGS)
        progress = ProgressEditor(interaction, label)
        try:
            outcome = await self.engine.write(self.service.add_url, url, progress.report)
        finally:
            await progress.finish()
        log.info("/article add url: %d added, %d skipped, %d rejected", len(outcome.report.added),
                 len(outcome.report.skipped), len(outcome.rejected))
        self.spawn(self.refresh_caches())
        await interaction.edit_original_response(content=None, embed=add_outcome_embed(url, outcome),
                                                 allowed_mentions=NO_PINGS)

    # -------------------------------------------------------------- questions

    async def answer(self, question: str) -> Answer:
        """Ask the engine (in a worker) once the knowledge base is ready."""
        await self.kb_ready.wait()
        answer = await self.engine.read(self._ask_and_remember, question)
        log.info("answer %s in %.0f ms (verdict %s, %d quotes)", answer.answer_id,
                 answer.timings_ms.get("total", 0.0), answer.verdict, len(answer.quotes))
        return answer

    def _ask_and_remember(self, question: str) -> Answer:
        answer = self.service.ask(question)
        try:  # what a vote or a follow-up needs later; a failure here must not lose the answer
            self.feedback.record_answer(answer.answer_id, answer.question)
        except sqlite3.Error:
            log.warning("could not record answer %s for feedback", answer.answer_id, exc_info=True)
        return answer

    def rate_limit_message(self, user_id: int) -> str | None:
        """None when the user may ask now; a polite refusal otherwise."""
        decision = self.limiter.hit(user_id)
        if decision.allowed:
            return None
        wait = max(1, math.ceil(decision.retry_after))
        per_minute = self.settings.rate_limit_per_minute
        return (f"You're asking faster than I can read: please try again in {wait} s "
                f"(the limit is {per_minute} question{'s' if per_minute != 1 else ''} a minute).")

    def clean(self, question: str) -> str:
        return clean_question(question, self.settings.max_question_chars)

    # -------------------------------------------------------------- channel messages

    async def on_message(self, message: discord.Message) -> None:
        if self.user is None or message.author.bot:
            return
        try:
            question = await self.question_in(message)
            if question is not None:
                await self.answer_message(message, question)
        except Exception as exc:
            await self.report_message_error(message, exc)

    async def question_in(self, message: discord.Message) -> str | None:
        """The question a message asks the bot, or None when it is not for the bot. A reply
        to one of the bot's answers is a follow-up, asked together with the earlier question."""
        assert self.user is not None
        mentioned = any(user.id == self.user.id for user in message.mentions)
        channel_ids = {message.channel.id, getattr(message.channel, "parent_id", None)}
        in_answer_channel = bool(channel_ids & set(self.settings.answer_channels))
        # Fetching a replied-to message costs a REST call: only for messages that are for
        # the bot anyway. A reply that pings the bot mentions it, so follow-ups qualify.
        earlier = await self.earlier_question(message, fetch=mentioned or in_answer_channel)
        if not (mentioned or in_answer_channel or earlier is not None):
            return None
        text = re.sub(rf"<@!?{self.user.id}>", " ", message.content)
        text = " ".join(text.split())
        if earlier and text:
            room = self.settings.max_question_chars - len(text) - 1
            if room > 0:
                # The earlier question's end carries most of its subject, so trim its start.
                return f"{earlier[-room:].lstrip()} {text}"
        return text

    async def earlier_question(self, message: discord.Message, *, fetch: bool = True) -> str | None:
        """When ``message`` replies to one of the bot's answers: that answer's question."""
        reference = message.reference
        if reference is None or reference.message_id is None or self.user is None:
            return None
        replied = reference.resolved
        if replied is None and fetch:
            with contextlib.suppress(discord.HTTPException):
                replied = await message.channel.fetch_message(reference.message_id)
        if not isinstance(replied, discord.Message) or replied.author.id != self.user.id:
            return None
        answer_id = answer_id_of(replied)
        if answer_id is None:
            return None
        question = await asyncio.to_thread(self.feedback.question_for, answer_id)
        if question is None and replied.embeds and replied.embeds[0].title:
            question = replied.embeds[0].title.replace("\\", "")  # the (escaped) question echo
        return question

    async def answer_message(self, message: discord.Message, question: str) -> None:
        try:
            cleaned = self.clean(question)
        except QuestionError as exc:
            hint = (f"Ask me about the news, for example: @{self.user.display_name if self.user else 'newsbot'} "
                    "Did Hyundai confirm the plant deal?") if not question.strip() else f"Sorry, {exc}."
            await self.send_notice(message, hint)
            return
        refusal = self.rate_limit_message(message.author.id)
        if refusal:
            await self.send_notice(message, refusal)
            return
        target: discord.abc.Messageable = message.channel
        thread = None
        if self.settings.thread_mode and isinstance(message.channel, discord.TextChannel):
            try:
                thread = await message.create_thread(name=clip(cleaned, 100), auto_archive_duration=1440)
                target = thread
            except discord.HTTPException as exc:  # e.g. no Create Public Threads permission here
                log.warning("could not open a thread in #%s, replying in place: %s", message.channel, exc)
        async with target.typing():
            answer = await self.answer(cleaned)
        embed, view = answer_embed(answer), feedback_view(answer.answer_id)
        check_limits(None, [embed])
        if thread is not None:
            await thread.send(embed=embed, view=view, allowed_mentions=NO_PINGS)
        else:
            await message.reply(embed=embed, view=view, mention_author=False, allowed_mentions=NO_PINGS)

    async def send_notice(self, message: discord.Message, text: str, delete_after: float = 20.0) -> None:
        """A short reply that removes itself: a channel's nearest thing to an ephemeral message."""
        await message.reply(text, mention_author=False, allowed_mentions=NO_PINGS, delete_after=delete_after)

    # -------------------------------------------------------------- errors

    async def report_interaction_error(self, interaction: discord.Interaction, error: BaseException) -> None:
        ref = new_reference()
        what = describe(interaction)
        log.error("[ref %s] %s failed", ref, what, exc_info=error)
        if interaction.type is discord.InteractionType.autocomplete:
            return  # nothing can be shown for an autocomplete
        await self.reply_private(interaction, f"Sorry, something went wrong there. If it keeps happening, "
                                              f"give the server admin this reference: `{ref}`.")

    async def report_message_error(self, message: discord.Message, error: BaseException) -> None:
        ref = new_reference()
        log.error("[ref %s] answering message %s failed", ref, message.id, exc_info=error)
        with contextlib.suppress(discord.HTTPException):
            await self.send_notice(message, f"Sorry, something went wrong answering that. Reference: `{ref}`.",
                                   delete_after=60.0)

    async def reply_private(self, interaction: discord.Interaction, content: str) -> None:
        """An ephemeral message, however the interaction was acknowledged so far."""
        content = clip(content, 2000)
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(content, ephemeral=True, allowed_mentions=NO_PINGS)
                return
            if interaction.extras.get("newsbot_defer") == "public":
                # A public "thinking…" message cannot turn ephemeral: complete it with a
                # neutral line, say the real thing privately, then remove the public one.
                await interaction.edit_original_response(content="No answer this time.", embed=None, view=None,
                                                         allowed_mentions=NO_PINGS)
                await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_PINGS)
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
                return
            await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_PINGS)
        except discord.HTTPException as exc:
            log.warning("could not tell the user about a problem (%s): %s", describe(interaction), exc)

    # -------------------------------------------------------------- lists and autocomplete

    async def sources_page(self, offset: int) -> tuple[discord.Embed, discord.ui.View]:
        rows = await self.engine.read(self.service.list_articles, SOURCES_PAGE_SIZE + 1, offset)
        has_more = len(rows) > SOURCES_PAGE_SIZE
        embed = sources_embed(rows[:SOURCES_PAGE_SIZE], offset // SOURCES_PAGE_SIZE, has_more)
        return embed, sources_view(offset, has_more)

    def company_choices(self, current: str) -> list[app_commands.Choice[str]]:
        if self._company_names is not None:
            candidates = [(name, [name, *aliases]) for name, aliases in self._company_names]
        else:
            candidates = [(title, [title]) for _, title in self._article_choices]
        return ranked_choices(current, candidates)

    def article_choices(self, current: str) -> list[app_commands.Choice[str]]:
        choices = [(f"{aid} — {title}", [aid, title], aid) for aid, title in self._article_choices if len(aid) <= 100]
        return ranked_choices(current, [(label, keys) for label, keys, _ in choices],
                              values={label: aid for label, _, aid in choices})


def ranked_choices(current: str, candidates: Sequence[tuple[str, list[str]]],
                   values: dict[str, str] | None = None) -> list[app_commands.Choice[str]]:
    """Up to 25 choices: prefix matches first, then substring matches."""
    needle = current.casefold().strip()
    prefix, inside = [], []
    for label, keys in candidates:
        folded = [k.casefold() for k in keys]
        if any(k.startswith(needle) for k in folded):
            prefix.append(label)
        elif any(needle in k for k in folded):
            inside.append(label)
    out = []
    for label in dict.fromkeys(prefix + inside):
        value = (values or {}).get(label, label)
        out.append(app_commands.Choice(name=clip(label, 100), value=clip(value, 100)))
        if len(out) == 25:
            break
    return out


def describe(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    custom_id = (interaction.data or {}).get("custom_id")
    return f"component {custom_id}" if custom_id else f"interaction type {interaction.type}"


def check_limits(content: str | None, embeds: Sequence[discord.Embed]) -> None:
    """Renderers stay within limits by construction; this makes a bug there loud in the
    log before Discord answers 400."""
    problems = limit_problems(content, embeds)
    if problems:
        log.error("a message breaks Discord limits: %s", "; ".join(problems))


def bot_of(interaction: discord.Interaction) -> NewsBot:
    return cast(NewsBot, interaction.client)


# ----------------------------------------------------------------------------- commands


def register_commands(tree: app_commands.CommandTree) -> None:
    """Adds newsbot's slash commands to ``tree`` (fresh objects for every client)."""

    @tree.command(name="ask", description="Ask about the news; the answer quotes the articles.")
    @app_commands.describe(question="For example: Did Hyundai confirm the plant deal?")
    async def ask(interaction: discord.Interaction, question: app_commands.Range[str, 1, 2000]) -> None:
        bot = bot_of(interaction)
        try:
            cleaned = bot.clean(question)
        except QuestionError as exc:  # answered at once: these need no work
            await interaction.response.send_message(f"Sorry, {exc}.", ephemeral=True, allowed_mentions=NO_PINGS)
            return
        refusal = bot.rate_limit_message(interaction.user.id)
        if refusal:
            await interaction.response.send_message(refusal, ephemeral=True, allowed_mentions=NO_PINGS)
            return
        await defer(interaction)
        answer = await bot.answer(cleaned)
        embed = answer_embed(answer)
        check_limits(None, [embed])
        await interaction.followup.send(embed=embed, view=feedback_view(answer.answer_id),
                                        allowed_mentions=NO_PINGS)

    @tree.command(name="company", description="What the articles say about a company, quoted.")
    @app_commands.describe(name="The company, e.g. Xiaomi")
    async def company(interaction: discord.Interaction, name: app_commands.Range[str, 1, 200]) -> None:
        bot = bot_of(interaction)
        name = " ".join(name.split())
        refusal = bot.rate_limit_message(interaction.user.id)
        if refusal or not name:
            await interaction.response.send_message(refusal or "Give me a company name, e.g. Xiaomi.",
                                                    ephemeral=True, allowed_mentions=NO_PINGS)
            return
        await defer(interaction)
        await bot.kb_ready.wait()
        try:
            summary = await bot.engine.read(bot.service.company_summary, name)
        except NotImplementedError:
            await bot.reply_private(interaction, COMPANIES_PENDING)
            return
        embed = company_embed(summary)
        check_limits(None, [embed])
        await interaction.followup.send(embed=embed, allowed_mentions=NO_PINGS)

    @company.autocomplete("name")
    async def company_name(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return bot_of(interaction).company_choices(current)

    @tree.command(name="sources", description="The most recent articles newsbot answers from.")
    async def sources(interaction: discord.Interaction) -> None:
        bot = bot_of(interaction)
        await defer(interaction)
        await bot.kb_ready.wait()
        embed, view = await bot.sources_page(0)
        await interaction.followup.send(embed=embed, view=view, allowed_mentions=NO_PINGS)

    article = app_commands.Group(name="article", description="Add or remove articles (server admins).",
                                 guild_only=True, allowed_contexts=app_commands.AppCommandContext(guild=True),
                                 default_permissions=discord.Permissions(administrator=True))

    @article.command(name="add", description="Index an article: a file (.txt, .md, .html, .json, .jsonl) or a URL.")
    @app_commands.describe(file="The article file", url="A web page with the article (http:// or https://)")
    @admin_only()
    async def article_add(interaction: discord.Interaction, file: discord.Attachment | None = None,
                          url: app_commands.Range[str, 1, 2000] | None = None) -> None:
        bot = bot_of(interaction)
        await defer(interaction, ephemeral=True)
        if (file is None) == (url is None):
            await interaction.followup.send("Give either a file or a url (one of them).", ephemeral=True,
                                            allowed_mentions=NO_PINGS)
            return
        if url is not None:
            await bot.add_article_url(interaction, url.strip())
            return
        assert file is not None
        # Only the base name is used: no path from the uploader reaches the disk or the log.
        name = PurePosixPath(file.filename.replace("\\", "/")).name or "upload"
        limit = bot.settings.max_attachment_bytes
        if not name.lower().endswith(ALLOWED_UPLOADS):
            await interaction.followup.send(
                f"Sorry, I can only index {', '.join(ALLOWED_UPLOADS)} files.", ephemeral=True,
                allowed_mentions=NO_PINGS)
            return
        if file.size > limit:
            await interaction.followup.send(f"Sorry, that file is {megabytes(file.size)}; the limit is "
                                            f"{megabytes(limit)}.", ephemeral=True, allowed_mentions=NO_PINGS)
            return
        data = await file.read()
        if len(data) > limit:  # the declared size is the uploader's word; check what arrived
            await interaction.followup.send(f"Sorry, that file is over {megabytes(limit)}.", ephemeral=True,
                                            allowed_mentions=NO_PINGS)
            return
        await bot.kb_ready.wait()
        label = f"Indexing {name}"
        await interaction.edit_original_response(content=progress_text(label, 0, 0), allowed_mentions=NO_PINGS)
        progress = ProgressEditor(interaction, label)
        try:
            outcome = await bot.engine.write(bot.service.add_upload, name, data, progress.report)
        finally:
            await progress.finish()
        log.info("/article add %s: %s", name, {k: len(v) if isinstance(v, list) else v
                                               for k, v in outcome.to_dict().items()})
        bot.spawn(bot.refresh_caches())
        await interaction.edit_original_response(content=None, embed=add_outcome_embed(name, outcome),
                                                 allowed_mentions=NO_PINGS)

    @article.command(name="remove", description="Remove an article by its id (see /sources).")
    @app_commands.describe(id="The article's id")
    @admin_only()
    async def article_remove(interaction: discord.Interaction, id: app_commands.Range[str, 1, 200]) -> None:
        bot = bot_of(interaction)
        await defer(interaction, ephemeral=True)
        await bot.kb_ready.wait()
        row = await bot.engine.read(bot.service.get_article, id)
        removed = row is not None and await bot.engine.write(bot.service.remove_article, id)
        if removed:
            bot.spawn(bot.refresh_caches())
            text = f"Removed `{clip(id, 100)}`: {discord.utils.escape_markdown(clip(row.title, 200))}"
        else:
            text = f"There is no article with the id `{clip(id, 100)}` (see /sources)."
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)

    @article_remove.autocomplete("id")
    async def article_id(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return bot_of(interaction).article_choices(current)

    tree.add_command(article)
    register_feed_commands(tree)

    @tree.command(name="reindex", description="Re-embed every article from its stored text (server admins).")
    @app_commands.guild_only()
    @app_commands.default_permissions(administrator=True)
    @admin_only()
    async def reindex(interaction: discord.Interaction) -> None:
        bot = bot_of(interaction)
        await defer(interaction, ephemeral=True)
        await bot.kb_ready.wait()
        label = "Rebuilding the knowledge base"
        await interaction.edit_original_response(content=progress_text(label, 0, 0), allowed_mentions=NO_PINGS)
        progress = ProgressEditor(interaction, label)
        try:
            report = await bot.engine.write(bot.service.rebuild, progress.report)
        finally:
            await progress.finish()
        bot.spawn(bot.refresh_caches())
        await interaction.edit_original_response(content=None, embed=rebuild_embed(report),
                                                 allowed_mentions=NO_PINGS)


def register_feed_commands(tree: app_commands.CommandTree) -> None:
    """/feed add, /feed remove and /feed list: admin-only, like /article."""
    feed = app_commands.Group(name="feed", description="Follow RSS, Atom and JSON feeds (server admins).",
                              guild_only=True, allowed_contexts=app_commands.AppCommandContext(guild=True),
                              default_permissions=discord.Permissions(administrator=True))

    @feed.command(name="add", description="Follow a feed: its new articles are indexed on every poll.")
    @app_commands.describe(url="The feed's address (RSS, Atom or JSON Feed)", name="A name for it (optional)")
    @admin_only()
    async def feed_add(interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000],
                       name: app_commands.Range[str, 1, 100] | None = None) -> None:
        bot = bot_of(interaction)
        await defer(interaction, ephemeral=True)
        try:
            added = await bot.engine.write(bot.service.add_feed, url.strip(), name)
        except (FeedError, FetchError) as exc:
            await interaction.followup.send(f"Sorry, I can't follow that feed: {clip(str(exc), 1800)}",
                                            ephemeral=True, allowed_mentions=NO_PINGS)
            return
        log.info("/feed add: feed %d %s", added.id, added.url)
        minutes = bot.settings.feed_interval
        await interaction.followup.send(
            f"Following **{discord.utils.escape_markdown(clip(added.name, 200))}** (feed `{added.id}`). "
            f"Its articles are being indexed now, then checked every {minutes:g} minutes.",
            ephemeral=True, allowed_mentions=NO_PINGS)
        bot.spawn(bot.poll_feeds())

    @feed.command(name="remove", description="Stop following a feed (its articles stay indexed).")
    @app_commands.describe(id="The feed's number (see /feed list)")
    @admin_only()
    async def feed_remove(interaction: discord.Interaction, id: app_commands.Range[int, 1, 2**53 - 1]) -> None:
        bot = bot_of(interaction)
        await defer(interaction, ephemeral=True)
        removed = await bot.engine.write(bot.service.remove_feed, id)
        await bot.refresh_feed_choices()
        text = f"No longer following feed `{id}`." if removed else f"There is no feed `{id}` (see /feed list)."
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)

    @feed_remove.autocomplete("id")
    async def feed_id(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        return bot_of(interaction).feed_choices(current)

    @feed.command(name="list", description="The followed feeds, what they delivered, and their errors.")
    @admin_only()
    async def feed_list(interaction: discord.Interaction) -> None:
        bot = bot_of(interaction)
        await defer(interaction, ephemeral=True)
        feeds = await bot.engine.read(bot.service.list_feeds)
        embed = feeds_embed(feeds, bot.settings.feed_interval)
        check_limits(None, [embed])
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    tree.add_command(feed)


def megabytes(size: int) -> str:
    """A file size for people: "2 KB", "8.0 MB"."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


# ----------------------------------------------------------------------------- running


class RedactSecrets(logging.Filter):
    """Replaces secrets (the token) in log records, tracebacks included, before any
    handler formats them. Install it on handlers: a logger's filter misses records that
    propagate from child loggers."""

    def __init__(self, secrets_: Sequence[str]) -> None:
        super().__init__()
        parts = {s for s in secrets_ if s}
        # A bot token is id.timestamp.hmac; the hmac alone is the secret part too.
        parts |= {s.rsplit(".", 1)[-1] for s in parts if s.count(".") >= 2 and len(s.rsplit(".", 1)[-1]) >= 8}
        self._secrets = sorted(parts, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure_logging(level: str, secrets_: Sequence[str]) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets_))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    return handler


def point_at_discord(settings: Settings) -> None:
    """Discord-compatible servers and test doubles: discord.py reads both class attributes
    (the interaction webhooks use the same REST base)."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway)


async def serve(bot: NewsBot, token: str) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, lambda: bot.spawn(bot.close()))
    async with bot:
        await bot.start(token)


class ShardedNewsBot(NewsBot, discord.AutoShardedClient):
    """NewsBot on discord.py's sharded client: this process runs NEWSBOT_SHARD_IDS of
    NEWSBOT_SHARD_COUNT shards; other processes run the rest against the same knowledge base."""


def run_bot(service: NewsService) -> int:
    """Run the bot until SIGINT/SIGTERM; 0 on a clean stop, 1 when Discord refuses it."""
    settings = service.settings
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    configure_logging(settings.log_level, [token])
    # A text-only bot: the "voice will NOT be supported" warnings are noise in its log.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    point_at_discord(settings)
    if settings.discord_api_base or settings.discord_gateway:
        log.info("using Discord at %s (gateway %s)", discord.http.Route.BASE,
                 discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        bot = (ShardedNewsBot if settings.shard_count else NewsBot)(service)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    try:
        asyncio.run(serve(bot, token))
    except discord.LoginFailure:
        log.error("Discord refused the token in DISCORD_TOKEN; copy it again from the developer portal")
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error("answer_channels needs the Message Content intent: enable it for the bot in the "
                  "developer portal, or clear answer_channels")
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        bot.engine.shutdown()
        service.close()
    log.info("stopped")
    return 0
