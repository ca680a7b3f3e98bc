"""SQLite commits are durable (`synchronous=FULL`: on disk before the answer is sent, so they survive a
power loss). A database locked by another writer (another process, a `sqlite3` shell): the bot waits out
SQLite's busy timeout, runs the transaction again after a growing delay, and the user's step is taken once
the lock is gone; no handler runs before the user's row is written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from storage import db as db_module
from storage.users import get_user
from tests.conftest import ALICE, StartBot

HELP = "What I can do"
LOCKED = "The database is locked by another writer"


async def test_the_bots_sqlite_commits_are_synchronous_full(bot: AimTrackApplication) -> None:
    async with bot.runtime.db.session() as session:
        assert await session.scalar(text("PRAGMA synchronous")) == 2  # FULL (NORMAL is 1)


async def test_a_locked_database_is_waited_for(
    start_bot: StartBot,
    emulator: BotApiEmulator,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(db_module, "LOCKED_RETRY_DELAYS_S", (0.5, 0.5, 5.0))
    application = await start_bot()
    other = sqlite3.connect(data_dir / "aimtrack.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
        alice = emulator.user(ALICE, first_name="Alice")  # first contact: her row is to be written
        await alice.send_text("/help")
        # Tried three times, waiting twice in between (the emulator's long polls wake the check).
        await emulator.state.wait_for(lambda: caplog.text.count(LOCKED) >= 2, 30)
        assert alice.messages == [], "nothing was handled without Alice's row"
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert HELP in (await alice.next_message(timeout=30)).text, "the step is taken once the lock is gone"
    async with application.runtime.db.session() as session:
        assert await get_user(session, ALICE) is not None
