"""The bot's log: one stderr handler whose filter takes secrets (the token) out of every
record, tracebacks included, before any handler formats them.

Usage::

    from bot.chat.logs import configure_logging
    configure_logging("INFO", [token])
    logging.getLogger("newsbot.discord").info("logging in with %s", token)   # "… with [redacted]"
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence


class RedactSecrets(logging.Filter):
    """Replaces secrets in log records. Install it on handlers: a logger's filter misses
    records that propagate from child loggers."""

    def __init__(self, secrets_: Sequence[str]) -> None:
        super().__init__()
        parts = {s for s in secrets_ if s}
        # A bot token is id.timestamp.hmac; the hmac alone is the secret part too.
        parts |= {s.rsplit(".", 1)[-1] for s in parts if s.count(".") >= 2 and len(s.rsplit(".", 1)[-1]) >= 8}
        self._secrets = sorted(parts, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure_logging(level: str, secrets_: Sequence[str]) -> logging.Handler:
    """The root logger at ``level``, writing to stderr through :class:`RedactSecrets`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets_))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    return handler
