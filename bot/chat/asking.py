"""Asking: ``/ask question:``, a message that mentions the bot, a reply to one of the bot's
answers (a follow-up), and, when ``answer_channels`` is set, every message in those
channels. Channel questions are answered in a reply, or in a new thread when
``thread_mode`` is on.

Usage::

    await bot.add_cog(Asking(bot))        # NewsBot.setup_hook does this
    # then, in Discord:
    #   /ask question: Did Hyundai confirm the plant deal?
    #   @newsbot Did Hyundai confirm the plant deal?
    #   (replying to that answer) @newsbot and what did the BAIC executive say?

A follow-up is asked as "<earlier question> <follow-up>", so the engine sees the context
(simple, and good enough for "and Xiaomi?"-style follow-ups). The question goes to the
service as typed: the service cleans it, once, and raises ``QuestionError`` for an empty or
over-long one, which the user is told privately.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.render import answer_embed, clip
from bot.chat.replies import NO_PINGS, check_limits, defer, reply_private, report_message_error, send_notice
from bot.chat.votes import FeedbackButton, answer_id_of, feedback_view
from bot.engine.answer import Answer
from bot.service import QuestionError

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger("newsbot.discord")
EXAMPLE = "Did Hyundai confirm the plant deal?"


def answer_message(answer: Answer) -> dict[str, Any]:
    """The arguments of a message that carries ``answer``: its embed, 👍/👎, no pings."""
    embed = answer_embed(answer)
    check_limits(None, [embed])
    return {"embed": embed, "view": feedback_view(answer.answer_id), "allowed_mentions": NO_PINGS}


class Asking(commands.Cog):
    """Questions, by slash command or in a channel."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(FeedbackButton)  # the votes under answers, even old ones

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(FeedbackButton)

    async def answer(self, question: str) -> Answer:
        """Ask the engine (in a worker) once the knowledge base is ready; ``QuestionError``
        when the service refuses the question."""
        await self.bot.kb_ready.wait()
        answer = await self.bot.engine.read(self._ask_and_remember, question)
        log.info("answer %s in %.0f ms (verdict %s, %d quotes)", answer.answer_id,
                 answer.timings_ms.get("total", 0.0), answer.verdict, len(answer.quotes))
        return answer

    def _ask_and_remember(self, question: str) -> Answer:
        answer = self.bot.service.ask(question)
        try:  # what a vote or a follow-up needs later; a failure here must not lose the answer
            self.bot.feedback.record_answer(answer.answer_id, answer.question)
        except sqlite3.Error:
            log.warning("could not record answer %s for feedback", answer.answer_id, exc_info=True)
        return answer

    # -------------------------------------------------------------- /ask

    @app_commands.command(name="ask", description="Ask about the news; the answer quotes the articles.")
    @app_commands.describe(question=f"For example: {EXAMPLE}")
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 2000]) -> None:
        refusal = self.bot.rate_limit_message(interaction.user.id)
        if refusal:
            await reply_private(interaction, refusal)  # at once: a refusal needs no work
            return
        await defer(interaction)
        try:
            answer = await self.answer(question)
        except QuestionError as exc:
            await reply_private(interaction, f"Sorry, {exc}.")
            return
        await interaction.followup.send(**answer_message(answer))

    # -------------------------------------------------------------- channel messages

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if self.bot.user is None or message.author.bot:
            return
        try:
            question = await self.question_in(message)
            if question is not None:
                await self.answer_in_channel(message, question)
        except Exception as exc:
            await report_message_error(message, exc)

    async def question_in(self, message: discord.Message) -> str | None:
        """The question a message asks the bot (its text without the mention), or None when
        it is not for the bot. A reply to one of the bot's answers is a follow-up, asked
        together with the earlier question."""
        assert self.bot.user is not None
        mentioned = any(user.id == self.bot.user.id for user in message.mentions)
        channel_ids = {message.channel.id, getattr(message.channel, "parent_id", None)}
        in_answer_channel = bool(channel_ids & set(self.bot.settings.answer_channels))
        # Fetching a replied-to message costs a REST call: only for messages that are for
        # the bot anyway. A reply that pings the bot mentions it, so follow-ups qualify.
        earlier = await self.earlier_question(message, fetch=mentioned or in_answer_channel)
        if not (mentioned or in_answer_channel or earlier is not None):
            return None
        text = re.sub(rf"<@!?{self.bot.user.id}>", " ", message.content).strip()
        if earlier and text:
            room = self.bot.settings.max_question_chars - len(text) - 1
            if room > 0:
                # The earlier question's end carries most of its subject, so trim its start.
                return f"{earlier[-room:].lstrip()} {text}"
        return text

    async def earlier_question(self, message: discord.Message, *, fetch: bool = True) -> str | None:
        """When ``message`` replies to one of the bot's answers: that answer's question."""
        reference = message.reference
        if reference is None or reference.message_id is None or self.bot.user is None:
            return None
        replied = reference.resolved
        if replied is None and fetch:
            with contextlib.suppress(discord.HTTPException):
                replied = await message.channel.fetch_message(reference.message_id)
        if not isinstance(replied, discord.Message) or replied.author.id != self.bot.user.id:
            return None
        answer_id = answer_id_of(replied)
        if answer_id is None:
            return None
        question = await asyncio.to_thread(self.bot.feedback.question_for, answer_id)
        if question is None and replied.embeds and replied.embeds[0].title:
            question = replied.embeds[0].title.replace("\\", "")  # the (escaped) question echo
        return question

    async def answer_in_channel(self, message: discord.Message, question: str) -> None:
        refusal = self.bot.rate_limit_message(message.author.id)
        if refusal:
            await send_notice(message, refusal)
            return
        try:
            async with message.channel.typing():
                answer = await self.answer(question)
        except QuestionError as exc:
            await send_notice(message, self.hint(question, exc))
            return
        thread = await self.open_thread(message, answer.question)
        if thread is not None:
            await thread.send(**answer_message(answer))
        else:
            await message.reply(mention_author=False, **answer_message(answer))

    def hint(self, question: str, error: QuestionError) -> str:
        """What to say about a question the service refused: an example when there was none."""
        if question.strip():
            return f"Sorry, {error}."
        name = self.bot.user.display_name if self.bot.user else "newsbot"
        return f"Ask me about the news, for example: @{name} {EXAMPLE}"

    async def open_thread(self, message: discord.Message, question: str) -> discord.Thread | None:
        """A new thread on ``message`` for the answer, when ``thread_mode`` is on and it can."""
        if not (self.bot.settings.thread_mode and isinstance(message.channel, discord.TextChannel)):
            return None
        try:
            return await message.create_thread(name=clip(question, 100), auto_archive_duration=1440)
        except discord.HTTPException as exc:  # e.g. no Create Public Threads permission here
            log.warning("could not open a thread in #%s, replying in place: %s", message.channel, exc)
            return None
