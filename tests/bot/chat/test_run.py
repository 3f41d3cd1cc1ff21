"""Running (bot/chat/run.py): pointing discord.py at a Discord-compatible server. The whole
`newsbot run` is tested end to end in tests/e2e."""

from __future__ import annotations

import discord
import pytest

from bot.chat.run import point_at_discord
from tests.conftest import settings_for


def test_point_at_discord_sets_the_two_class_attributes(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    point_at_discord(settings_for(tmp_path, discord_api_base="http://127.0.0.1:9/api/v10/",
                                  discord_gateway="ws://127.0.0.1:9/gateway"))
    assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9/gateway"
