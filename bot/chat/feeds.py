"""Feeds, for server admins only: ``/feed add url: [name:]``, ``/feed remove id:``
(autocompleted) and ``/feed list``; and the background poll that indexes the followed
feeds' new articles every ``feed_interval`` minutes (in the write worker, so the gateway
never waits on a fetch) and, when ``announce_channel`` is set, posts each new article
there: linked title, outlet, date and its first sentence quoted verbatim, up to 10
articles a message, pinging nobody.

Usage::

    await bot.add_cog(Feeds(bot))         # NewsBot.setup_hook does this; it starts the poll loop
    # then, in Discord (as an admin):  /feed add url: https://example.org/rss.xml name: Business
    reports = await bot.get_cog("Feeds").poll_feeds(only_due=False)   # one round now
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.permissions import admin_group, admin_only
from bot.chat.render import announcement_embed, clip, feeds_embed, pack_embeds
from bot.chat.replies import NO_PINGS, check_limits, defer, new_reference, reply_private
from index.intake.feeds import FeedError, PollReport
from index.intake.fetch import FetchError

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger("newsbot.discord")


class Feeds(commands.Cog):
    """``/feed add|remove|list`` and the poll loop with its announcements."""

    feed = admin_group("feed", "Follow RSS, Atom and JSON feeds (server admins).")

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self._poll_lock = asyncio.Lock()  # one feed poll at a time

    async def cog_load(self) -> None:
        self.bot.spawn(self.feed_loop())

    # -------------------------------------------------------------- commands

    @feed.command(name="add", description="Follow a feed: its new articles are indexed on every poll.")
    @app_commands.describe(url="The feed's address (RSS, Atom or JSON Feed)", name="A name for it (optional)")
    @admin_only()
    async def add(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000],
                  name: app_commands.Range[str, 1, 100] | None = None) -> None:
        await defer(interaction, ephemeral=True)
        try:
            added = await self.bot.engine.write(self.bot.service.add_feed, url.strip(), name)
        except (FeedError, FetchError) as exc:
            await reply_private(interaction, f"Sorry, I can't follow that feed: {clip(str(exc), 1800)}")
            return
        log.info("/feed add: feed %d %s", added.id, added.url)
        await reply_private(interaction,
                            f"Following **{discord.utils.escape_markdown(clip(added.name, 200))}** (feed "
                            f"`{added.id}`). Its articles are being indexed now, then checked every "
                            f"{self.bot.settings.feed_interval:g} minutes.")
        self.bot.spawn(self.poll_feeds())

    @feed.command(name="remove", description="Stop following a feed (its articles stay indexed).")
    @app_commands.describe(id="The feed's number (see /feed list)")
    @admin_only()
    async def remove(self, interaction: discord.Interaction, id: app_commands.Range[int, 1, 2**53 - 1]) -> None:
        await defer(interaction, ephemeral=True)
        removed = await self.bot.engine.write(self.bot.service.remove_feed, id)
        await self.bot.choices.refresh_feeds()
        text = f"No longer following feed `{id}`." if removed else f"There is no feed `{id}` (see /feed list)."
        await reply_private(interaction, text)

    @remove.autocomplete("id")
    async def feed_id(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        return self.bot.choices.feed(current)

    @feed.command(name="list", description="The followed feeds, what they delivered, and their errors.")
    @admin_only()
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=True)
        feeds = await self.bot.engine.read(self.bot.service.list_feeds)
        embed = feeds_embed(feeds, self.bot.settings.feed_interval)
        check_limits(None, [embed])
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    # -------------------------------------------------------------- polling

    async def feed_loop(self) -> None:
        """Poll the feeds now, then every ``feed_interval`` minutes; a failed round is
        logged and the loop goes on."""
        await self.bot.kb_ready.wait()
        while not self.bot.is_closed():
            try:
                await self.poll_feeds()
            except Exception:
                log.exception("[ref %s] polling the feeds failed", new_reference())
            await asyncio.sleep(self.bot.settings.feed_interval * 60)

    async def poll_feeds(self, only_due: bool = True) -> list[PollReport]:
        """One round over the feeds (in the write worker), then the announcements."""
        async with self._poll_lock:
            reports = await self.bot.engine.write(self.bot.service.poll_feeds, only_due=only_due)
        for report in reports:
            if report.error:
                log.warning("feed %d (%s) failed: %s", report.feed.id, report.feed.url, report.error)
            elif report.outcomes:
                log.info("feed %d: %d new entries, %d articles added", report.feed.id, len(report.outcomes),
                         len(report.added_ids))
        added = list(dict.fromkeys(a for r in reports for a in r.added_ids))
        await self.bot.choices.refresh_feeds()
        if added:
            await self.bot.choices.refresh()
            await self.announce(added)
        return reports

    async def announce(self, article_ids: Sequence[str]) -> None:
        """Post the new articles in ``announce_channel`` (when set): 10 embeds a message."""
        channel_id = self.bot.settings.announce_channel
        if not channel_id or not article_ids:
            return
        try:
            channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        except discord.HTTPException as exc:
            log.warning("cannot announce in channel %s: %s", channel_id, exc)
            return
        embeds = []
        for article_id in article_ids:
            found = await self.bot.engine.read(self.bot.service.first_sentence, article_id)
            if found is not None:
                row, sentence = found
                embeds.append(announcement_embed(row.title, row.url, row.source, row.published_at, sentence))
        log.info("announcing %d new articles in channel %s", len(embeds), channel_id)
        for group in pack_embeds(embeds):
            check_limits(None, group)
            await cast(discord.abc.Messageable, channel).send(embeds=group, allowed_mentions=NO_PINGS)
