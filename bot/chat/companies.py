"""Companies: ``/company name:``, what the articles say about a company, quoted, with the
name autocompleted from the companies found in the knowledge base (and their aliases).

Usage::

    await bot.add_cog(Companies(bot))     # NewsBot.setup_hook does this
    # then, in Discord:  /company name: Xiaomi
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.render import company_embed
from bot.chat.replies import NO_PINGS, check_limits, defer, reply_private

if TYPE_CHECKING:
    from bot.chat.client import NewsBot


class Companies(commands.Cog):
    """``/company``: a company's summary, built from quotes."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="company", description="What the articles say about a company, quoted.")
    @app_commands.describe(name="The company, e.g. Xiaomi")
    async def company(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 200]) -> None:
        name = " ".join(name.split())
        refusal = self.bot.rate_limit_message(interaction.user.id)
        if refusal or not name:
            await reply_private(interaction, refusal or "Give me a company name, e.g. Xiaomi.")
            return
        await defer(interaction)
        await self.bot.kb_ready.wait()
        summary = await self.bot.engine.read(self.bot.service.company_summary, name)
        embed = company_embed(summary)
        check_limits(None, [embed])
        await interaction.followup.send(embed=embed, allowed_mentions=NO_PINGS)

    @company.autocomplete("name")
    async def company_name(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.bot.choices.company(current)
