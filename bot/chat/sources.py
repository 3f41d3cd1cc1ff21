"""Sources: ``/sources``, the most recent articles newsbot answers from, ten a page, with
◀ Newer / Older ▶ buttons whose custom ids hold the offset of the page they open (so they
keep working after a restart).

Usage::

    await bot.add_cog(Sources(bot))       # NewsBot.setup_hook does this
    # then, in Discord:  /sources
    embed, view = await sources_page(bot, offset=10)    # the second page
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.render import sources_embed
from bot.chat.replies import NO_PINGS, defer, report_interaction_error

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

SOURCES_PAGE_SIZE = 10


class SourcesPageButton(discord.ui.DynamicItem[discord.ui.Button],
                        template=r"newsbot:src:(?P<direction>newer|older):(?P<offset>\d{1,7})"):
    """A /sources page button; it edits the list in place."""

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
        try:
            await defer(interaction, update=True)
            embed, view = await sources_page(interaction.client, self.offset)  # type: ignore[arg-type]
            await interaction.edit_original_response(embed=embed, view=view, allowed_mentions=NO_PINGS)
        except Exception as exc:
            await report_interaction_error(interaction, exc)


def sources_view(offset: int, has_more: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(SourcesPageButton("newer", max(offset - SOURCES_PAGE_SIZE, 0), disabled=offset == 0))
    view.add_item(SourcesPageButton("older", offset + SOURCES_PAGE_SIZE, disabled=not has_more))
    return view


async def sources_page(bot: NewsBot, offset: int) -> tuple[discord.Embed, discord.ui.View]:
    """The page of articles that starts at ``offset``, and its buttons."""
    rows = await bot.engine.read(bot.service.list_articles, SOURCES_PAGE_SIZE + 1, offset)
    has_more = len(rows) > SOURCES_PAGE_SIZE
    embed = sources_embed(rows[:SOURCES_PAGE_SIZE], offset // SOURCES_PAGE_SIZE, has_more)
    return embed, sources_view(offset, has_more)


class Sources(commands.Cog):
    """``/sources`` and its page buttons."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SourcesPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SourcesPageButton)

    @app_commands.command(name="sources", description="The most recent articles newsbot answers from.")
    async def sources(self, interaction: discord.Interaction) -> None:
        await defer(interaction)
        await self.bot.kb_ready.wait()
        embed, view = await sources_page(self.bot, 0)
        await interaction.followup.send(embed=embed, view=view, allowed_mentions=NO_PINGS)
