"""Fixtures for the Discord face's tests with simcord: discord.py's real parsers, command
tree, checks and interaction code against an in-memory Discord, and the real engine over a
private copy of the seeded test knowledge base (the model is shared with the session).

Parametrize ``bot_settings`` indirectly to change the settings for one test::

    @pytest.mark.parametrize("bot_settings", [{"thread_mode": True}], indirect=True)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import simcord

from bot.chat.client import NewsBot
from bot.service import NewsService
from tests.bot.chat.simcord_server import Server
from tests.conftest import settings_for


@pytest.fixture
def bot_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings overrides; parametrize indirectly to change them for one test."""
    return getattr(request, "param", {})


@pytest.fixture
def news_service(seeded_dir, embedder, bot_settings) -> Iterator[NewsService]:
    service = NewsService(settings_for(seeded_dir, **bot_settings), embedder=embedder)
    yield service
    service.close()


@pytest.fixture
def simcord_bot(news_service: NewsService) -> Iterator[NewsBot]:
    bot = NewsBot(news_service, warm_up=False)
    yield bot
    bot.engine.shutdown()


@pytest.fixture
def server(simcord_env: simcord.Env) -> Server:
    return Server(simcord_env)
