"""End to end: the real Application polls the loopback emulator; we act as users and read the database."""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select
from telegram.ext import CommandHandler

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from handlers import start
from storage.db import Database
from storage.models import ConversationState, PersistedData, User
from tests.conftest import ALICE, BOB, MALLORY, StartBot, stop_bot


def labels(message) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


async def user_row(db: Database, user_id: int) -> User | None:
    async with db.session() as session:
        return await session.get(User, user_id)


async def count(db: Database, model) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_start_greets_an_allowed_user_with_the_menu_as_buttons(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice", language_code="en")
    reply = await alice.ask("/start")
    assert "Hello Alice" in reply.text
    menu = labels(reply)
    assert {"🎯 Log a session", "🔫 Weapons", "🧳 New journey", "⚙️ Settings", "❓ Help"} <= set(menu)
    assert menu[-2:] == ["⚙️ Settings", "❓ Help"] and len(menu) == len(set(menu))
    row = await user_row(db, ALICE)
    assert row is not None and row.display_name == "Alice"
    assert row.telegram_language == "en", "kept for messages the bot starts itself (jobs)"


async def test_start_speaks_dutch_to_a_dutch_telegram_app(
    bot: AimTrackApplication, emulator: BotApiEmulator
) -> None:
    bob = emulator.user(BOB, first_name="Bram", language_code="nl")
    reply = await bob.ask("/start")
    assert reply.text.startswith("Hallo Bram")
    assert "⚙️ Instellingen" in labels(reply)


async def test_help_button_shows_the_commands(bot: AimTrackApplication, emulator: BotApiEmulator) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    menu = await alice.ask("/start")
    await alice.tap(menu, "❓ Help")
    help_message = await alice.next_message()
    assert "/settings" in help_message.text and "/cancel" in help_message.text
    assert alice.callback_answers, "the tap was answered, so the phone stops its spinner"


async def test_a_stranger_gets_one_polite_refusal_and_nothing_is_stored(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    mallory = emulator.user(MALLORY, first_name="Mallory")
    reply = await mallory.ask("/start")
    assert "private bot" in reply.text
    await mallory.send_text("hello?")
    await mallory.tap(reply.message_id, "x", data="set:lang:nl")
    await emulator.settle()
    assert len(mallory.messages) == 1, "no second refusal"
    assert await user_row(db, MALLORY) is None
    assert await count(db, PersistedData) == 0
    assert await count(db, ConversationState) == 0


async def test_the_first_user_with_the_printed_code_claims_the_bot(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.app")
    application = await start_bot(aimtrack_allowed_users=frozenset())
    code = re.search(r"claim it:  /start (\S+)", caplog.text)[1]

    mallory = emulator.user(MALLORY, first_name="Mallory")
    assert "not valid" in (await mallory.ask("/start guess")).text
    owner = emulator.user(ALICE, first_name="Alice")
    assert "now the owner" in (await owner.ask(f"/start {code}")).text
    assert "Hello Alice" in (await owner.next_message()).text
    assert (await user_row(db, ALICE)).claimed_at is not None

    # The code is spent: the stranger cannot use it, and is refused.
    assert "private bot" in (await mallory.ask(f"/start {code}")).text
    assert await user_row(db, MALLORY) is None

    # After a restart the owner is still the owner and no new code is printed.
    await stop_bot(application)
    caplog.clear()
    await start_bot(aimtrack_allowed_users=frozenset())
    assert "/start" not in caplog.text
    assert "Hello Alice" in (await owner.ask("/start")).text


async def test_cancel_outside_a_flow_says_there_is_nothing_to_cancel(
    bot: AimTrackApplication, emulator: BotApiEmulator
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    assert (await alice.ask("/cancel")).text == "There is nothing to cancel."


async def _open_time_zone_typing(alice):
    settings_message = await alice.ask("/settings")
    await alice.tap(settings_message, "🕒 Time zone")
    zones = await alice.next_edit()
    await alice.tap(zones, "⌨️ Another zone")
    return await alice.next_message()


async def test_cancel_ends_a_conversation_and_changes_nothing(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    assert "Type the time zone" in (await _open_time_zone_typing(alice)).text
    assert (await alice.ask("/cancel")).text == "Cancelled."
    reply = await alice.ask("Asia/Tokyo")
    assert "not logged any sessions yet" in reply.text, "the flow is over: the text goes to the coach"
    assert (await user_row(db, ALICE)).time_zone is None


async def test_settings_language_switch_changes_the_next_reply(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice", language_code="en")
    settings_message = await alice.ask("/settings")
    assert "Language: same as your Telegram app (English)" in settings_message.text
    await alice.tap(settings_message, "🌐 Language")
    await alice.tap(await alice.next_edit(), "Nederlands")
    confirmation = await alice.next_edit()
    assert confirmation.text.startswith("Vanaf nu spreek ik Nederlands")
    assert (await user_row(db, ALICE)).language == "nl"
    assert (await alice.ask("/help")).text.startswith("Wat ik kan")


async def test_a_typed_time_zone_is_checked_and_stored(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    await _open_time_zone_typing(alice)
    assert "don't know the time zone" in (await alice.ask("Mars/Olympus")).text
    long_reply = await alice.ask("x" * 2000)
    assert "don't know the time zone" in long_reply.text and len(long_reply.text) < 300
    assert (await user_row(db, ALICE)).time_zone is None
    reply = await alice.ask("asia/tokyo")
    assert "Time zone set to Asia/Tokyo" in reply.text
    assert (await user_row(db, ALICE)).time_zone == "Asia/Tokyo"


async def test_a_conversation_resumes_after_a_restart(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database
) -> None:
    application = await start_bot()
    alice = emulator.user(ALICE, first_name="Alice")
    await _open_time_zone_typing(alice)
    await stop_bot(application)
    await start_bot()
    assert "Time zone set to Europe/Lisbon" in (await alice.ask("Europe/Lisbon")).text
    await emulator.settle()
    assert await count(db, ConversationState) == 0, "the finished conversation left no state behind"


async def test_a_forged_settings_button_changes_nothing(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    settings_message = await alice.ask("/settings")
    await alice.tap(settings_message, "x", data="set:lang:xx")
    await alice.tap(settings_message, "x", data="set:tz:Mars/Olympus")
    await alice.tap(settings_message, "x", data="nonsense")
    await emulator.settle()
    assert [answer.get("text") for answer in alice.callback_answers] == [
        "That button is no longer valid."
    ] * 3
    row = await user_row(db, ALICE)
    assert row.language is None and row.time_zone is None


async def test_a_failing_handler_is_logged_and_the_user_is_told(
    bot: AimTrackApplication, emulator: BotApiEmulator, caplog
) -> None:
    async def boom(update, context) -> None:
        raise RuntimeError("kaboom")

    bot.add_handler(CommandHandler("boom", boom), group=1)
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_text("/boom")
    replies = [await alice.next_message(), await alice.next_message()]
    assert any("something went wrong" in reply.text for reply in replies)
    assert "kaboom" in caplog.text
    assert "Hello" in (await alice.ask("/start")).text, "the bot keeps working"


async def test_the_command_menu_is_set_in_english_and_dutch(
    bot: AimTrackApplication, emulator: BotApiEmulator
) -> None:
    english = {command["command"]: command["description"] for command in emulator.commands[""]}
    dutch = {command["command"]: command["description"] for command in emulator.commands["nl"]}
    assert list(english) == list(dutch) == start.COMMANDS
    assert {"start", "log", "weapons", "journey", "settings", "help", "cancel"} <= set(english)
    assert dutch["settings"] == "Taal en tijdzone"


async def test_the_token_never_reaches_the_logs(
    bot: AimTrackApplication, emulator: BotApiEmulator, caplog
) -> None:
    from bot.cli import configure_logging

    configure_logging()
    caplog.set_level(logging.DEBUG)
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.ask("/start")
    assert caplog.records, "something was logged"
    assert emulator.token not in caplog.text


async def test_a_label_button_of_an_older_layout_is_answered_with_nothing(
    bot: AimTrackApplication, emulator: BotApiEmulator
) -> None:
    """A calendar's label cell (`jf:x`) or a list's heading (`pk:h`) from before their layout changed, tapped
    outside any flow: the spinner stops, no "no longer valid", no message; a forged one still is stale."""
    alice = emulator.user(ALICE, first_name="Alice")
    menu = await alice.ask("/start")
    for data in ("jf:x", "pk:h", "_", "jf:y"):
        await alice.tap(menu, "x", data=data)
    await emulator.settle()
    assert [answer.get("text") for answer in alice.callback_answers] == [
        None,
        None,
        None,
        "That button is no longer valid.",
    ]
    assert [message.message_id for message in alice.messages] == [menu.message_id]
