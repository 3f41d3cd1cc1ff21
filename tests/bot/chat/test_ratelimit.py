"""The in-memory rate limit (bot/chat/ratelimit.py); the shared one is in test_feedback.py."""

from __future__ import annotations

import pytest

from bot.chat.ratelimit import SlidingWindowLimiter


def test_sliding_window_limiter() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(limit=2, window=60, clock=lambda: now[0])
    assert limiter.hit("a").allowed and limiter.hit("a").allowed
    refused = limiter.hit("a")
    assert not refused.allowed and refused.retry_after == pytest.approx(60)
    assert limiter.hit("b").allowed
    now[0] = 30.0
    assert not limiter.hit("a").allowed
    now[0] = 60.5
    decision = limiter.hit("a")
    assert decision.allowed and decision.remaining == 1  # both hits at 0.0 left the window; refusals never count
    with pytest.raises(ValueError):
        SlidingWindowLimiter(limit=0)
