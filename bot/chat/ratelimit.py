"""A per-user sliding-window rate limit for questions asked of the Discord bot.

Usage::

    from bot.chat.ratelimit import SlidingWindowLimiter
    limiter = SlidingWindowLimiter(limit=5, window=60.0)
    decision = limiter.hit(user_id)
    if not decision.allowed:
        print(f"slow down; try again in {decision.retry_after:.0f} s")

Only allowed hits count, so a member who keeps asking while limited is not locked out
for longer than the window. Everything happens in memory: limits reset when the bot
restarts, which is fine for a politeness limit. With the cluster backend configured,
``limiter_for(settings)`` gives a ``SharedWindowLimiter`` that keeps the hits in
PostgreSQL, so several bot processes (shards) share each member's limit.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: float = 0.0  # seconds until the oldest counted hit leaves the window
    remaining: int = 0        # hits left in the window after this one


class SlidingWindowLimiter:
    """At most ``limit`` hits per key in any ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] | None = None) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window positive")
        self.limit = limit
        self.window = window
        # Looked up at call time, not bound here, so test harnesses that patch
        # time.monotonic (simcord's virtual clock) are honoured.
        self._clock = clock or (lambda: time.monotonic())
        self._hits: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: Hashable) -> RateDecision:
        """Count one hit for ``key`` if the window has room; say when to retry if not."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return RateDecision(False, retry_after=max(0.0, hits[0] + self.window - now))
            hits.append(now)
            self._forget_idle(now)
            return RateDecision(True, remaining=self.limit - len(hits))

    def reset(self, key: Hashable | None = None) -> None:
        with self._lock:
            if key is None:
                self._hits.clear()
            else:
                self._hits.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        # Keeps memory bounded on a busy server: drop keys whose hits all expired.
        if len(self._hits) > 1024:
            for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                del self._hits[key]


class SharedWindowLimiter:
    """The same limit kept in PostgreSQL, so every bot process (each Discord shard) counts a
    member's questions together. Time is PostgreSQL's clock, which all processes share.

    Usage::

        limiter = SharedWindowLimiter("postgresql://newsbot@db/newsbot", limit=5)
        limiter.hit(user_id)
    """

    def __init__(self, database_url: str, limit: int, window: float = 60.0) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window positive")
        self.database_url, self.limit, self.window = database_url, limit, window
        self._lock = threading.Lock()
        self._conn = None

    def _connection(self) -> Any:  # psycopg is imported only when the cluster is configured
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.database_url, autocommit=True, connect_timeout=10)
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(hashtext('newsbot.ratelimit.schema'))")
                self._conn.execute("CREATE TABLE IF NOT EXISTS rate_limit_hits (key TEXT NOT NULL, "
                                   "at DOUBLE PRECISION NOT NULL)")
                self._conn.execute("CREATE INDEX IF NOT EXISTS rate_limit_hits_key ON rate_limit_hits(key, at)")
        return self._conn

    def hit(self, key: Hashable) -> RateDecision:
        name = str(key)
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                # One member's hits are decided one at a time across every process.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('newsbot.ratelimit:' || %s))", (name,))
                now = float(conn.execute("SELECT extract(epoch FROM clock_timestamp())").fetchone()[0])
                conn.execute("DELETE FROM rate_limit_hits WHERE key = %s AND at <= %s", (name, now - self.window))
                count, oldest = conn.execute("SELECT count(*), min(at) FROM rate_limit_hits WHERE key = %s",
                                             (name,)).fetchone()
                if count >= self.limit:
                    return RateDecision(False, retry_after=max(0.0, float(oldest) + self.window - now))
                conn.execute("INSERT INTO rate_limit_hits(key, at) VALUES (%s, %s)", (name, now))
                return RateDecision(True, remaining=self.limit - int(count) - 1)

    def reset(self, key: Hashable | None = None) -> None:
        with self._lock:
            conn = self._connection()
            if key is None:
                conn.execute("DELETE FROM rate_limit_hits")
            else:
                conn.execute("DELETE FROM rate_limit_hits WHERE key = %s", (str(key),))


def limiter_for(settings: object) -> SlidingWindowLimiter | SharedWindowLimiter:
    """The shared limiter when the cluster backend is configured, else the in-memory one."""
    limit = settings.rate_limit_per_minute  # type: ignore[attr-defined]
    url = getattr(settings, "database_url", None)
    return SharedWindowLimiter(url, limit, 60.0) if url else SlidingWindowLimiter(limit, 60.0)
