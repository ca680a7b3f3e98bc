"""Keeps secrets out of the log: the bot token, the API key and the webhook secret become "<redacted>".

Third-party libraries log what they send: httpx logs request URLs, and Telegram's URLs carry the token;
PTB logs every Bot API call's parameters at DEBUG, setWebhook's secret_token included. The filter sits on
the log *handlers* (a logger's own filters do not see records that propagate from child loggers), so it
covers every logger whose records reach them, at any level.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "<redacted>"
MIN_SECRET_LENGTH = 6  # shorter values would redact ordinary words


class RedactSecrets(logging.Filter):
    """Rewrites each record's message, and its traceback text, with every known secret replaced."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        self.secrets.update(secret for secret in secrets if secret and len(secret) >= MIN_SECRET_LENGTH)

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):  # a longer secret may contain a shorter
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed logging call: kept as its parts, redacted all the same
            message = record.msg = f"{record.msg!s} {record.args!r}"
            record.args = None
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install(secrets: Iterable[str | None], logger: logging.Logger | None = None) -> RedactSecrets:
    """Put one filter with `secrets` on every handler of `logger` (the root logger by default), or add the
    secrets to the filter already there; returns the filter, so that secrets known later can be added."""
    logger = logger or logging.getLogger()
    existing = next(
        (f for handler in logger.handlers for f in handler.filters if isinstance(f, RedactSecrets)), None
    )
    redaction = existing or RedactSecrets()
    redaction.add(*secrets)
    for handler in logger.handlers:
        if redaction not in handler.filters:
            handler.addFilter(redaction)
    return redaction
