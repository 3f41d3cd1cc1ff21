"""A per-user sliding-window rate limit for questions asked of the Discord bot.

Usage::

    from bot.ratelimit import SlidingWindowLimiter
    limiter = SlidingWindowLimiter(limit=5, window=60.0)
    decision = limiter.hit(user_id)
    if not decision.allowed:
        print(f"slow down; try again in {decision.retry_after:.0f} s")

Only allowed hits count, so a member who keeps asking while limited is not locked out
for longer than the window. Everything happens in memory: limits reset when the bot
restarts, which is fine for a politeness limit.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass


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
