"""Logs (bot/chat/logs.py): the token never reaches a log line or a traceback."""

from __future__ import annotations

import logging

from bot.chat.logs import RedactSecrets


def test_the_token_is_redacted_from_logs_and_tracebacks() -> None:
    token = "MTAwMDAwMDAwMDAwMDAwMDAw.double.fake-bot-token-secret"
    handler = logging.StreamHandler()
    records: list[str] = []
    handler.emit = lambda record: records.append(handler.format(record))  # type: ignore[method-assign]
    handler.addFilter(RedactSecrets([token]))
    logger = logging.getLogger("newsbot.test.redact")
    logger.addHandler(handler)
    try:
        logger.warning("logging in with %s", token)
        try:
            raise RuntimeError(f"401 for token {token}")
        except RuntimeError:
            logger.exception("failed")
        logger.warning("hmac part alone: %s", token.rsplit(".", 1)[1])
    finally:
        logger.removeHandler(handler)
    assert len(records) == 3 and all(token not in r and "fake-bot-token-secret" not in r for r in records)
    assert "[redacted]" in records[0] and "RuntimeError" in records[1] and records[2].endswith("[redacted]")
