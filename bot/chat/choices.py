"""Autocomplete for the Discord commands: Discord wants choices within 3 s, so autocomplete
never waits on the engine; it ranks lists kept here, refreshed after every change.

Usage::

    from bot.chat.choices import Choices, ranked_choices
    choices = Choices(engine)          # a bot.chat.workers.Engine
    await choices.refresh()            # articles and companies (after an add or a removal)
    await choices.refresh_feeds()      # after a feed is followed, dropped or polled
    choices.company("xia")             # [Choice(name="Xiaomi", value="Xiaomi"), ...]
    choices.article("ferry")           # [Choice(name="wire-0002 — …ferry…", value="wire-0002")]
    choices.feed("atom")               # [Choice(name="1 — Harbor Ledger (Atom)", value=1)]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from discord import app_commands

from bot.chat.render import clip
from bot.chat.replies import new_reference
from bot.chat.workers import Engine

log = logging.getLogger("newsbot.discord")
MAX_CHOICES = 25  # Discord's limit


def ranked_choices(current: str, candidates: Sequence[tuple[str, list[str]]],
                   values: dict[str, Any] | None = None) -> list[app_commands.Choice[Any]]:
    """Up to 25 choices, labelled by the first item of each candidate and matched on its
    keys: prefix matches first, then substring matches. ``values`` maps a label to its value
    (default: the label)."""
    needle = current.casefold().strip()
    prefix, inside = [], []
    for label, keys in candidates:
        folded = [k.casefold() for k in keys]
        if any(k.startswith(needle) for k in folded):
            prefix.append(label)
        elif any(needle in k for k in folded):
            inside.append(label)
    out: list[app_commands.Choice[Any]] = []
    for label in list(dict.fromkeys(prefix + inside))[:MAX_CHOICES]:
        value = (values or {}).get(label, label)
        out.append(app_commands.Choice(name=clip(label, 100), value=clip(value, 100) if isinstance(value, str)
                                       else value))
    return out


class Choices:
    """The articles, companies and feeds autocomplete offers, as last read from the service."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._articles: list[tuple[str, str]] = []            # (id, title), newest first
        self._companies: list[tuple[str, list[str]]] = []     # (name, aliases)
        self._feeds: list[tuple[int, str]] = []               # (id, name)

    async def refresh(self) -> None:
        """Re-read the articles and the companies (each failure is logged, the old list kept)."""
        service = self._engine.service
        rows = await self._read("articles", service.list_articles)
        if rows is not None:
            self._articles = [(r.id, r.title) for r in rows]
        companies = await self._read("companies", service.companies)
        if companies is not None:
            self._companies = [(c.name, list(c.aliases)) for c in companies]

    async def refresh_feeds(self) -> None:
        feeds = await self._read("feeds", self._engine.service.list_feeds)
        if feeds is not None:
            self._feeds = [(f.id, f.name) for f in feeds]

    async def _read(self, what: str, fetch: Callable[[], list[Any]]) -> list[Any] | None:
        try:
            return await self._engine.read(fetch)
        except Exception:
            log.exception("[ref %s] could not list the %s for autocomplete", new_reference(), what)
            return None

    def company(self, current: str) -> list[app_commands.Choice[str]]:
        return ranked_choices(current, [(name, [name, *aliases]) for name, aliases in self._companies])

    def article(self, current: str) -> list[app_commands.Choice[str]]:
        labelled = {f"{aid} — {title}": (aid, title) for aid, title in self._articles if len(aid) <= 100}
        return ranked_choices(current, [(label, list(keys)) for label, keys in labelled.items()],
                              values={label: aid for label, (aid, _) in labelled.items()})

    def feed(self, current: str) -> list[app_commands.Choice[int]]:
        labelled = {clip(f"{fid} — {name}", 100): fid for fid, name in self._feeds}
        return ranked_choices(current, [(label, [label]) for label in labelled], values=labelled)
