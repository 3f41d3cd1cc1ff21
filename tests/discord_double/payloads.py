"""JSON shapes the double sends, and the checks Discord makes on what a bot sends."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .models import FakeUser

Json = dict[str, Any]

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


def iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def user_json(user: FakeUser) -> Json:
    return {
        "id": user.id,
        "username": user.username,
        "discriminator": "0",
        "global_name": user.username,
        "avatar": None,
        "bot": user.bot,
        "public_flags": 0,
        "flags": 0,
    }


def member_json(user: FakeUser, *, with_user: bool = True) -> Json:
    data: Json = {
        "roles": list(user.role_ids),
        "joined_at": "2024-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "nick": None,
    }
    if with_user:
        data["user"] = user_json(user)
    return data


def role_json(role_id: str, name: str, permissions: int, position: int) -> Json:
    return {
        "id": role_id,
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0},
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def text_channel_json(channel_id: str, guild_id: str, name: str, position: int) -> Json:
    return {
        "id": channel_id,
        "guild_id": guild_id,
        "type": 0,
        "name": name,
        "position": position,
        "topic": None,
        "nsfw": False,
        "permission_overwrites": [],
        "parent_id": None,
        "rate_limit_per_user": 0,
        "last_message_id": None,
    }


def thread_json(thread_id: str, parent: Json, owner_id: str, name: str, kind: int) -> Json:
    return {
        "id": thread_id,
        "guild_id": parent["guild_id"],
        "parent_id": parent["id"],
        "owner_id": owner_id,
        "type": kind,
        "name": name,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "rate_limit_per_user": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": iso_now(),
            "locked": False,
            "create_timestamp": iso_now(),
        },
    }


def attachment_json(att_id: str, filename: str, size: int, url: str, ctype: str) -> Json:
    return {
        "id": att_id,
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": ctype,
        "flags": 0,
    }


def message_json(
    *,
    message_id: str,
    channel_id: str,
    guild_id: str | None,
    author: FakeUser,
    content: str,
    mentions: list[FakeUser],
    attachments: list[Json],
    reference: Json | None = None,
    referenced_message: Json | None = None,
    body: Json | None = None,
    flags: int = 0,
) -> Json:
    """A full message object. ``body`` is what a bot sent (embeds, components...)."""
    body = body or {}
    data: Json = {
        "id": message_id,
        "channel_id": channel_id,
        "author": user_json(author),
        "content": content,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [{**user_json(u), "member": member_json(u, with_user=False)} for u in mentions],
        "mention_roles": [],
        "attachments": attachments,
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "pinned": False,
        "type": 19 if reference else 0,
        "flags": flags,
    }
    if guild_id is not None:
        data["guild_id"] = guild_id
        data["member"] = member_json(author, with_user=False)
    if reference is not None:  # omitted, never null: discord.py chokes on null
        data["message_reference"] = {"type": 0, **reference}
        data["referenced_message"] = referenced_message
    return data


def _err(code: str, message: str) -> Json:
    return {"_errors": [{"code": code, "message": message}]}


def _too_long(limit: int) -> Json:
    return _err("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def validate_message(
    payload: Json, *, creating: bool, file_count: int
) -> tuple[int, str, Json] | None:
    """Discord's checks on a message body: ``(code, message, errors)``, or None if valid."""
    errors: Json = {}
    content = payload.get("content")
    if isinstance(content, str) and len(content) > 2000:
        errors["content"] = _too_long(2000)
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        errors["embeds"] = _too_long(10)
    total = 0
    for i, embed in enumerate(embeds):
        e_err: Json = {}
        for key, limit in (("title", 256), ("description", 4096)):
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                e_err[key] = _too_long(limit)
        for key, sub, limit in (("footer", "text", 2048), ("author", "name", 256)):
            value = (embed.get(key) or {}).get(sub) or ""
            total += len(value)
            if len(value) > limit:
                e_err[key] = {sub: _too_long(limit)}
        fields = embed.get("fields") or []
        if len(fields) > 25:
            e_err["fields"] = _too_long(25)
        for j, fld in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                value = fld.get(key) or ""
                total += len(value)
                if not value:
                    e_err.setdefault("fields", {})[str(j)] = {
                        key: _err("BASE_TYPE_REQUIRED", "This field is required")
                    }
                elif len(value) > limit:
                    e_err.setdefault("fields", {})[str(j)] = {key: _too_long(limit)}
        if e_err:
            errors.setdefault("embeds", {})[str(i)] = e_err
    if total > 6000:
        errors.setdefault("embeds", {})["_errors"] = [
            {
                "code": "MAX_EMBED_SIZE_EXCEEDED",
                "message": "Embed size exceeds maximum size of 6000",
            }
        ]
    if errors:
        return 50035, "Invalid Form Body", errors
    if creating and not (content or embeds or file_count or payload.get("components")):
        return 50006, "Cannot send an empty message", {}
    return None


def compute_pings(content: str, allowed: Json | None, replied_author_id: str | None) -> list[str]:
    """Who a newly created message notifies, following Discord's allowed_mentions rules."""
    users = USER_MENTION.findall(content)
    roles = ROLE_MENTION.findall(content)
    everyone = "@everyone" in content or "@here" in content
    if allowed is None:
        parse = {"users", "roles", "everyone"}
        allowed_users: set[str] = set()
        allowed_roles: set[str] = set()
        replied_user = True
    else:
        parse = set(allowed.get("parse") or [])
        allowed_users = {str(u) for u in allowed.get("users") or []}
        allowed_roles = {str(r) for r in allowed.get("roles") or []}
        replied_user = bool(allowed.get("replied_user", False))
    pings = [u for u in dict.fromkeys(users) if "users" in parse or u in allowed_users]
    pings += [r for r in dict.fromkeys(roles) if "roles" in parse or r in allowed_roles]
    if everyone and "everyone" in parse:
        pings.append("everyone")
    if replied_author_id and replied_user and replied_author_id not in pings:
        pings.append(replied_author_id)
    return pings
