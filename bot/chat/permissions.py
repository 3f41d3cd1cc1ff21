"""Admin-only commands, checked on every call: the invoker needs Administrator or Manage
Server in the channel, or the configured ``admin_role`` (by name or id).
``default_permissions`` is only the hint that hides the commands from others in Discord's
UI, and any server admin can override it.

Usage::

    from bot.chat.permissions import admin_group, admin_only

    class ArticleAdmin(commands.Cog):
        article = admin_group("article", "Add or remove articles (server admins).")

        @article.command(name="remove", description="Remove an article by its id.")
        @admin_only()               # refuses others with AdminOnly("Sorry, /article remove is only for …")
        async def remove(self, interaction: discord.Interaction, id: str) -> None: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

T = TypeVar("T")


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
    ``default_permissions`` hint)."""

    async def predicate(interaction: discord.Interaction) -> bool:
        role = interaction.client.settings.admin_role  # type: ignore[attr-defined]  # a NewsBot
        if is_admin(interaction, role):
            return True
        who = "server admins" + (f" and members with the {role} role" if role else "")
        name = interaction.command.qualified_name if interaction.command else "this command"
        raise AdminOnly(f"Sorry, /{name} is only for {who}.")

    return app_commands.check(predicate)


def admin_group(name: str, description: str) -> app_commands.Group:
    """A command group for servers only, hidden from members without Administrator."""
    return app_commands.Group(name=name, description=description, guild_only=True,
                              allowed_contexts=app_commands.AppCommandContext(guild=True),
                              default_permissions=discord.Permissions(administrator=True))
