"""How the Discord face answers an interaction or a message: acknowledge at once, reply
privately however the interaction was acknowledged, and report failures with a reference
that joins what the user sees to the traceback in the log.

Usage::

    from bot.chat.replies import NO_PINGS, defer, reply_private, report_interaction_error
    await defer(interaction)                        # "thinking…", within Discord's 3 s
    try:
        ...
        await interaction.followup.send(embed=embed, allowed_mentions=NO_PINGS)
    except SomeProblem as exc:
        await reply_private(interaction, f"Sorry, {exc}.")   # ephemeral, whatever came before
    except Exception as exc:
        await report_interaction_error(interaction, exc)    # "…give the admin this reference: `1a2b3c4d`"

Every message goes out with ``NO_PINGS`` (``AllowedMentions.none()``): a question echoing
"@everyone" pings nobody.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Sequence

import discord

from bot.chat.render import clip, limit_problems

log = logging.getLogger("newsbot.discord")

#: Every message goes out with this; a question echoing "@everyone" pings nobody.
NO_PINGS = discord.AllowedMentions.none()


def new_reference() -> str:
    """A short id that joins what the user sees to the traceback in the log."""
    return secrets.token_hex(4)


async def defer(interaction: discord.Interaction, *, ephemeral: bool = False, update: bool = False) -> None:
    """Acknowledge now (Discord allows 3 s) and remember how, for :func:`reply_private`."""
    if update:
        await interaction.response.defer()
        interaction.extras["newsbot_defer"] = "update"
    else:
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        interaction.extras["newsbot_defer"] = "private" if ephemeral else "public"


async def reply_private(interaction: discord.Interaction, content: str) -> None:
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


async def report_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Log ``error`` with a new reference and tell the user that reference, privately."""
    ref = new_reference()
    log.error("[ref %s] %s failed", ref, describe(interaction), exc_info=error)
    if interaction.type is discord.InteractionType.autocomplete:
        return  # nothing can be shown for an autocomplete
    await reply_private(interaction, f"Sorry, something went wrong there. If it keeps happening, "
                                     f"give the server admin this reference: `{ref}`.")


async def send_notice(message: discord.Message, text: str, delete_after: float = 20.0) -> None:
    """A short reply that removes itself: a channel's nearest thing to an ephemeral message."""
    await message.reply(text, mention_author=False, allowed_mentions=NO_PINGS, delete_after=delete_after)


async def report_message_error(message: discord.Message, error: BaseException) -> None:
    """Log ``error`` with a new reference and reply with that reference (the reply removes itself)."""
    ref = new_reference()
    log.error("[ref %s] answering message %s failed", ref, message.id, exc_info=error)
    with contextlib.suppress(discord.HTTPException):
        await send_notice(message, f"Sorry, something went wrong answering that. Reference: `{ref}`.",
                          delete_after=60.0)


def describe(interaction: discord.Interaction) -> str:
    """What an interaction was, for the log: "/article add", "component newsbot:fb:up:…"."""
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
