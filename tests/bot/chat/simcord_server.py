"""What the Discord face's simcord tests share: a guild with a member and an admin, and
checks on every request the bot made.

Usage::

    from tests.bot.chat.simcord_server import QUESTION, Server, assert_nothing_could_ping, embed_text
    result = await server.alice.slash(server.channel, "ask", question=QUESTION)
    assert "groundless" in embed_text(result.response)
    assert_nothing_could_ping(server.env)
"""

from __future__ import annotations

from typing import Any

import discord
import simcord

from bot.chat.render import limit_problems

QUESTION = "Did Hyundai confirm the plant deal?"
#: Fetching may reach the loopback news site (tests.fixtures.news_site) and nothing else.
INTAKE = {"fetch_allow_hosts": ["127.0.0.1"], "fetch_timeout": 2.0, "fetch_max_bytes": 200_000}


class Server:
    """A guild with a #general channel, a member (alice) and an admin (ada)."""

    def __init__(self, env: simcord.Env) -> None:
        self.env = env
        self.guild = env.create_guild("Newsroom")
        self.channel = self.guild.create_text_channel("general")
        self.admin_role = self.guild.create_role("Admin", permissions=discord.Permissions(administrator=True))
        self.alice = self.guild.add_member(env.create_user("alice"))
        self.ada = self.guild.add_member(env.create_user("ada"), roles=[self.admin_role])

    async def command_id(self, name: str) -> int:
        commands = await self.env.bot.tree.fetch_commands()
        return next(c.id for c in commands if c.name == name)

    async def show_to_alice(self, *names: str) -> None:
        """What a server admin may do: show admin commands to alice despite the hint."""
        for name in names:
            self.guild.set_command_permissions(await self.command_id(name), {self.alice: True})


def embed_text(message: Any) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{f.name}\n{f.value}" for f in embed.fields]
        parts.append(embed.footer.text or "")
    return "\n".join(parts)


def custom_ids(message: Any) -> list[str]:
    ids = []
    for row in message.components:
        for child in row.get("components", []) if isinstance(row, dict) else row.children:
            cid = child.get("custom_id") if isinstance(child, dict) else child.custom_id
            if cid:
                ids.append(cid)
    return ids


def message_bodies(env: simcord.Env, start: int = 0) -> list[dict[str, Any]]:
    """The body of every request since ``start`` that carries a message (content or embeds)."""
    bodies = []
    for entry in env.http_requests[start:]:
        body = entry.json if isinstance(entry.json, dict) else {}
        body = body.get("data", body) if "/callback" in entry.path else body
        if any(k in body for k in ("content", "embeds")):
            bodies.append(body)
    return bodies


def assert_nothing_could_ping(env: simcord.Env) -> None:
    """Every request that carries a message body says "ping nobody"."""
    bodies = message_bodies(env)
    assert bodies, "the bot sent no message"
    for body in bodies:
        mentions = body.get("allowed_mentions")
        assert mentions is not None, f"{body} has no allowed_mentions"
        assert mentions.get("parse") == [] and not mentions.get("users") and not mentions.get("roles"), mentions
        assert not mentions.get("replied_user"), mentions


def assert_within_limits(env: simcord.Env) -> None:
    bodies = message_bodies(env)
    assert bodies, "the bot sent no message"
    for body in bodies:
        assert limit_problems(body.get("content"), body.get("embeds") or []) == [], body


def requests_since(env: simcord.Env, start: int) -> list[simcord.HttpLogEntry]:
    return env.http_requests[start:]
