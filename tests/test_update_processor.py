"""Chats are served at the same time and each chat in order (bot/update_processor.py), end to end."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from bot.emulator.driver import EmulatedUser, MessageView
from bot.update_processor import PerChatUpdateProcessor, turn_key
from storage.db import Database
from storage.models import Weapon
from tests.conftest import ALICE, BOB

HOLD_GROUP = -2  # before the access gate: it sees every update first


async def weapons_of(db: Database, user_id: int) -> list[Weapon]:
    async with db.session() as session:
        return list(await session.scalars(select(Weapon).where(Weapon.user_id == user_id)))


async def both(*waits: object) -> list[MessageView]:
    return list(await asyncio.gather(*waits))


async def test_the_bot_serves_chats_with_the_per_chat_processor(bot: AimTrackApplication) -> None:
    assert isinstance(bot.update_processor, PerChatUpdateProcessor)
    assert bot.update_processor.max_concurrent_updates > 1


async def test_a_slow_chat_holds_up_only_itself_and_its_updates_stay_in_order(
    bot: AimTrackApplication, emulator: BotApiEmulator
) -> None:
    held, release = asyncio.Event(), asyncio.Event()

    async def hold_alices_help(update: Update, _context: object) -> None:
        message = update.effective_message
        if update.effective_user.id == ALICE and message is not None and message.text == "/help":
            held.set()
            await release.wait()

    bot.add_handler(TypeHandler(Update, hold_alices_help), group=HOLD_GROUP)
    alice = emulator.user(ALICE, first_name="Alice")
    bob = emulator.user(BOB, first_name="Bob")

    await alice.send_text("/help")
    await asyncio.wait_for(held.wait(), timeout=10)
    await alice.send_text("/start")
    assert "Hello Bob" in (await bob.ask("/start")).text, "Bob is answered while Alice's chat is slow"
    assert "/settings" in (await bob.ask("/help")).text
    await emulator.settle(handled=False)  # Alice's /help is held on purpose
    assert alice.messages == [], "Alice's /start waits for her /help"

    release.set()
    first, second = await alice.next_message(), await alice.next_message()
    assert "/settings" in first.text and "Hello Alice" in second.text, "in the order she sent them"
    await emulator.settle()
    assert bot.update_processor.busy_chats == 0, "no line is kept for a chat with nothing to do"


async def _add_weapon_step_by_step(users: list[EmulatedUser], names: list[str], kinds: list[str]) -> None:
    """Both users walk the weapon form at the same time: each step is sent by both before either answer."""
    menus = await both(*(user.ask("/start") for user in users))
    for user, menu in zip(users, menus, strict=True):
        await user.tap(menu, "➕ Add weapon")
    await both(*(user.next_message() for user in users))
    for user, name in zip(users, names, strict=True):
        await user.send_text(name)
    questions = await both(*(user.next_message() for user in users))
    for user, question, kind in zip(users, questions, kinds, strict=True):
        await user.tap(question, kind)
    await both(*(user.next_edit() for user in users))
    for user, caliber in zip(users, ("6.5 Creedmoor", "9mm"), strict=True):
        await user.send_text(caliber)
    questions = await both(*(user.next_message() for user in users))
    for _ in range(4):  # serial number, storage location, purchase date, notes
        for user, question in zip(users, questions, strict=True):
            await user.tap(question, "Skip ⏭")
        questions = await both(*(user.next_edit() for user in users))
    assert all(question.text.startswith("✅ Saved.") for question in questions)


async def test_two_users_conversations_interleave_without_mixing(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    bob = emulator.user(BOB, first_name="Bob")
    await _add_weapon_step_by_step([alice, bob], ["Tikka T3x", "Glock 19"], ["Rifle", "Pistol"])

    [rifle] = await weapons_of(db, ALICE)
    [pistol] = await weapons_of(db, BOB)
    assert (rifle.name, rifle.type, rifle.caliber) == ("Tikka T3x", "rifle", "6.5 Creedmoor")
    assert (pistol.name, pistol.type, pistol.caliber) == ("Glock 19", "pistol", "9mm")
    assert not emulator.errors


def test_updates_wait_on_their_chat_else_their_user() -> None:
    chat = {"id": ALICE, "type": "private", "first_name": "Alice"}
    user = {"id": ALICE, "is_bot": False, "first_name": "Alice"}
    message = {"message_id": 1, "date": 0, "chat": chat, "from": user, "text": "hi"}
    assert turn_key(Update.de_json({"update_id": 1, "message": message}, None)) == ("chat", ALICE)
    inline = {"id": "7", "from": user, "chat_instance": "x", "inline_message_id": "abc", "data": "pk:h"}
    assert turn_key(Update.de_json({"update_id": 2, "callback_query": inline}, None)) == ("user", ALICE)
    assert turn_key(object()) is None
