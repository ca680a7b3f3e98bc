"""Updates of different chats at the same time, each chat's updates one after the other.

PTB processes one update at a time by default, so one slow chat (a PDF, an AI call) holds up everybody,
and its plain concurrency (`concurrent_updates(n)`) would let two updates of one chat race, which breaks
conversations (their state is read and written per chat). `PerChatUpdateProcessor` takes the middle way:
each chat has a lock that its updates wait for in arrival order; updates without a chat are keyed by their
user, and the rare update with neither runs without waiting for a turn. At most `MAX_RUNNING_UPDATES` run
at once; an update waiting for its chat's turn does not count against that.

Order within a chat holds because PTB starts one task per update in arrival order, and both the
processor's semaphore and `asyncio.Lock` hand out turns first come, first served.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 256  # updates held at once, running or waiting for their chat's turn
# Updates running at once. On PostgreSQL each holds a connection for its persistence lock and uses another
# for its handler, so this stays well inside the pool (storage/db.py: 10 + 20 overflow), leaving room for
# jobs; more would not be faster anyway: the work is one event loop's.
MAX_RUNNING_UPDATES = 8

Key = tuple[str, int]


def turn_key(update: object) -> Key | None:
    """What an update waits its turn on: its chat, else its user; None: nothing to keep in order."""
    if not isinstance(update, Update):
        return None
    if (chat := update.effective_chat) is not None:
        return ("chat", chat.id)
    if (user := update.effective_user) is not None:
        return ("user", user.id)
    return None


@dataclass
class _Line:
    """A chat's lock and how many updates hold it or wait for it (the line goes when that is zero)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES, max_running: int = MAX_RUNNING_UPDATES
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._lines: dict[Key, _Line] = {}
        self._running = asyncio.Semaphore(max_running)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = turn_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        line = self._lines.setdefault(key, _Line())
        line.waiting += 1
        try:
            async with line.lock, self._running:  # the chat's turn first, so its order holds
                await coroutine
        finally:
            line.waiting -= 1
            if line.waiting == 0:
                del self._lines[key]

    @property
    def busy_chats(self) -> int:
        """Chats (or users) with an update running or waiting: bounded by the updates in flight."""
        return len(self._lines)

    async def initialize(self) -> None:
        """Nothing to set up: the lines are made as updates arrive."""

    async def shutdown(self) -> None:
        """Nothing to free: a line goes with its chat's last update."""
