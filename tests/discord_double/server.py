"""A loopback fake Discord (REST + gateway) that a real discord.py process can connect to.

The double runs an aiohttp server on 127.0.0.1 in its own thread and event loop, so a plain
synchronous pytest test can drive it while the bot under test runs as a separate process.
The bot only has to point discord.py at it before logging in::

    discord.http.Route.BASE = os.environ["NEWSBOT_DISCORD_API_BASE"]
    gateway = yarl.URL(os.environ["NEWSBOT_DISCORD_GATEWAY"])
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway

Usage in a test::

    with DiscordDouble(heartbeat_interval_ms=500) as double:
        alice = double.add_member("alice")
        newsbot = str(Path(sys.executable).with_name("newsbot"))
        proc = BotProcess([newsbot, "run"], env=double.bot_env()).start()  # DISCORD_TOKEN too
        double.watch(proc)                        # a dead bot fails waits at once
        double.wait_until_connected(timeout=60)
        mid = double.send_message(double.channel_id("general"), alice, "hi", mentions_bot=True)
        reply = double.wait_for_reply(mid)        # -> SentMessage
        assert reply.allowed_mentions == {"parse": []} and not reply.pings
        h = double.invoke_slash("ask", {"question": "..."}, alice)
        answer = double.wait_for_reply(h, timeout=20)
        assert double.interaction_ack_time(h.id) < 3
        proc.stop()                               # on failure: proc.log_text()

What Discord enforces and the double copies: the 3 s acknowledgement deadline (404 10062),
one initial response per interaction (400 40060), content/embed limits (400 50035), empty
messages (400 50006), the MESSAGE_CONTENT intent, the first followup after a deferral
completing the loading message (keeping the defer's ephemerality), attachment size limit,
bot token on REST and IDENTIFY. Every non-2xx answer is kept in ``errors``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import mimetypes
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from aiohttp import BodyPartReader, WSMsgType, web

from .models import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    EPHEMERAL,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_MESSAGE_CONTENT,
    LOADING,
    FakeUser,
    InteractionHandle,
    SentMessage,
    Snowflakes,
)
from .payloads import (
    USER_MENTION,
    Json,
    attachment_json,
    compute_pings,
    iso_now,
    member_json,
    message_json,
    role_json,
    text_channel_json,
    thread_json,
    user_json,
    validate_message,
)

log = logging.getLogger("discord_double")
T = TypeVar("T")
DEFAULT_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.double.fake-bot-token"
INTENT_GUILD_PRESENCES = 1 << 8


class ApiError(Exception):
    """Raised by a route handler; becomes Discord's JSON error body."""

    def __init__(self, status: int, code: int, message: str, errors: Json | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


@dataclass
class _Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    payload: Any  # a JSON object, or a list for bulk command overwrites
    files: list[tuple[str, bytes]]


@dataclass
class _Session:
    ws: web.WebSocketResponse
    seq: int = 0
    session_id: str = ""
    intents: int = 0


@dataclass
class _Interaction:
    handle: InteractionHandle
    dispatched: float  # monotonic
    message_id: str | None = None  # the message a component was clicked on
    first_callback: float | None = None
    response_type: int | None = None
    original_id: str | None = None
    loading: bool = False
    followups: set[str] = field(default_factory=set)


Handler = Callable[[_Request], Awaitable[Any]]


def _json_response(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py's json_or_text() ignores "...; charset=utf-8".
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def _str_ids(ref: Json | None) -> Json | None:
    """discord.py sends snowflakes in message_reference as ints; records hold strings."""
    if not ref:
        return None
    return {k: str(v) if k.endswith("_id") and v is not None else v for k, v in ref.items()}


class _Pollable(Protocol):
    def poll(self) -> int | None: ...


class DiscordDouble:
    """Fake Discord for end-to-end tests. All public methods are called from the test thread."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        heartbeat_interval_ms: int = 1000,
        interaction_deadline: float | None = 3.0,
        attachment_size_limit: int = 10 * 1024 * 1024,
        guild_name: str = "Newsroom",
        channel_names: tuple[str, ...] = ("general", "news"),
        echo_bot_messages: bool = True,
        host: str = "127.0.0.1",
        guild_shard: tuple[int, int] | None = None,
    ) -> None:
        """``guild_shard=(shard_id, shard_count)`` gives the guild an id that Discord's rule
        ((guild_id >> 22) % shard_count) places on that shard, for sharded clients."""
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_deadline = interaction_deadline
        self.attachment_size_limit = attachment_size_limit
        self.echo_bot_messages = echo_bot_messages
        self.host = host
        self._ids = Snowflakes()
        self.application_id = self._ids()
        self.guild_id = self._ids()
        if guild_shard is not None:
            shard_id, shard_count = guild_shard
            stamp = int(self.guild_id) >> 22
            stamp += (shard_id - stamp) % shard_count
            self.guild_id = str((stamp << 22) | (int(self.guild_id) & 0x3FFFFF))
        self.guild_name = guild_name
        self.bot_user = FakeUser(self.application_id, "newsbot", bot=True)
        self._roles: dict[str, Json] = {}
        self._add_role(self.guild_id, "@everyone", DEFAULT_EVERYONE_PERMISSIONS)
        self.admin_role_id = self._add_role(self._ids(), "Admin", ADMINISTRATOR)
        self.bot_user.role_ids.append(
            self._add_role(self._ids(), "newsbot", DEFAULT_EVERYONE_PERMISSIONS)
        )
        self._users: dict[str, FakeUser] = {self.bot_user.id: self.bot_user}
        self.owner = self._new_member("owner", admin=True, permissions=None)
        self._channels: dict[str, Json] = {}
        for name in channel_names:
            self._new_channel(name)
        self._messages: dict[str, Json] = {}
        self._files: dict[str, tuple[str, bytes, str]] = {}
        self._changed_at: dict[str, float] = {}  # bot message id -> monotonic time of last write
        self._interactions: dict[str, _Interaction] = {}
        self._global_commands: list[Json] | None = None
        self._guild_commands: dict[str, list[Json]] = {}
        self._records: list[SentMessage] = []
        self._heartbeats: list[float] = []
        self._cond = threading.Condition()
        self.errors: list[tuple[str, int, Json]] = []  # (route, status, body) of non-2xx answers
        self.unknown_routes: list[str] = []
        self.identify_payloads: list[Json] = []
        self.presence_updates: list[Json] = []
        self.heartbeat_acks = 0
        self._session: _Session | None = None  # the session of the shard that holds the guild
        self.shard_sessions: dict[int, _Session] = {}  # shard id -> its live session (sharded clients)
        self.recommended_shards = 1  # what GET /gateway/bot recommends
        self._resumable: _Session | None = None  # the last session, for op 6 RESUME
        self._connected = threading.Event()
        self._watched: list[_Pollable] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self.port = 0
        self._routes = self._route_table()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> DiscordDouble:
        started = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._startup())
            except BaseException as exc:  # surfaced to start()
                failure.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="discord-double", daemon=True)
        self._thread.start()
        started.wait(10)
        if failure:
            raise RuntimeError("Discord double failed to start") from failure[0]
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = None

    def __enter__(self) -> DiscordDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _startup(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{filename}", self._serve_file)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def _shutdown(self) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=1001, message=b"double stopping"), 2)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    def bot_env(self) -> dict[str, str]:
        """The environment variables a bot process needs to use this double."""
        return {
            "DISCORD_TOKEN": self.token,
            "NEWSBOT_DISCORD_API_BASE": self.api_base,
            "NEWSBOT_DISCORD_GATEWAY": self.gateway_url,
        }

    def watch(self, process: _Pollable) -> None:
        """Make every wait fail at once if ``process`` (a BotProcess or Popen) exits."""
        self._watched.append(process)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            return asyncio.run(coro)  # not started: no gateway session, nothing to dispatch
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    # ------------------------------------------------------------------ guild model
    def _add_role(self, role_id: str, name: str, permissions: int) -> str:
        self._roles[role_id] = role_json(role_id, name, permissions, len(self._roles))
        return role_id

    def _new_member(self, username: str, *, admin: bool, permissions: int | None) -> FakeUser:
        user = FakeUser(self._ids(), username, admin=admin)
        if admin:
            user.role_ids.append(self.admin_role_id)
        if permissions is not None:
            user.role_ids.append(self._add_role(self._ids(), f"{username}-role", permissions))
        self._users[user.id] = user
        return user

    def _new_channel(self, name: str) -> Json:
        channel = text_channel_json(self._ids(), self.guild_id, name, len(self._channels))
        self._channels[channel["id"]] = channel
        return channel

    def add_member(
        self, username: str, *, admin: bool = False, permissions: int | None = None
    ) -> FakeUser:
        """Add a guild member. ``admin`` grants the ADMINISTRATOR role; ``permissions`` adds
        a personal role with those bits. Dispatches GUILD_MEMBER_ADD if the bot is connected."""

        async def go() -> FakeUser:
            user = self._new_member(username, admin=admin, permissions=permissions)
            if permissions is not None:
                role = self._roles[user.role_ids[-1]]
                await self._dispatch("GUILD_ROLE_CREATE", {"guild_id": self.guild_id, "role": role})
            member = {**member_json(user), "guild_id": self.guild_id}
            await self._dispatch("GUILD_MEMBER_ADD", member, intent=INTENT_GUILD_MEMBERS)
            return user

        return self._call(go())

    def add_channel(self, name: str) -> str:
        async def go() -> str:
            channel = self._new_channel(name)
            await self._dispatch("CHANNEL_CREATE", channel)
            return str(channel["id"])

        return self._call(go())

    def channel_id(self, name: str = "general") -> str:
        for channel in self._channels.values():
            if channel.get("name") == name:
                return str(channel["id"])
        raise KeyError(f"no channel named {name!r}")

    def member(self, username: str) -> FakeUser:
        return next(u for u in self._users.values() if u.username == username)

    def permissions_of(self, user: FakeUser) -> int:
        perms = int(self._roles[self.guild_id]["permissions"])
        for role_id in user.role_ids:
            perms |= int(self._roles[role_id]["permissions"])
        return ALL_PERMISSIONS if perms & ADMINISTRATOR or user is self.owner else perms

    def message(self, message_id: str) -> Json:
        """The stored message object (user- or bot-authored)."""
        return self._messages[str(message_id)]

    def _user(self, ref: FakeUser | str) -> FakeUser:
        return ref if isinstance(ref, FakeUser) else self._users[str(ref)]

    def _guild_json(self, *, all_members: bool) -> Json:
        members = [u for u in self._users.values() if all_members or u is self.bot_user]
        return {
            "id": self.guild_id,
            "name": self.guild_name,
            "icon": None,
            "owner_id": self.owner.id,
            "member_count": len(self._users),
            "large": False,
            "unavailable": False,
            "joined_at": iso_now(),
            "roles": list(self._roles.values()),
            "channels": [c for c in self._channels.values() if c["type"] in (0, 2, 4, 5, 15)],
            "threads": [c for c in self._channels.values() if c["type"] in (10, 11, 12)],
            "members": [member_json(u) for u in members],
            "presences": [],
            "voice_states": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "afk_timeout": 300,
            "system_channel_id": next(iter(self._channels), None),
        }

    # ------------------------------------------------------------------ gateway
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        session = _Session(ws)
        hello = {"heartbeat_interval": self.heartbeat_interval_ms}
        await ws.send_str(json.dumps({"op": 10, "d": hello, "s": None, "t": None}))
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._gateway_op(session, json.loads(msg.data))
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            self._sockets.discard(ws)
            if self._session is session:
                self._session, self._resumable = None, session
                self._connected.clear()
        return ws

    async def _send_op(self, session: _Session, op: int, d: Any) -> None:
        await session.ws.send_str(json.dumps({"op": op, "d": d, "s": None, "t": None}))

    async def _gateway_op(self, session: _Session, msg: Json) -> None:
        op, d = msg.get("op"), msg.get("d")
        if op == 1:
            with self._cond:
                self._heartbeats.append(time.time())
                self._cond.notify_all()
            await self._send_op(session, 11, None)
            self.heartbeat_acks += 1
        elif op == 2:
            await self._identify(session, d)
        elif op == 6:
            old = self._session or self._resumable
            if old is not None and old.session_id == d.get("session_id") and old is not session:
                session.seq, session.session_id, session.intents = (
                    old.seq,
                    old.session_id,
                    old.intents,
                )
                self._session = session
                await self._dispatch("RESUMED", {})
                self._connected.set()
            else:
                await self._send_op(session, 9, False)
        elif op == 3:
            self.presence_updates.append(d)
        elif op == 8:
            wanted = {str(u) for u in d.get("user_ids") or []}
            query = (d.get("query") or "").lower()

            def wanted_member(user: FakeUser) -> bool:
                return user.id in wanted if wanted else user.username.lower().startswith(query)

            members = [member_json(u) for u in self._users.values() if wanted_member(u)]
            chunk = {"guild_id": self.guild_id, "members": members, "chunk_index": 0}
            chunk.update(chunk_count=1, not_found=[], nonce=d.get("nonce"))
            await self._dispatch("GUILD_MEMBERS_CHUNK", chunk)
        else:
            log.warning("gateway op %s not handled: %s", op, msg)

    async def _identify(self, session: _Session, d: Json) -> None:
        self.identify_payloads.append(d)
        if d.get("token") != self.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        session.session_id = secrets.token_hex(16)
        session.intents = int(d.get("intents", 0))
        shard = d.get("shard")
        if shard is not None:
            shard_id, shard_count = int(shard[0]), int(shard[1])
            if not 0 <= shard_id < shard_count:
                await session.ws.close(code=4010, message=b"Invalid shard.")
                return
            self.shard_sessions[shard_id] = session
            # Discord's rule: a guild lives on shard (guild_id >> 22) % shard_count.
            holds_guild = (int(self.guild_id) >> 22) % shard_count == shard_id
        else:
            holds_guild = True
        if holds_guild:
            self._session = session
        ready: Json = {
            "v": 10,
            "user": {**user_json(self.bot_user), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": self.guild_id, "unavailable": True}] if holds_guild else [],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
        }
        if "shard" in d:
            ready["shard"] = d["shard"]
        if not holds_guild:  # a shard without the guild: READY, and nothing dispatched to it
            session.seq += 1
            await session.ws.send_str(json.dumps({"op": 0, "t": "READY", "s": session.seq, "d": ready}))
            return
        await self._dispatch("READY", ready)
        # Without the presences intent Discord only sends the bot's own member here.
        guild = self._guild_json(all_members=bool(session.intents & INTENT_GUILD_PRESENCES))
        await self._dispatch("GUILD_CREATE", guild)
        self._connected.set()
        with self._cond:
            self._cond.notify_all()

    async def _dispatch(self, event: str, data: Json, *, intent: int = 0) -> bool:
        session = self._session
        if session is None or session.ws.closed:
            return False
        if intent and not session.intents & intent:
            return False
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        await session.ws.send_str(json.dumps(frame))
        return True

    def _require_session(self) -> _Session:
        if self._session is None:
            raise RuntimeError("no bot is connected to the double's gateway yet")
        return self._session

    # ------------------------------------------------------------------ events from users
    def send_message(
        self,
        channel_id: str,
        author: FakeUser,
        content: str,
        mentions_bot: bool = False,
        reference_message_id: str | None = None,
        *,
        attachments: list[tuple[str, bytes]] | None = None,
    ) -> str:
        """Post a user message (MESSAGE_CREATE); returns its id. ``mentions_bot`` prefixes
        ``<@bot>`` unless the content has it, or, for a reply, pings the replied-to author."""

        async def go() -> str:
            session = self._require_session()
            ref = referenced = None
            if reference_message_id is not None:
                referenced = self._messages.get(str(reference_message_id))
                ref = {"message_id": str(reference_message_id), "channel_id": channel_id}
                ref["guild_id"] = self.guild_id
            reply_to_bot = (referenced or {}).get("author", {}).get("id") == self.bot_user.id
            text, bot_tag = content, self.bot_user.mention
            if mentions_bot and not reply_to_bot and bot_tag not in text:
                text = f"{bot_tag} {text}"
            ids = list(dict.fromkeys(USER_MENTION.findall(text)))
            if mentions_bot and self.bot_user.id not in ids:
                ids.append(self.bot_user.id)  # a reply that pings the bot
            mentioned = [self._users[u] for u in ids if u in self._users]
            msg = message_json(
                message_id=self._ids(),
                channel_id=channel_id,
                guild_id=self._channels[channel_id].get("guild_id"),
                author=author,
                content=text,
                mentions=mentioned,
                attachments=self._store_files(attachments or []),
                reference=ref,
                referenced_message=referenced,
            )
            self._messages[msg["id"]] = msg
            self._channels[channel_id]["last_message_id"] = msg["id"]
            visible = msg
            if not session.intents & INTENT_MESSAGE_CONTENT and self.bot_user not in mentioned:
                visible = {**msg, "content": "", "embeds": [], "attachments": [], "components": []}
            await self._dispatch("MESSAGE_CREATE", visible, intent=INTENT_GUILD_MESSAGES)
            return str(msg["id"])

        return self._call(go())

    def _find_command(self, name: str) -> tuple[Json, bool]:
        for cmd in self._guild_commands.get(self.guild_id, []):
            if cmd["name"] == name:
                return cmd, True
        for cmd in self._global_commands or []:
            if cmd["name"] == name:
                return cmd, False
        synced = [c["name"] for c in self._guild_commands.get(self.guild_id, [])]
        synced += [c["name"] for c in self._global_commands or []]
        raise LookupError(f"/{name} was never synced; synced commands: {synced}")

    def _command_options(
        self, name: str, user: FakeUser, subcommand: str | None, check_permissions: bool
    ) -> tuple[Json, bool, list[Json]]:
        cmd, is_guild = self._find_command(name)
        if 0 not in (cmd.get("contexts") or [0]):
            raise PermissionError(f"/{name} is not offered in servers (contexts={cmd['contexts']})")
        required = cmd.get("default_member_permissions")
        if check_permissions and required is not None:
            need, have = int(required), self.permissions_of(user)
            if (need == 0 and have != ALL_PERMISSIONS) or have & need != need:
                raise PermissionError(f"/{name} is hidden from {user.username} (needs {need})")
        schema = cmd.get("options") or []
        for part in (subcommand or "").split():
            sub = next((o for o in schema if o["name"] == part and o["type"] in (1, 2)), None)
            if sub is None:
                raise LookupError(f"/{name} has no subcommand {part!r}")
            schema = sub.get("options") or []
        return cmd, is_guild, schema

    def _build_option(self, spec: Json, value: Any, resolved: Json, focused: bool) -> Json:
        kind, name = spec["type"], spec["name"]
        if focused:
            return {"name": name, "type": kind, "value": str(value), "focused": True}
        if kind == 11:
            filename, blob = value
            att = self._store_files([(filename, blob)])[0]
            resolved.setdefault("attachments", {})[att["id"]] = {**att, "ephemeral": True}
            value = att["id"]
        elif kind in (6, 9):
            user = self._user(value)
            resolved.setdefault("users", {})[user.id] = user_json(user)
            member = {**member_json(user, with_user=False)}
            member["permissions"] = str(self.permissions_of(user))
            resolved.setdefault("members", {})[user.id] = member
            value = user.id
        elif kind == 7:
            channel = self._channels[str(value)]
            perms = str(self.permissions_of(self.bot_user))
            resolved.setdefault("channels", {})[channel["id"]] = {**channel, "permissions": perms}
            value = channel["id"]
        elif kind == 8:
            resolved.setdefault("roles", {})[str(value)] = self._roles[str(value)]
            value = str(value)
        else:
            expected = {3: str, 4: int, 5: bool, 10: (int, float)}[kind]
            if not isinstance(value, expected) or (kind in (4, 10) and isinstance(value, bool)):
                raise TypeError(f"option {name!r} expects {expected}, got {value!r}")
            choices = [c["value"] for c in spec.get("choices") or []]
            if choices and value not in choices:
                raise ValueError(f"option {name!r} must be one of {choices}")
        return {"name": name, "type": kind, "value": value}

    def _slash_data(
        self,
        name: str,
        options: dict[str, Any] | None,
        user: FakeUser,
        subcommand: str | None,
        focused: str | None,
        check_permissions: bool,
    ) -> Json:
        cmd, is_guild, schema = self._command_options(name, user, subcommand, check_permissions)
        by_name = {o["name"]: o for o in schema}
        resolved: Json = {}
        built = []
        for opt_name, value in (options or {}).items():
            if opt_name not in by_name:
                raise LookupError(f"/{name} has no option {opt_name!r}; has {list(by_name)}")
            built.append(
                self._build_option(by_name[opt_name], value, resolved, opt_name == focused)
            )
        missing = [
            o["name"] for o in schema if o.get("required") and o["name"] not in (options or {})
        ]
        if missing and focused is None:
            raise ValueError(f"/{name}: required options missing: {missing}")
        parts = (subcommand or "").split()
        for depth in reversed(range(len(parts))):  # "group sub" -> type 2 wrapping type 1
            kind = 1 if depth == len(parts) - 1 else 2
            built = [{"name": parts[depth], "type": kind, "options": built}]
        data: Json = {"id": cmd["id"], "name": name, "type": cmd.get("type", 1), "options": built}
        if resolved:
            data["resolved"] = resolved
        if is_guild:
            data["guild_id"] = self.guild_id
        return data

    def invoke_slash(
        self,
        name: str,
        options: dict[str, Any] | None,
        user: FakeUser,
        subcommand: str | None = None,
        attachment: tuple[str, bytes] | None = None,
        *,
        channel_id: str | None = None,
        check_permissions: bool = True,
    ) -> InteractionHandle:
        """Run a synced slash command as ``user`` (INTERACTION_CREATE type 2).

        Option types come from the synced schema. ``attachment`` fills the first attachment
        option not given in ``options`` (attachment values are ``(filename, bytes)``).
        ``subcommand`` may be ``"sub"`` or ``"group sub"``. Raises LookupError for unsynced
        commands and PermissionError when default_member_permissions hides it from ``user``.
        """

        async def go() -> InteractionHandle:
            opts = dict(options or {})
            if attachment is not None:
                _, _, schema = self._command_options(name, user, subcommand, False)
                slots = [o["name"] for o in schema if o["type"] == 11 and o["name"] not in opts]
                if not slots:
                    raise LookupError(f"/{name} has no free attachment option")
                opts[slots[0]] = attachment
            data = self._slash_data(name, opts, user, subcommand, None, check_permissions)
            return await self._interact(2, data, user, channel_id, name)

        return self._call(go())

    def invoke_autocomplete(
        self,
        name: str,
        options: dict[str, Any],
        user: FakeUser,
        *,
        focused: str | None = None,
        subcommand: str | None = None,
        channel_id: str | None = None,
    ) -> InteractionHandle:
        """Ask for autocomplete choices (type 4). ``focused`` defaults to the last option;
        the answer is a ``callback`` record with ``choices``."""

        async def go() -> InteractionHandle:
            target = focused or list(options)[-1]
            data = self._slash_data(name, options, user, subcommand, target, True)
            return await self._interact(4, data, user, channel_id, name)

        return self._call(go())

    def invoke_component(
        self,
        custom_id: str,
        message_id: str,
        user: FakeUser,
        *,
        values: list[str] | None = None,
        min_delay: float = 0.3,
    ) -> InteractionHandle:
        """Click a button (or pick ``values`` in a select) on a stored message (type 3).

        Waits until the message is ``min_delay`` seconds old (a human's reaction time):
        discord.py registers a View only after the HTTP response that created the message,
        so an instant click can reach the bot first and be dropped as unknown.
        """
        changed = self._changed_at.get(str(message_id))
        if changed is not None:
            time.sleep(max(0.0, changed + min_delay - time.monotonic()))

        async def go() -> InteractionHandle:
            msg = self._messages[str(message_id)]

            def walk(items: list[Json]) -> Json | None:
                for item in items:
                    if item.get("custom_id") == custom_id:
                        return item
                    found = walk(item.get("components") or [])
                    if found is not None:
                        return found
                return None

            component = walk(msg.get("components") or [])
            if component is None:
                raise LookupError(f"message {message_id} has no component {custom_id!r}")
            data: Json = {"custom_id": custom_id, "component_type": component["type"]}
            if values is not None or component["type"] in (3, 5, 6, 7, 8):
                data["values"] = list(values or [])
            return await self._interact(3, data, user, msg["channel_id"], custom_id, msg)

        return self._call(go())

    async def _interact(
        self,
        kind: int,
        data: Json,
        user: FakeUser,
        channel_id: str | None,
        name: str,
        message: Json | None = None,
    ) -> InteractionHandle:
        self._require_session()
        channel = self._channels[channel_id or self.channel_id()]
        iid, token = self._ids(), f"itok.{secrets.token_urlsafe(24)}"
        payload: Json = {
            "id": iid,
            "application_id": self.application_id,
            "type": kind,
            "data": data,
            "guild_id": self.guild_id,
            "guild": {"id": self.guild_id, "locale": "en-US", "features": []},
            "channel_id": channel["id"],
            "channel": {**channel, "permissions": str(self.permissions_of(user))},
            "member": {**member_json(user), "permissions": str(self.permissions_of(user))},
            "token": token,
            "version": 1,
            "locale": "en-US",
            "guild_locale": "en-US",
            "app_permissions": str(self.permissions_of(self.bot_user)),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": self.guild_id},
            "context": 0,
            "attachment_size_limit": self.attachment_size_limit,
        }
        if message is not None:
            payload["message"] = message
        handle = InteractionHandle(iid, token, kind, name, channel["id"], user.id, time.time())
        state = _Interaction(handle, time.monotonic(), message["id"] if message else None)
        self._interactions[iid] = state
        await self._dispatch("INTERACTION_CREATE", payload)
        return handle

    # ------------------------------------------------------------------ records and waits
    @property
    def records(self) -> list[SentMessage]:
        with self._cond:
            return list(self._records)

    @property
    def record_count(self) -> int:
        """Pass as ``after=`` to a wait to ignore everything recorded so far."""
        with self._cond:
            return len(self._records)

    def _record(self, kind: str, req: _Request, **fields: Any) -> SentMessage:
        with self._cond:
            rec = SentMessage(len(self._records), kind, req.method, req.path, time.time(), **fields)
            self._records.append(rec)
            self._cond.notify_all()
        log.info("bot %s %s -> %s %r", req.method, req.path, kind, (rec.content or "")[:80])
        return rec

    def _wait(self, ready: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = ready()
                if result is not None:
                    return result
                for proc in self._watched:
                    if (code := proc.poll()) is not None:
                        raise RuntimeError(
                            f"bot process exited with {code} while waiting for {what}"
                        )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = "\n  ".join(
                        f"#{r.seq} {r.kind} {r.route} {(r.content or '')[:60]!r}"
                        for r in self._records[-8:]
                    )
                    raise TimeoutError(
                        f"timed out after {timeout}s waiting for {what}\n"
                        f"recent records:\n  {recent}\nerrors: {self.errors[-5:]}\n"
                        f"unknown routes: {self.unknown_routes[-5:]}"
                    )
                self._cond.wait(min(remaining, 0.1))

    def wait_for(
        self, predicate: Callable[[SentMessage], bool], timeout: float = 5.0, *, after: int = 0
    ) -> SentMessage:
        """Block until a record (with ``seq >= after``) matches ``predicate``; return it."""
        return self._wait(
            lambda: next((r for r in self._records[after:] if predicate(r)), None),
            timeout,
            "a matching record",
        )

    def wait_for_reply(
        self, target: InteractionHandle | str, timeout: float = 5.0, *, after: int = 0
    ) -> SentMessage:
        """First record answering an interaction handle (a response, followup or edit with a
        visible body) or a message id (a bot message whose message_reference points at it).
        For answers that are not replies, use ``wait_for(pred, after=record_count)``."""
        if isinstance(target, InteractionHandle):
            kinds = {"callback", "followup", "edit_original", "edit_followup"}

            def pred(r: SentMessage) -> bool:
                return r.interaction_id == target.id and r.kind in kinds and r.has_body
        else:

            def pred(r: SentMessage) -> bool:
                ref = r.message_reference or {}
                return r.kind == "message" and str(ref.get("message_id")) == str(target)

        return self.wait_for(pred, timeout, after=after)

    def wait_until_connected(self, timeout: float = 15.0) -> None:
        """Block until a bot has identified and received GUILD_CREATE."""
        self._wait(lambda: True if self._connected.is_set() else None, timeout, "IDENTIFY")

    def wait_for_commands(self, timeout: float = 15.0) -> list[Json]:
        """Block until the bot synced commands (global or for the guild); return them."""

        def synced() -> list[Json] | None:
            if self._global_commands is None and self.guild_id not in self._guild_commands:
                return None
            return (self._global_commands or []) + self._guild_commands.get(self.guild_id, [])

        return self._wait(synced, timeout, "a command sync")

    def wait_for_heartbeats(self, count: int, timeout: float = 10.0) -> list[float]:
        return self._wait(
            lambda: list(self._heartbeats) if len(self._heartbeats) >= count else None,
            timeout,
            f"{count} heartbeats",
        )

    @property
    def commands_synced(self) -> list[Json] | None:
        """The last global bulk-overwrite payload (with ids), or None if never synced."""
        return self._global_commands

    @property
    def guild_commands_synced(self) -> dict[str, list[Json]]:
        return dict(self._guild_commands)

    @property
    def heartbeats(self) -> list[float]:
        """Wall-clock times (time.time()) of every HEARTBEAT received."""
        with self._cond:
            return list(self._heartbeats)

    def max_heartbeat_gap(self, *, include_now: bool = True) -> float:
        """Longest time between consecutive heartbeats (and, by default, since the last)."""
        beats = self.heartbeats + ([time.time()] if include_now else [])
        return max((b - a for a, b in itertools.pairwise(beats)), default=0.0)

    def interaction_ack_time(self, interaction_id: str) -> float | None:
        """Seconds from dispatching the interaction to the bot's first callback attempt."""
        state = self._interactions.get(str(interaction_id))
        if state is None or state.first_callback is None:
            return None
        return state.first_callback - state.dispatched

    # ------------------------------------------------------------------ REST plumbing
    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler, bool]]:
        ch, msg = r"/channels/(?P<channel>\d+)", r"/messages/(?P<message>\d+)"
        cmds = r"/applications/(?P<app>\d+)(?:/guilds/(?P<guild>\d+))?/commands"
        hook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
        table: list[tuple[str, str, Handler, bool]] = [
            ("GET", r"/users/@me", self._r_me, True),
            ("GET", r"/(?:oauth2/)?applications/@me", self._r_app, True),
            ("GET", r"/gateway(?:/bot)?", self._r_gateway_url, False),
            ("GET", cmds, self._r_get_commands, True),
            ("PUT", cmds, self._r_put_commands, True),
            ("POST", cmds, self._r_post_command, True),
            ("DELETE", cmds + r"/(?P<command>\d+)", self._r_delete_command, True),
            ("GET", ch, self._r_get_channel, True),
            ("GET", ch + r"/messages", self._r_history, True),
            ("POST", ch + r"/messages", self._r_create_message, True),
            ("GET", ch + msg, self._r_get_message, True),
            ("PATCH", ch + msg, self._r_edit_message, True),
            ("DELETE", ch + msg, self._r_delete_message, True),
            ("POST", ch + msg + r"/threads", self._r_create_thread, True),
            ("POST", ch + r"/threads", self._r_create_thread, True),
            ("PUT", ch + msg + r"/reactions/(?P<emoji>[^/]+)/@me", self._r_reaction, True),
            ("DELETE", ch + msg + r"/reactions/(?P<emoji>[^/]+)/@me", self._r_reaction, True),
            ("POST", ch + r"/typing", self._r_typing, True),
            ("GET", r"/guilds/(?P<guild>\d+)", self._r_get_guild, True),
            ("GET", r"/guilds/(?P<guild>\d+)/channels", self._r_guild_channels, True),
            ("GET", r"/guilds/(?P<guild>\d+)/members/(?P<user>\d+)", self._r_get_member, True),
            ("GET", r"/users/(?P<user>\d+)", self._r_get_user, True),
            ("POST", r"/interactions/(?P<interaction>\d+)/(?P<token>[^/]+)/callback",
             self._r_callback, False),
            ("POST", hook, self._r_followup, False),
            ("GET", hook + r"/messages/(?P<message>@original|\d+)", self._r_hook_get, False),
            ("PATCH", hook + r"/messages/(?P<message>@original|\d+)", self._r_hook_edit, False),
            ("DELETE", hook + r"/messages/(?P<message>@original|\d+)", self._r_hook_delete, False),
        ]  # fmt: skip
        return [(m, re.compile(p), h, auth) for m, p, h, auth in table]

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        route = f"{request.method} {path}"
        try:
            for method, pattern, handler, auth in self._routes:
                match = pattern.fullmatch(path)
                if match is None or method != request.method:
                    continue
                if auth and request.headers.get("Authorization") != f"Bot {self.token}":
                    raise ApiError(401, 0, "401: Unauthorized")
                payload, files = await self._read_body(request)
                params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items() if v}
                req = _Request(request.method, path, params, dict(request.query), payload, files)
                result = await handler(req)
                if result is None:
                    return web.Response(status=204)
                return result if isinstance(result, web.Response) else _json_response(result)
            self.unknown_routes.append(route)
            log.warning("discord double: unknown route %s", route)
            raise ApiError(404, 0, "404: Not Found")
        except Exception as exc:
            if not isinstance(exc, ApiError):  # a double bug: a 400, since 5xx makes the bot retry
                log.exception("discord double failed on %s", route)
                exc = ApiError(400, 0, f"discord double internal error: {exc!r}")
            body: Json = {"message": exc.message, "code": exc.code}
            if exc.errors:
                body["errors"] = exc.errors
            self.errors.append((route, exc.status, body))
            return _json_response(body, exc.status)

    async def _read_body(self, request: web.Request) -> tuple[Json, list[tuple[str, bytes]]]:
        if not request.body_exists:
            return {}, []
        if request.content_type.startswith("multipart/"):
            payload: Json = {}
            files: list[tuple[str, bytes]] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                elif part.filename is not None:
                    files.append((part.filename, bytes(await part.read())))
            return payload, files
        raw = await request.read()
        return (json.loads(raw) if raw.strip() else {}), []

    async def _serve_file(self, request: web.Request) -> web.Response:
        stored = self._files.get(request.match_info["id"])
        if stored is None:
            return web.Response(status=404)
        return web.Response(body=stored[1], headers={"Content-Type": stored[2]})

    def _store_files(self, files: list[tuple[str, bytes]]) -> list[Json]:
        out = []
        for filename, blob in files:
            if len(blob) > self.attachment_size_limit:
                raise ApiError(413, 40005, "Request entity too large")
            att_id = self._ids()
            ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            self._files[att_id] = (filename, blob, ctype)
            url = f"{self.base_url}/attachments/{att_id}/{urllib.parse.quote(filename)}"
            out.append(attachment_json(att_id, filename, len(blob), url, ctype))
        return out

    # ------------------------------------------------------------------ bot messages
    def _check_body(self, req: _Request, body: Json, *, creating: bool) -> None:
        problem = validate_message(body, creating=creating, file_count=len(req.files))
        if problem is not None:
            code, message, errors = problem
            raise ApiError(400, code, message, errors or None)

    def _fields(self, req: _Request, body: Json, msg: Json) -> Json:
        return {
            "channel_id": msg["channel_id"],
            "message_id": msg["id"],
            "content": body.get("content"),
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "allowed_mentions": body.get("allowed_mentions"),
            "flags": msg.get("flags", 0),
            "message_reference": _str_ids(body.get("message_reference")),
            "files": list(req.files),
            "payload": body,
        }

    def _channel(self, channel_id: str) -> Json:
        if channel_id not in self._channels:
            raise ApiError(404, 10003, "Unknown Channel")
        return self._channels[channel_id]

    def _stored(self, message_id: str | None) -> Json:
        if message_id is None or message_id not in self._messages:
            raise ApiError(404, 10008, "Unknown Message")
        return self._messages[message_id]

    async def _bot_message(self, req: _Request, channel_id: str, body: Json, flags: int) -> Json:
        channel = self._channel(channel_id)
        ref = referenced = None
        if body.get("message_reference"):
            ref_id = str(body["message_reference"]["message_id"])
            referenced = self._messages.get(ref_id)
            if referenced is None and body["message_reference"].get("fail_if_not_exists", True):
                unknown = {"code": "REPLIES_UNKNOWN_MESSAGE", "message": "Unknown message"}
                errors = {"message_reference": {"_errors": [unknown]}}
                raise ApiError(400, 50035, "Invalid Form Body", errors)
            ref = {"message_id": ref_id, "channel_id": channel_id, "guild_id": self.guild_id}
        content = body.get("content") or ""
        msg = message_json(
            message_id=self._ids(),
            channel_id=channel_id,
            guild_id=channel.get("guild_id"),
            author=self.bot_user,
            content=content,
            mentions=[self._users[u] for u in USER_MENTION.findall(content) if u in self._users],
            attachments=self._store_files(req.files),
            reference=ref,
            referenced_message=referenced,
            body=body,
            flags=flags,
        )
        self._messages[msg["id"]] = msg
        self._changed_at[msg["id"]] = time.monotonic()
        channel["last_message_id"] = msg["id"]
        if self.echo_bot_messages and not flags & EPHEMERAL:
            await self._dispatch("MESSAGE_CREATE", msg, intent=INTENT_GUILD_MESSAGES)
        return msg

    def _pings(self, body: Json, msg: Json) -> list[str]:
        if msg.get("flags", 0) & EPHEMERAL:
            return []
        replied = (msg.get("referenced_message") or {}).get("author", {}).get("id")
        return compute_pings(body.get("content") or "", body.get("allowed_mentions"), replied)

    async def _edit(self, req: _Request, msg: Json, body: Json) -> Json:
        self._check_body(req, body, creating=False)
        for key in ("content", "embeds", "components"):
            if key in body:
                msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if "attachments" in body or req.files:
            keep = {str(a.get("id")) for a in body.get("attachments") or []}
            old = [a for a in msg["attachments"] if a["id"] in keep or "attachments" not in body]
            msg["attachments"] = old + self._store_files(req.files)
        msg["edited_timestamp"] = iso_now()
        self._changed_at[msg["id"]] = time.monotonic()
        if not msg.get("flags", 0) & EPHEMERAL:
            await self._dispatch("MESSAGE_UPDATE", msg, intent=INTENT_GUILD_MESSAGES)
        return msg

    async def _delete(self, msg: Json) -> None:
        self._messages.pop(msg["id"], None)
        event = {"id": msg["id"], "channel_id": msg["channel_id"], "guild_id": self.guild_id}
        await self._dispatch("MESSAGE_DELETE", event, intent=INTENT_GUILD_MESSAGES)

    # ------------------------------------------------------------------ REST routes
    async def _r_me(self, req: _Request) -> Json:
        return {**user_json(self.bot_user), "verified": True, "mfa_enabled": False}

    async def _r_app(self, req: _Request) -> Json:
        return {
            "id": self.application_id,
            "name": self.bot_user.username,
            "icon": None,
            "description": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": user_json(self.owner),
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
            "bot": user_json(self.bot_user),
            "interactions_endpoint_url": None,
        }

    async def _r_gateway_url(self, req: _Request) -> Json:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return {"url": self.gateway_url, "shards": self.recommended_shards, "session_start_limit": limit}

    def _command_slot(self, req: _Request) -> list[Json]:
        if req.params["app"] != self.application_id:
            raise ApiError(403, 50001, "Missing Access")
        guild = req.params.get("guild")
        if guild is None:
            return self._global_commands or []
        return self._guild_commands.get(guild, [])

    def _save_commands(self, req: _Request, commands: list[Json]) -> None:
        with self._cond:
            if "guild" in req.params:
                self._guild_commands[req.params["guild"]] = commands
            else:
                self._global_commands = commands
            self._cond.notify_all()

    def _with_ids(self, req: _Request, cmd: Json, old: list[Json]) -> Json:
        previous = next((c for c in old if c["name"] == cmd["name"]), None)
        out = {"type": 1, "default_member_permissions": None, "nsfw": False, **cmd}
        out.update(
            id=previous["id"] if previous else self._ids(), application_id=self.application_id
        )
        out["version"] = self._ids()
        if "guild" in req.params:
            out["guild_id"] = req.params["guild"]
        return out

    async def _r_get_commands(self, req: _Request) -> list[Json]:
        return self._command_slot(req)

    async def _r_put_commands(self, req: _Request) -> list[Json]:
        old = self._command_slot(req)
        payload: list[Json] = req.payload  # type: ignore[assignment]
        commands = [self._with_ids(req, cmd, old) for cmd in payload]
        self._save_commands(req, commands)
        names = [c["name"] for c in commands]
        log.info("commands synced (%s): %s", req.params.get("guild", "global"), names)
        return commands

    async def _r_post_command(self, req: _Request) -> Json:
        old = self._command_slot(req)
        cmd = self._with_ids(req, req.payload, old)
        self._save_commands(req, [c for c in old if c["name"] != cmd["name"]] + [cmd])
        return cmd

    async def _r_delete_command(self, req: _Request) -> None:
        old = self._command_slot(req)
        self._save_commands(req, [c for c in old if c["id"] != req.params["command"]])

    async def _r_get_channel(self, req: _Request) -> Json:
        return self._channel(req.params["channel"])

    async def _r_history(self, req: _Request) -> list[Json]:
        channel_id = self._channel(req.params["channel"])["id"]
        found = [m for m in self._messages.values() if m["channel_id"] == channel_id]
        return list(reversed(found))[: int(req.query.get("limit", 50))]

    async def _r_create_message(self, req: _Request) -> Json:
        self._channel(req.params["channel"])
        self._check_body(req, req.payload, creating=True)
        flags = int(req.payload.get("flags") or 0) & ~EPHEMERAL
        msg = await self._bot_message(req, req.params["channel"], req.payload, flags)
        fields = self._fields(req, req.payload, msg)
        self._record("message", req, **fields, pings=self._pings(req.payload, msg))
        return msg

    async def _r_get_message(self, req: _Request) -> Json:
        return self._stored(req.params["message"])

    async def _r_edit_message(self, req: _Request) -> Json:
        msg = await self._edit(req, self._stored(req.params["message"]), req.payload)
        self._record("edit", req, **self._fields(req, req.payload, msg))
        return msg

    async def _r_delete_message(self, req: _Request) -> None:
        msg = self._stored(req.params["message"])
        await self._delete(msg)
        self._record("delete", req, channel_id=msg["channel_id"], message_id=msg["id"])

    async def _r_create_thread(self, req: _Request) -> Json:
        parent = self._channel(req.params["channel"])
        message_id = req.params.get("message")
        if message_id is not None:
            self._stored(message_id)
        kind = 11 if message_id else int(req.payload.get("type") or 11)
        name = str(req.payload.get("name") or "thread")
        thread = thread_json(message_id or self._ids(), parent, self.bot_user.id, name, kind)
        self._channels[thread["id"]] = thread
        await self._dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        fields = {"message_id": message_id, "content": name, "payload": req.payload}
        self._record("thread", req, channel_id=thread["id"], **fields)
        return thread

    async def _r_reaction(self, req: _Request) -> None:
        msg = self._stored(req.params["message"])
        kind = "reaction" if req.method == "PUT" else "unreaction"
        fields = {"channel_id": msg["channel_id"], "message_id": msg["id"]}
        self._record(kind, req, content=req.params["emoji"], **fields)

    async def _r_typing(self, req: _Request) -> None:
        self._record("typing", req, channel_id=self._channel(req.params["channel"])["id"])

    async def _r_get_guild(self, req: _Request) -> Json:
        if req.params["guild"] != self.guild_id:
            raise ApiError(404, 10004, "Unknown Guild")
        guild = self._guild_json(all_members=False)
        for key in ("members", "channels", "threads", "presences", "voice_states"):
            guild.pop(key)
        return guild

    async def _r_guild_channels(self, req: _Request) -> list[Json]:
        return [c for c in self._channels.values() if c["type"] not in (10, 11, 12)]

    async def _r_get_member(self, req: _Request) -> Json:
        if req.params["user"] not in self._users:
            raise ApiError(404, 10007, "Unknown Member")
        return member_json(self._users[req.params["user"]])

    async def _r_get_user(self, req: _Request) -> Json:
        if req.params["user"] not in self._users:
            raise ApiError(404, 10013, "Unknown User")
        return user_json(self._users[req.params["user"]])

    # ------------------------------------------------------------------ interaction routes
    async def _r_callback(self, req: _Request) -> Json | None:
        state = self._interactions.get(req.params["interaction"])
        if state is None or state.handle.token != req.params["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        now = time.monotonic()
        if state.first_callback is None:
            state.first_callback = now
        if state.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if (
            self.interaction_deadline is not None
            and now - state.dispatched > self.interaction_deadline
        ):
            raise ApiError(404, 10062, "Unknown interaction")
        kind = int(req.payload.get("type", 0))
        data: Json = req.payload.get("data") or {}
        handle = state.handle
        fields: Json = {
            "interaction_id": handle.id,
            "channel_id": handle.channel_id,
            "payload": data,
        }
        msg: Json | None = None
        if kind == 4:
            self._check_body(req, data, creating=True)
            msg = await self._bot_message(req, handle.channel_id, data, int(data.get("flags") or 0))
            state.original_id = msg["id"]
            fields.update(self._fields(req, data, msg), pings=self._pings(data, msg))
        elif kind == 5:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            msg = await self._bot_message(req, handle.channel_id, {}, flags)
            state.original_id, state.loading = msg["id"], True
            fields.update(flags=flags, message_id=msg["id"])
        elif kind in (6, 7) and state.message_id is not None:
            state.original_id = state.message_id
            if kind == 7:
                msg = await self._edit(req, self._stored(state.message_id), data)
                fields.update(self._fields(req, data, msg))
        elif kind == 8:
            choices = data.get("choices") or []
            if len(choices) > 25:
                raise ApiError(400, 50035, "Invalid Form Body", {"choices": {"_errors": []}})
            fields["choices"] = choices
        elif kind != 9:
            raise ApiError(400, 50035, "Invalid Form Body", {"type": {"_errors": []}})
        state.response_type = kind
        self._record("callback", req, callback_type=kind, **fields)
        if req.query.get("with_response") not in ("1", "true", "True"):
            return None
        result: Json = {"id": handle.id, "type": handle.type}
        if msg is not None:
            result["response_message_id"] = msg["id"]
            result["response_message_loading"] = kind == 5
            result["response_message_ephemeral"] = bool(msg["flags"] & EPHEMERAL)
            return {"interaction": result, "resource": {"type": kind, "message": msg}}
        return {"interaction": result}

    def _hook_state(self, req: _Request) -> _Interaction:
        if req.params["app"] == self.application_id:
            for state in self._interactions.values():
                if state.handle.token == req.params["token"] and state.response_type is not None:
                    return state
        raise ApiError(404, 10015, "Unknown Webhook")

    def _hook_message(self, req: _Request, state: _Interaction) -> Json:
        if req.params["message"] == "@original":
            return self._stored(state.original_id)
        if req.params["message"] not in state.followups | {state.original_id}:
            raise ApiError(404, 10008, "Unknown Message")
        return self._stored(req.params["message"])

    async def _r_followup(self, req: _Request) -> Json | None:
        state = self._hook_state(req)
        body = req.payload
        self._check_body(req, body, creating=True)
        fields: Json = {"interaction_id": state.handle.id}
        if state.loading:  # Discord: the first followup completes the deferred message
            state.loading = False
            msg = self._stored(state.original_id)
            msg["flags"] &= ~LOADING
            msg = await self._edit(req, msg, body)
            fields.update(self._fields(req, body, msg))
        else:
            flags = int(body.get("flags") or 0)
            msg = await self._bot_message(req, state.handle.channel_id, body, flags)
            state.followups.add(msg["id"])
            fields.update(self._fields(req, body, msg), pings=self._pings(body, msg))
        self._record("followup", req, **fields)
        return msg if req.query.get("wait") in ("1", "true", "True") else None

    async def _r_hook_get(self, req: _Request) -> Json:
        return self._hook_message(req, self._hook_state(req))

    async def _r_hook_edit(self, req: _Request) -> Json:
        state = self._hook_state(req)
        msg = self._hook_message(req, state)
        if msg["id"] == state.original_id:
            state.loading = False
            msg["flags"] &= ~LOADING
        msg = await self._edit(req, msg, req.payload)
        kind = "edit_original" if req.params["message"] == "@original" else "edit_followup"
        self._record(
            kind, req, interaction_id=state.handle.id, **self._fields(req, req.payload, msg)
        )
        return msg

    async def _r_hook_delete(self, req: _Request) -> None:
        state = self._hook_state(req)
        msg = self._hook_message(req, state)
        await self._delete(msg)
        kind = "delete_original" if req.params["message"] == "@original" else "delete"
        fields = {"channel_id": msg["channel_id"], "message_id": msg["id"]}
        self._record(kind, req, interaction_id=state.handle.id, **fields)
