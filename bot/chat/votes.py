"""The 👍/👎 buttons under every answer. The custom id carries the vote and the answer id
(``newsbot:fb:up:<answer id>``), so a click is understood even after a restart; votes go
to :class:`bot.chat.feedback.FeedbackStore`.

Usage::

    from bot.chat.votes import FeedbackButton, answer_id_of, feedback_view
    bot.add_dynamic_items(FeedbackButton)                  # once, at start-up
    await channel.send(embed=embed, view=feedback_view(answer.answer_id))
    answer_id_of(message)                                  # the answer id again, or None
"""

from __future__ import annotations

import asyncio
import re

import discord

from bot.chat.replies import NO_PINGS, defer, report_interaction_error

FEEDBACK_ID = re.compile(r"newsbot:fb:(?P<vote>up|down):(?P<answer_id>[0-9A-Za-z_-]{1,64})")


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button], template=FEEDBACK_ID):
    """👍 or 👎 under an answer (registered with ``add_dynamic_items``)."""

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
        store = interaction.client.feedback  # type: ignore[attr-defined]  # a NewsBot
        try:
            await defer(interaction, ephemeral=True)
            result = await asyncio.to_thread(store.record_vote, self.answer_id, interaction.user.id, self.vote)
            emoji = "👍" if result.vote == "up" else "👎"
            text = f"Thanks, your {emoji} is recorded." if result.changed else f"You already voted {emoji}."
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
        except Exception as exc:
            await report_interaction_error(interaction, exc)


def feedback_view(answer_id: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(FeedbackButton("up", answer_id))
    view.add_item(FeedbackButton("down", answer_id))
    return view


def answer_id_of(message: discord.Message) -> str | None:
    """The answer id in a bot answer's 👍/👎 buttons, or None for any other message."""
    for row in message.components:
        for child in getattr(row, "children", []):
            match = FEEDBACK_ID.fullmatch(getattr(child, "custom_id", None) or "")
            if match:
                return match["answer_id"]
    return None
