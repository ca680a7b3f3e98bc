"""Buttons that open one feature from another feature's screen, declared below both so neither imports the
other (the /log flow imports the sessions feature, which imports the photos feature, which offers /log)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers import callback_data as cb


@dataclass(frozen=True)
class LogNew(cb.Payload, template="log:new"):
    """Log a new session: the main menu's button, and the photos feature's hand-over."""
