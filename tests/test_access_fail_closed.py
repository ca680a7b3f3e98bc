"""The access gate fails closed: whatever goes wrong in it (the refusal cannot be sent, the user's row cannot
be written), the update stops there: no feature handler runs and nothing of it is stored; the failure is
logged once.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator, server_error
from storage.db import Database
from storage.models import Attachment, PersistedData, User
from tests.conftest import ALICE, MALLORY

JPEG = b"\xff\xd8\xff\xe0 a stranger's photo"
GATE_FAILED = "The access gate failed"


async def count(db: Database, model: type, *conditions: object) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*conditions))


def files_in(data_dir: Path) -> list[Path]:
    folder = data_dir / "attachments"
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


async def test_a_stranger_whose_refusal_cannot_be_sent_gets_nothing_stored(
    bot: AimTrackApplication,
    emulator: BotApiEmulator,
    db: Database,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    mallory = emulator.user(MALLORY, first_name="Mallory")
    emulator.inject("sendMessage", server_error(500), times=20)  # more than any retry
    await mallory.send_photo(JPEG, caption="keep this")
    await emulator.settle(timeout=30)
    emulator.clear_faults()

    assert any(method == "sendMessage" for method, _, _ in emulator.errors), "the refusal was tried"
    assert not any(method == "getFile" for method, _ in emulator.calls), "her photo was never fetched"
    assert await count(db, Attachment) == 0
    assert await count(db, User) == 0
    assert await count(db, PersistedData) == 0
    assert files_in(data_dir) == []
    assert caplog.text.count(GATE_FAILED) == 1, "logged once"
    assert "Unhandled error" not in caplog.text, "not logged again by the error handler"


async def test_an_allowed_user_whose_row_cannot_be_written_is_served_by_no_feature(
    bot: AimTrackApplication,
    emulator: BotApiEmulator,
    db: Database,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with db.session() as session:
        await session.execute(
            text(
                "CREATE TRIGGER users_full BEFORE INSERT ON users "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        )
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_photo(JPEG)
    await alice.send_text("/mydata")
    await emulator.settle(timeout=30)

    assert alice.messages == [], "no feature answered"
    assert not any(method in ("getFile", "sendDocument") for method, _ in emulator.calls)
    assert await count(db, Attachment) == 0
    assert files_in(data_dir) == []
    assert caplog.text.count(GATE_FAILED) == 2, "once per update"
    assert "Unhandled error" not in caplog.text

    async with db.session() as session:
        await session.execute(text("DROP TRIGGER users_full"))
    assert "Hello Alice" in (await alice.ask("/start", timeout=30)).text, "and it works again afterwards"
