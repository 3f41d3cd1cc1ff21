"""``newsbot run``: start the Discord client and keep it running until SIGINT/SIGTERM.

Usage::

    from bot.chat.run import run_bot
    raise SystemExit(run_bot(NewsService(Settings())))   # 0 on a clean stop, 1 when Discord refuses

``NEWSBOT_DISCORD_API_BASE`` and ``NEWSBOT_DISCORD_GATEWAY`` point the client at a
Discord-compatible server (the tests' loopback double). The token is redacted from every
log line (:mod:`bot.chat.logs`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import discord
import yarl

from bot.chat.client import NewsBot, ShardedNewsBot
from bot.chat.logs import configure_logging
from bot.config import Settings
from bot.service import NewsService

log = logging.getLogger("newsbot.discord")


def point_at_discord(settings: Settings) -> None:
    """Discord-compatible servers and test doubles: discord.py reads both class attributes
    (the interaction webhooks use the same REST base)."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway)


async def serve(bot: NewsBot, token: str) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, lambda: bot.spawn(bot.close()))
    async with bot:
        await bot.start(token)


def run_bot(service: NewsService) -> int:
    """Run the bot until SIGINT/SIGTERM; 0 on a clean stop, 1 when Discord refuses it,
    2 for bad shard settings."""
    settings = service.settings
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    configure_logging(settings.log_level, [token])
    # A text-only bot: the "voice will NOT be supported" warnings are noise in its log.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    point_at_discord(settings)
    if settings.discord_api_base or settings.discord_gateway:
        log.info("using Discord at %s (gateway %s)", discord.http.Route.BASE,
                 discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        bot = (ShardedNewsBot if settings.shard_count else NewsBot)(service)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    try:
        asyncio.run(serve(bot, token))
    except discord.LoginFailure:
        log.error("Discord refused the token in DISCORD_TOKEN; copy it again from the developer portal")
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error("answer_channels needs the Message Content intent: enable it for the bot in the "
                  "developer portal, or clear answer_channels")
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        bot.engine.shutdown()
        service.close()
    log.info("stopped")
    return 0
