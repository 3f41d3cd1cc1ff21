"""Plain data types shared by the Discord double: users, records and handles."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADD_REACTIONS = 1 << 6
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
#: What the API reports for a member with ADMINISTRATOR: every permission bit set.
ALL_PERMISSIONS = (1 << 51) - 1
#: Roughly Discord's default @everyone permissions in a new server.
DEFAULT_EVERYONE_PERMISSIONS = (
    ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)

# Gateway intents the double honours.
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_MESSAGE_CONTENT = 1 << 15

EPHEMERAL = 1 << 6
LOADING = 1 << 7


class Snowflakes:
    """Thread-safe generator of increasing, realistic Discord snowflakes (as strings)."""

    def __init__(self) -> None:
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self) -> str:
        with self._lock:
            value = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (
                next(self._counter) & 0xFFF
            )
            value = max(value, self._last + 1)
            self._last = value
            return str(value)


@dataclass
class FakeUser:
    """A guild member known to the double. ``id`` is a snowflake string."""

    id: str
    username: str
    bot: bool = False
    admin: bool = False
    role_ids: list[str] = field(default_factory=list)

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass
class InteractionHandle:
    """What ``invoke_*`` returns: enough to find the bot's answers to one interaction."""

    id: str
    token: str
    type: int
    name: str
    channel_id: str
    user_id: str
    dispatched_at: float  # time.time() when INTERACTION_CREATE was sent


@dataclass
class SentMessage:
    """One thing the bot did over REST that a test may assert on.

    ``kind`` is one of: ``message`` (POST channel message), ``edit``, ``delete``,
    ``callback`` (interaction response; see ``callback_type``), ``followup``,
    ``edit_original``, ``edit_followup``, ``delete_original``, ``reaction``, ``typing``,
    ``thread``. ``flags`` are the effective flags of the resulting message (a followup that
    completes a deferred response keeps the defer's ephemerality, as on Discord).
    ``pings`` lists the user ids, role ids and ``"everyone"`` that would be notified.
    """

    seq: int
    kind: str
    method: str
    path: str
    timestamp: float
    channel_id: str | None = None
    interaction_id: str | None = None
    message_id: str | None = None
    content: str | None = None
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    allowed_mentions: dict[str, Any] | None = None
    flags: int = 0
    message_reference: dict[str, Any] | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    callback_type: int | None = None
    choices: list[dict[str, Any]] | None = None
    pings: list[str] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def has_body(self) -> bool:
        """True when this record carries user-visible message content."""
        return bool(self.content or self.embeds or self.files or self.components)

    @property
    def text(self) -> str:
        """Content plus embed titles, descriptions and fields, for simple text asserts."""
        parts = [self.content or ""]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            for fld in embed.get("fields", []):
                parts += [fld.get("name", ""), fld.get("value", "")]
            parts.append(embed.get("footer", {}).get("text", ""))
        return "\n".join(p for p in parts if p)
