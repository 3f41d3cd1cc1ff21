"""Loopback fake Discord for end-to-end tests of a real bot process (see server.py)."""

from .models import FakeUser, InteractionHandle, SentMessage
from .process import BotProcess
from .server import DiscordDouble

__all__ = ["BotProcess", "DiscordDouble", "FakeUser", "InteractionHandle", "SentMessage"]
