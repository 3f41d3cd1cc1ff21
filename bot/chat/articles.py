"""Article admin, for server admins only: ``/article add file:`` (an attachment) or
``url:`` (a web page, fetched safely), ``/article remove id:`` (autocompleted) and
``/reindex`` (re-embed every article from its stored text). Each shows its progress while
it runs in the write worker, then what it did.

Usage::

    await bot.add_cog(ArticleAdmin(bot))  # NewsBot.setup_hook does this
    # then, in Discord (as an admin):
    #   /article add file: quill.txt        /article add url: https://example.org/news/1.html
    #   /article remove id: wire-0002       /reindex
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.permissions import admin_group, admin_only
from bot.chat.progress import with_progress
from bot.chat.render import add_outcome_embed, clip, rebuild_embed
from bot.chat.replies import NO_PINGS, defer, reply_private
from index.intake import ArticleFormatError, check_upload

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger("newsbot.discord")


class ArticleAdmin(commands.Cog):
    """``/article add``, ``/article remove`` and ``/reindex``."""

    article = admin_group("article", "Add or remove articles (server admins).")

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @article.command(name="add", description="Index an article: a file (.txt, .md, .html, .json, .jsonl) or a URL.")
    @app_commands.describe(file="The article file", url="A web page with the article (http:// or https://)")
    @admin_only()
    async def add(self, interaction: discord.Interaction, file: discord.Attachment | None = None,
                  url: app_commands.Range[str, 1, 2000] | None = None) -> None:
        await defer(interaction, ephemeral=True)
        if (file is None) == (url is None):
            await reply_private(interaction, "Give either a file or a url (one of them).")
        elif url is not None:
            url = url.strip()
            await self.index(interaction, url, f"Fetching {url}", self.bot.service.add_url, url)
        elif file is not None:
            await self.add_file(interaction, file)

    async def add_file(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        limit = self.bot.settings.max_attachment_bytes
        try:
            name = check_upload(file.filename, file.size, limit)
            data = await file.read()
            check_upload(name, len(data), limit)  # the declared size is the uploader's word
        except ArticleFormatError as exc:
            await reply_private(interaction, f"Sorry, {exc}.")
            return
        await self.index(interaction, name, f"Indexing {name}", self.bot.service.add_upload, name, data)

    async def index(self, interaction: discord.Interaction, what: str, label: str,
                    add: Callable[..., Any], *args: Any) -> None:
        """Run ``add(*args, progress)`` in the write worker, showing progress, then the outcome."""
        await self.bot.kb_ready.wait()
        outcome = await with_progress(interaction, label, lambda report: self.bot.engine.write(add, *args, report))
        log.info("/article add %s: %d added, %d skipped, %d rejected", what, len(outcome.report.added),
                 len(outcome.report.skipped), len(outcome.rejected))
        await self.changed(interaction, add_outcome_embed(what, outcome))

    async def changed(self, interaction: discord.Interaction, embed: discord.Embed) -> None:
        """Show what a write did, and refresh the autocomplete lists behind it."""
        self.bot.spawn(self.bot.choices.refresh())
        await interaction.edit_original_response(content=None, embed=embed, allowed_mentions=NO_PINGS)

    @article.command(name="remove", description="Remove an article by its id (see /sources).")
    @app_commands.describe(id="The article's id")
    @admin_only()
    async def remove(self, interaction: discord.Interaction, id: app_commands.Range[str, 1, 200]) -> None:
        await defer(interaction, ephemeral=True)
        await self.bot.kb_ready.wait()
        service = self.bot.service
        row = await self.bot.engine.read(service.get_article, id)
        removed = row is not None and await self.bot.engine.write(service.remove_article, id)
        if removed:
            self.bot.spawn(self.bot.choices.refresh())
            text = f"Removed `{clip(id, 100)}`: {discord.utils.escape_markdown(clip(row.title, 200))}"
        else:
            text = f"There is no article with the id `{clip(id, 100)}` (see /sources)."
        await reply_private(interaction, text)

    @remove.autocomplete("id")
    async def article_id(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.bot.choices.article(current)

    @app_commands.command(name="reindex", description="Re-embed every article from its stored text (server admins).")
    @app_commands.guild_only()
    @app_commands.default_permissions(administrator=True)
    @admin_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=True)
        await self.bot.kb_ready.wait()
        report = await with_progress(interaction, "Rebuilding the knowledge base",
                                     lambda report: self.bot.engine.write(self.bot.service.rebuild, report))
        await self.changed(interaction, rebuild_embed(report))
