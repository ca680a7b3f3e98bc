"""The access gate fails closed: whatever goes wrong in it (the refusal cannot be sent, the user's row cannot
be written), the update stops there: no feature handler runs and nothing of it is stored; the failure is
logged once. The bot works in private chats only: a group, supergroup or channel is told so once, and
nothing sent there is handled, not even an allowed user's command.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator, server_error, slow
from bot.emulator.driver import EmulatedUser
from bot.emulator.state import ChatState, Fault
from bot.retrying import RETRY_DELAYS_S
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


@pytest.mark.parametrize(
    ("fault", "times"),
    # 20: more than any retry; 8 s: past the bot's read timeout, on the first try and on every retry
    [(server_error(500), 20), (slow(8), len(RETRY_DELAYS_S) + 1)],
    ids=["500", "timeout"],
)
async def test_a_stranger_whose_refusal_cannot_be_sent_gets_nothing_stored(
    fault: Fault,
    times: int,
    bot: AimTrackApplication,
    emulator: BotApiEmulator,
    db: Database,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    mallory = emulator.user(MALLORY, first_name="Mallory")
    emulator.inject("sendMessage", fault, times=times)
    await mallory.send_photo(JPEG, caption="keep this")
    await emulator.settle(timeout=60)
    emulator.clear_faults()

    assert any(method == "sendMessage" for method, _ in emulator.calls), "the refusal was tried"
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


def group_member(
    emulator: BotApiEmulator, chat_id: int, chat_type: str, sender: EmulatedUser
) -> EmulatedUser:
    """`sender` in a group chat with the bot (the emulator's users are in private chats of their own)."""
    chat = ChatState(
        chat={"id": chat_id, "type": chat_type, "title": "Range buddies"}, user=sender._chat.user
    )
    emulator.state.chats[chat_id] = chat
    return EmulatedUser(emulator.state, chat)


async def test_groups_supergroups_and_channels_get_one_note_and_nothing_else(
    bot: AimTrackApplication,
    emulator: BotApiEmulator,
    db: Database,
    data_dir: Path,
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_text("/weapons")  # she is allowed, and has a row: it is the group that is refused
    await alice.next_message()
    for chat_id, chat_type in ((-4001, "group"), (-1_000_000_4002, "supergroup")):
        group = group_member(emulator, chat_id, chat_type, alice)
        await group.send_text("/mydata")
        await group.send_text("/weapons")
        await group.send_text("/start")
        await group.send_photo(JPEG)
        await group.send_text("How is my grip?")
        note = await group.next_message(timeout=10)
        await group.tap(note, "x", data="set:lang:nl")
        await emulator.settle()
        assert [message.text for message in group.messages] == [note.text], f"one note in the {chat_type}"
        assert "private chat" in note.text
        assert len(group.callback_answers) == 1, "the tap is answered, and nothing more"

    channel = ChatState(chat={"id": -1_000_000_4003, "type": "channel", "title": "News"}, user={})
    emulator.state.chats[channel.id] = channel
    for number in (1, 2):
        post = {"message_id": number, "date": 0, "chat": channel.chat, "text": "/mydata"}
        emulator.state.push_update({"channel_post": post})
    await emulator.settle()
    assert [message.data.get("text") for message in channel.sent] == [note.text], "one note in the channel"

    assert not any(method in ("getFile", "sendDocument") for method, _ in emulator.calls)
    assert await count(db, Attachment) == 0
    assert files_in(data_dir) == []
    assert len(alice.messages) == 1, "nothing went to her private chat either"
