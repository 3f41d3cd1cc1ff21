"""A tiny discord.py bot used only to self-test the Discord double (it is not newsbot).

Run: ``DISCORD_TOKEN=... NEWSBOT_DISCORD_API_BASE=http://127.0.0.1:PORT/api/v10
NEWSBOT_DISCORD_GATEWAY=ws://127.0.0.1:PORT/gateway python sample_bot.py``

- a mention gets a "pong" reply (``latency`` in the text: the gateway latency instead);
- ``/echo text:`` defers with thinking, then follows up with ``echo: <text>``; ``text``
  autocompletes from a fixed list;
- ``/upload file:`` defers ephemerally, reads the attachment and reports its size;
- ``/vote`` answers with a button; clicking it edits the message to ``votes: N``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import discord
import yarl
from discord import app_commands


def point_at_double() -> None:
    """The two class attributes that redirect discord.py's REST and gateway traffic."""
    api = os.environ.get("NEWSBOT_DISCORD_API_BASE")
    gateway = os.environ.get("NEWSBOT_DISCORD_GATEWAY")
    if api:
        discord.http.Route.BASE = api.rstrip("/")
    if gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


class VoteView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.votes = 0

    @discord.ui.button(label="Agree", custom_id="vote:agree", style=discord.ButtonStyle.green)
    async def agree(self, interaction: discord.Interaction, button: discord.ui.Button[VoteView]):
        self.votes += 1
        await interaction.response.edit_message(content=f"votes: {self.votes}", view=self)


class SampleBot(discord.Client):
    def __init__(self) -> None:
        super().__init__(
            intents=discord.Intents.default(),  # no message_content: mentions still carry text
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.05,
        )
        self.tree = app_commands.CommandTree(self)
        self._register()

    def _register(self) -> None:
        words = ["hello", "help", "world"]

        @self.tree.command(description="Echo text back")
        async def echo(interaction: discord.Interaction, text: str) -> None:
            await interaction.response.defer(thinking=True)
            await asyncio.sleep(0.05)
            await interaction.followup.send(f"echo: {text}")

        @echo.autocomplete("text")
        async def echo_text(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=w, value=w) for w in words if w.startswith(current)]

        @self.tree.command(description="Report the size of an uploaded file")
        async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            data = await file.read()
            await interaction.followup.send(f"{file.filename}: {len(data)} bytes", ephemeral=True)

        @self.tree.command(description="Start a vote")
        async def vote(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("votes: 0", view=VoteView())

    async def setup_hook(self) -> None:
        synced = await self.tree.sync()
        logging.info("synced %s", [c.name for c in synced])

    async def on_ready(self) -> None:
        logging.info("READY as %s in %s", self.user, [g.name for g in self.guilds])

    async def on_message(self, message: discord.Message) -> None:
        if self.user is None or message.author.id == self.user.id:
            return
        if self.user in message.mentions:
            text = f"latency {self.latency:.4f}" if "latency" in message.content else "pong"
            await message.reply(text)


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
    point_at_double()
    SampleBot().run(os.environ["DISCORD_TOKEN"], log_handler=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
