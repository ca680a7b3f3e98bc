"""End to end: /log step by step (with photos, a restart, bad input and forged buttons) and the quick log."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from bot.emulator.driver import EmulatedUser, MessageView
from services.preferences import local_now
from storage.db import Database
from storage.models import (
    AttachableType,
    Attachment,
    Competition,
    ConversationState,
    SessionWeaponEntry,
    ShootingSession,
    Weapon,
)
from storage.shooting_sessions import latest_sessions
from storage.users import ensure_user
from tests.conftest import ALICE, BOB, StartBot, stop_bot

EXPIRED = "That button is no longer valid."


def small_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def labels(message: MessageView) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


def today() -> dt.date:
    return local_now(None).date()


async def seed_weapons(db: Database, user_id: int, *weapons: tuple[str, str]) -> list[int]:
    async with db.session() as session:
        await ensure_user(session, user_id, "Shooter")
        rows = [
            Weapon(user_id=user_id, name=name, type="pistol", caliber=caliber) for name, caliber in weapons
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


async def seed_session(db: Database, user_id: int, weapon_id: int, day: dt.date, club: str) -> int:
    async with db.session() as session:
        row = ShootingSession(user_id=user_id, date=day, club=club, location="Utrecht")
        row.entries = [
            SessionWeaponEntry(weapon_id=weapon_id, distance_m=25, shot_count=30, ammo_caliber="9mm")
        ]
        session.add(row)
        await session.flush()
        return row.id


async def sessions_of(db: Database, user_id: int) -> list[ShootingSession]:
    async with db.session() as session:
        return await latest_sessions(session, user_id, limit=100)


async def count(db: Database, model: type) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def choose(user: EmulatedUser, message: MessageView, label: str) -> MessageView:
    """Tap a button of a question and return the next question."""
    await user.tap(message, label)
    return await user.next_message()


async def open_log(user: EmulatedUser, club: str = "SV De Roos") -> MessageView:
    """Start /log and answer date and club; returns the location question."""
    date_question = await user.ask("/log")
    assert "Which day did you shoot" in date_question.text
    club_question = await choose(user, date_question, "Today")
    assert "club or range" in club_question.text
    return await user.ask(club)


async def test_a_full_log_with_two_entries_and_a_photo(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    glock, cz = await seed_weapons(db, ALICE, ("Glock 17", "9mm"), ("CZ Shadow 2", "9mm"))
    alice = emulator.user(ALICE, first_name="Alice")
    location_question = await open_log(alice)
    assert labels(location_question) == ["⏭ Skip"]
    weapon_question = await alice.ask("Utrecht")
    assert "Entry 1: which weapon" in weapon_question.text
    assert labels(weapon_question) == ["CZ Shadow 2 (9mm)", "Glock 17 (9mm)"]
    distance = await choose(alice, weapon_question, "Glock 17 (9mm)")
    assert "the Glock 17" in distance.text and labels(distance) == ["10 m", "25 m", "50 m", "100 m"]
    shots = await choose(alice, distance, "25 m")
    caliber = await alice.ask("50")
    assert labels(caliber) == ["Use 9mm"]
    score = await choose(alice, caliber, "Use 9mm")
    assert "from 0 to 545" in score.text
    grouping = await alice.ask("471")
    more = await alice.ask("low left, 4 cm")
    assert "1 entries, 50 shots" in more.text

    weapon_question = await choose(alice, more, "➕ Add another entry")
    photo = small_jpeg()
    await alice.send_photo(photo)
    assert (await alice.next_message()).text == "📎 Photo attached, 1 so far."
    distance = await choose(alice, weapon_question, "CZ Shadow 2 (9mm)")
    shots = await alice.ask("10 m")
    caliber = await choose(alice, shots, "60")
    score = await alice.ask(".22 LR")
    grouping = await choose(alice, score, "⏭ Skip")
    more = await choose(alice, grouping, "⏭ Skip")
    assert "2 entries, 110 shots" in more.text

    await choose(alice, more, "✅ Done")
    weather = await alice.ask("Geco")
    await choose(alice, weather, "Sunny")
    await alice.ask("19:00")
    await alice.ask("21.15")
    await alice.ask("Trigger control was better.\nSecond line.")
    competition = await alice.ask("Keep the wrist firm.")
    assert labels(competition) == ["KNSA ranking", "Club match", "No"]
    discipline = await choose(alice, competition, "Club match")
    assert "Pistol 25 m" in labels(discipline)
    summary = await choose(alice, discipline, "Pistol 25 m")
    for part in ("SV De Roos", "Utrecht", "Glock 17 · 25 m · 50 shots · 9mm", "score 471", "low left, 4 cm",
                 "CZ Shadow 2 · 10 m · 60 shots · .22 LR", "Total: 110 shots", "Geco", "Sunny", "19:00",
                 "21:15", "Club match", "Pistol 25 m", "Attachments: 1"):  # fmt: skip
        assert part in summary.text, part
    assert labels(summary) == ["💾 Save", "✏️ Edit", "✖️ Cancel"]
    saved = await choose(alice, summary, "💾 Save")
    assert "Saved: the session of" in saved.text and "110 shots, 1 attachment" in saved.text

    [row] = await sessions_of(db, ALICE)
    assert (row.date, row.club, row.location, row.ammo_brand, row.weather) == (
        today(),
        "SV De Roos",
        "Utrecht",
        "Geco",
        "Sunny",
    )
    assert (row.start_time, row.end_time) == (dt.time(19, 0), dt.time(21, 15))
    assert row.raw_notes == "Trigger control was better.\nSecond line."
    assert row.manual_reflection == "Keep the wrist firm."
    assert (row.competition, row.discipline) == (Competition.CLUB, "Pistol 25 m")
    assert [
        (e.weapon_id, e.distance_m, e.shot_count, e.ammo_caliber, e.score, e.grouping_note)
        for e in row.entries
    ] == [(glock, 25, 50, "9mm", 471, "low left, 4 cm"), (cz, 10, 60, ".22 LR", None, None)]
    async with db.session() as session:
        [attachment] = await session.scalars(select(Attachment))
    assert (attachment.user_id, attachment.attachable_type, attachment.attachable_id) == (
        ALICE,
        AttachableType.SESSION,
        row.id,
    )
    assert (attachment.mime, attachment.size, attachment.sha256) == (
        "image/jpeg",
        len(photo),
        hashlib.sha256(photo).hexdigest(),
    )
    assert attachment.telegram_file_id
    assert (data_dir / attachment.path).read_bytes() == photo
    await emulator.settle()
    assert await count(db, ConversationState) == 0
    assert "log_draft" not in bot.user_data[ALICE]


async def test_a_restart_in_the_middle_of_log_resumes_where_it_was(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database
) -> None:
    application = await start_bot()
    await seed_weapons(db, ALICE, ("Glock 17", "9mm"))
    alice = emulator.user(ALICE, first_name="Alice")
    location = await open_log(alice, "Range Noord")
    weapon_question = await choose(alice, location, "⏭ Skip")
    distance = await choose(alice, weapon_question, "Glock 17 (9mm)")
    await choose(alice, distance, "25 m")
    await alice.send_document(b"%PDF-1.4 score card", "card.pdf", "application/pdf")
    assert (await alice.next_message()).text == "📎 File attached, 1 so far."
    await emulator.settle()
    await stop_bot(application)

    await start_bot()
    caliber = await alice.ask("40")
    assert labels(caliber) == ["Use 9mm"], "the answer went to the shots question that was open"
    score = await choose(alice, caliber, "Use 9mm")
    grouping = await choose(alice, score, "⏭ Skip")
    more = await choose(alice, grouping, "⏭ Skip")
    step = await answer_until_summary(alice, await choose(alice, more, "✅ Done"))
    assert "Range Noord" in step.text and "Attachments: 1" in step.text
    await choose(alice, step, "💾 Save")
    [row] = await sessions_of(db, ALICE)
    assert row.club == "Range Noord" and row.entries[0].shot_count == 40
    assert await count(db, Attachment) == 1


async def answer_until_summary(user: EmulatedUser, question: MessageView) -> MessageView:
    """Skip what can be skipped and say "No" to competition, up to the summary."""
    while "Save this session?" not in question.text:
        names = labels(question)
        label = "⏭ Skip" if "⏭ Skip" in names else "No" if "No" in names else "✅ Done"
        question = await choose(user, question, label)
    return question


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    [glock] = await seed_weapons(db, ALICE, ("Glock 17", "9mm"))
    [bobs] = await seed_weapons(db, BOB, ("Bob's Walther", ".22 LR"))
    alice = emulator.user(ALICE, first_name="Alice")
    date_question = await alice.ask("/log")
    assert "can't read “someday” as a date" in (await alice.ask("someday")).text
    assert "is not a day on the calendar" in (await alice.ask("31-02-2026")).text
    future = (today() + dt.timedelta(days=3)).isoformat()
    assert "still to come" in (await alice.ask(future)).text
    await alice.tap(date_question, "Other day")
    assert "Type the date" in (await alice.next_message()).text
    yesterday = today() - dt.timedelta(days=1)
    club_question = await alice.ask(yesterday.strftime("%d-%m-%Y"))
    assert "club or range" in club_question.text

    too_long = "x" * 101
    assert "101 characters; the limit is 100" in (await alice.ask(too_long)).text
    location = await alice.ask("SV Oost")
    assert "101 characters; the limit is 100" in (await alice.ask(too_long)).text
    weapon_question = await choose(alice, location, "⏭ Skip")

    await alice.tap(weapon_question, "x", data=f"lg:w:{bobs}")
    await alice.tap(weapon_question, "x", data="lg:d:today")
    await emulator.settle()
    assert [answer.get("text") for answer in alice.callback_answers[-2:]] == [EXPIRED, EXPIRED]
    assert "don't know a weapon “walther”" in (await alice.ask("walther")).text
    distance = await alice.ask("glock")
    assert "the Glock 17" in distance.text

    for bad in ("0", "1001", "far"):
        assert "from 1 to 1000" in (await alice.ask(bad)).text
    await alice.ask("25")
    for bad in ("0", "-3", "10001"):
        assert "from 1 to 10000" in (await alice.ask(bad)).text
    caliber = await alice.ask("10")
    score = await choose(alice, caliber, "Use 9mm")
    assert "from 0 to 109" in score.text
    for bad in ("-1", "110", "lots"):
        assert (
            "at most 10.9 points per shot, so for these shots a whole number from 0 to 109"
            in (await alice.ask(bad)).text
        )
    grouping = await alice.ask("98")
    assert "255" in (await alice.ask("y" * 256)).text
    more = await choose(alice, grouping, "⏭ Skip")
    again = await alice.ask("done")
    assert "Please tap one of the buttons." in again.text and labels(again) == labels(more)
    brand = await choose(alice, more, "✅ Done")
    assert "101 characters" in (await alice.ask(too_long)).text
    weather = await choose(alice, brand, "⏭ Skip")
    await choose(alice, weather, "⏭ Skip")
    assert "can't read “25:00” as a time" in (await alice.ask("25:00")).text
    await alice.ask("19:30")
    answer = await alice.ask("18:00")
    assert "The end (18:00) is before the start (19:30)" in answer.text
    notes = await alice.ask("20:00")
    assert "2001 characters; the limit is 2000" in (await alice.ask("n" * 2001)).text
    reflection = await choose(alice, notes, "⏭ Skip")
    assert "2001 characters; the limit is 2000" in (await alice.ask("r" * 2001)).text
    competition = await choose(alice, reflection, "⏭ Skip")
    discipline = await choose(alice, competition, "KNSA ranking")
    assert "the limit is 64" in (await alice.ask(too_long)).text
    assert await count(db, ShootingSession) == 0, "nothing is saved before Save"
    summary = await choose(alice, discipline, "⏭ Skip")
    await choose(alice, summary, "💾 Save")

    [row] = await sessions_of(db, ALICE)
    assert (row.date, row.club, row.location, row.ammo_brand, row.discipline) == (
        yesterday,
        "SV Oost",
        None,
        None,
        None,
    )
    assert (row.start_time, row.end_time, row.competition) == (
        dt.time(19, 30),
        dt.time(20, 0),
        Competition.KNSA,
    )
    assert [(e.weapon_id, e.distance_m, e.shot_count, e.score) for e in row.entries] == [(glock, 25, 10, 98)]


async def test_log_without_weapons_points_to_addweapon(
    bot: AimTrackApplication, emulator: BotApiEmulator
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    assert "/addweapon" in (await alice.ask("/log")).text
    assert "/addweapon" in (await alice.ask("log 25m glock 50 shots")).text


async def test_the_main_menu_button_and_pending_files_start_a_log(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_weapons(db, ALICE, ("Glock 17", "9mm"))
    alice = emulator.user(ALICE, first_name="Alice")
    menu = await alice.ask("/start")
    bot.user_data[ALICE]["pending_files"] = [
        {
            "path": "attachments/ab/abc.jpg",
            "sha256": "ab" * 32,
            "size": 3,
            "mime": "image/jpeg",
            "original_name": None,
            "telegram_file_id": "file-1",
        }
    ]
    date_question = await choose(alice, menu, "🎯 Log a session")
    assert "1 file(s) you sent will be attached" in date_question.text
    assert "pending_files" not in bot.user_data[ALICE]
    # /log again while logging: the flow carries on where it was.
    again = await alice.ask("/log")
    assert "carry on" in again.text and "Which day" in again.text
    location = await open_club_from(alice, again)
    weapon_question = await choose(alice, location, "⏭ Skip")
    distance = await choose(alice, weapon_question, "Glock 17 (9mm)")
    await choose(alice, distance, "10 m")
    caliber = await alice.ask("5")
    summary = await answer_until_summary(alice, await choose(alice, caliber, "Use 9mm"))
    await alice.tap(summary, "✖️ Cancel")
    assert "nothing was saved" in (await alice.next_message()).text
    assert await count(db, ShootingSession) == 0 and await count(db, Attachment) == 0


async def open_club_from(user: EmulatedUser, date_question: MessageView) -> MessageView:
    await choose(user, date_question, "Yesterday")
    return await user.ask("SV Oost")


async def test_the_summary_edit_menu_changes_a_field_and_an_entry(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    _, cz = await seed_weapons(db, ALICE, ("Glock 17", "9mm"), ("CZ 75", "9mm"))
    alice = emulator.user(ALICE, first_name="Alice")
    location = await open_log(alice, "Old Club")
    weapon_question = await choose(alice, location, "⏭ Skip")
    distance = await choose(alice, weapon_question, "Glock 17 (9mm)")
    await choose(alice, distance, "25 m")
    caliber = await alice.ask("20")
    summary = await answer_until_summary(alice, await choose(alice, caliber, "Use 9mm"))
    edit_menu = await choose(alice, summary, "✏️ Edit")
    assert "What would you like to change?" in edit_menu.text
    club_question = await choose(alice, edit_menu, "🏟 Club")
    summary = await alice.ask("New Club")
    assert "New Club" in summary.text and "Save this session?" in summary.text
    edit_menu = await choose(alice, summary, "✏️ Edit")
    entry_menu = await choose(alice, edit_menu, "✏️ Entry 1: Glock 17")
    assert labels(entry_menu) == ["🔫 Weapon", "📏 Distance", "🎯 Shots", "Caliber", "🏅 Score", "Grouping",
                                  "« Back"]  # fmt: skip
    weapon_question = await choose(alice, entry_menu, "🔫 Weapon")
    caliber = await choose(alice, weapon_question, "CZ 75 (9mm)")
    edit_menu = await choose(alice, caliber, "Use 9mm")
    assert "What would you like to change?" in edit_menu.text, "an edited entry returns to the edit menu"
    distance = await choose(alice, await choose(alice, edit_menu, "✏️ Entry 1: CZ 75"), "📏 Distance")
    edit_menu = await choose(alice, distance, "50 m")
    await choose(alice, await choose(alice, edit_menu, "✏️ Entry 1: CZ 75"), "🎯 Shots")
    summary = await choose(alice, await alice.ask("30"), "« Back")
    assert "CZ 75 · 50 m · 30 shots" in summary.text and club_question
    await choose(alice, summary, "💾 Save")
    [row] = await sessions_of(db, ALICE)
    assert row.club == "New Club"
    assert [(e.weapon_id, e.distance_m, e.shot_count) for e in row.entries] == [(cz, 50, 30)]


async def test_a_refused_file_during_log_is_explained(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_weapons(db, ALICE, ("Glock 17", "9mm"))
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.ask("/log")
    await alice.send_document(b"MZ...", "tool.exe", "application/x-msdownload")
    assert "I keep photos" in (await alice.next_message()).text
    assert not bot.user_data[ALICE]["log_draft"]["draft"]["files"]


async def test_a_conversation_whose_draft_is_gone_starts_over(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_weapons(db, ALICE, ("Glock 17", "9mm"))
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.ask("/log")
    bot.user_data[ALICE].pop("log_draft")
    assert "start again with /log" in (await alice.ask("today")).text
    assert "Which day" in (await alice.ask("/log")).text


# --- the quick log -----------------------------------------------------------------------------------


async def test_the_quick_log_in_both_forms(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database
) -> None:
    application = await start_bot()
    glock, cz = await seed_weapons(db, ALICE, ("Glock 17", "9mm"), ("CZ Shadow 2", "9mm"))
    await seed_session(db, ALICE, glock, today() - dt.timedelta(days=7), "SV De Roos")
    alice = emulator.user(ALICE, first_name="Alice")

    confirmation = await alice.ask("/log 25m glock 50 shots 471")
    for part in ("Quick log", "SV De Roos", "Glock 17 · 25 m · 50 shots · 9mm", "score 471"):
        assert part in confirmation.text, part
    assert labels(confirmation) == ["💾 Save", "✖️ Cancel"]
    assert all(len(data.encode()) <= 64 for row in confirmation.buttons for _, data in row)
    await emulator.settle()
    await stop_bot(application)  # the confirmation survives a restart
    application = await start_bot()
    await alice.tap(confirmation, "💾 Save")
    assert "✅ Saved." in (await alice.next_edit()).text
    await alice.tap(confirmation, "💾 Save", data=confirmation.buttons[0][0][1])
    await emulator.settle()
    assert alice.callback_answers[-1].get("text") == EXPIRED, "a second tap saves nothing more"
    assert (await alice.next_message()).text.startswith("🤖 AI reflection"), "one reflection per save"

    second = await alice.ask("Log cz 10 m 60 schoten 540")
    assert "CZ Shadow 2 · 10 m · 60 shots" in second.text and "score 540" in second.text
    await alice.tap(second, "💾 Save")
    await alice.next_edit()
    assert "CZ Shadow 2 at 10 m" in (await alice.next_message()).text
    third = await alice.ask("log glock 25m 20x")
    await alice.tap(third, "✖️ Cancel")
    assert "nothing was saved" in (await alice.next_edit()).text

    sessions = await sessions_of(db, ALICE)
    assert len(sessions) == 3
    newest = [row for row in sessions if row.date == today()]
    understood = {
        (row.club, row.entries[0].weapon_id, row.entries[0].shot_count, row.entries[0].score)
        for row in newest
    }
    assert understood == {("SV De Roos", glock, 50, 471), ("SV De Roos", cz, 60, 540)}
    assert "quick_logs" not in application.user_data.get(ALICE, {})


async def test_the_quick_log_explains_what_it_cannot_use(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_weapons(db, ALICE, ("Glock 17", "9mm"), ("CZ Shadow 2", "9mm"), ("CZ 75", "9mm"))
    alice = emulator.user(ALICE, first_name="Alice")
    unknown = await alice.ask("log walther 10m 60 schoten 540")
    assert "don't know a weapon “walther”" in unknown.text
    assert "CZ 75, CZ Shadow 2, Glock 17" in unknown.text and not unknown.buttons
    ambiguous = await alice.ask("log cz 10m 60x")
    assert "more than one weapon: CZ 75, CZ Shadow 2" in ambiguous.text
    assert "A quick log looks like" in (await alice.ask("/log glock 50 shots")).text
    assert "at most 10.9 points per shot" in (await alice.ask("log glock 25m 10x 200")).text
    assert "from 1 to 10000" in (await alice.ask("log glock 25m 10001 shots")).text
    await alice.tap(unknown, "x", data="ql:s:deadbeef")
    await emulator.settle()
    assert alice.callback_answers[-1].get("text") == EXPIRED
    assert await count(db, ShootingSession) == 0


# --- editing a saved entry ---------------------------------------------------------------------------

EDIT_TEXTS = {
    "en": {
        "today": "Today", "skip": "⏭ Skip", "use": "Use 9mm", "done": "✅ Done", "no": "No",
        "save": "💾 Save", "edit": "✏️ Edit", "entry": "✏️ Entry 1: Glock 17", "keep": "Keep as it is",
        "back": "« Back", "now": "Now: ", "weapon": "🔫 Weapon", "distance": "📏 Distance",
        "shots": "🎯 Shots", "caliber": "Caliber", "score_field": "🏅 Score", "grouping_field": "Grouping",
        "menu": "What would you like to change?", "more": "Another weapon",
        "entry_line": "Glock 17 · 25 m · 45 shots · 9mm", "score": "score 471",
        "grouping": "grouping: low left",
        "updated": "Updated: the session of", "listing": "Your sessions",
    },
    "nl": {
        "today": "Vandaag", "skip": "⏭ Overslaan", "use": "9mm gebruiken", "done": "✅ Klaar", "no": "Nee",
        "save": "💾 Opslaan", "edit": "✏️ Wijzigen", "entry": "✏️ Onderdeel 1: Glock 17", "keep": "Zo laten",
        "back": "« Terug", "now": "Nu: ", "weapon": "🔫 Wapen", "distance": "📏 Afstand",
        "shots": "🎯 Schoten", "caliber": "Kaliber", "score_field": "🏅 Score",
        "grouping_field": "Groepering", "menu": "Wat wil je wijzigen?", "more": "Nog een wapen",
        "entry_line": "Glock 17 · 25 m · 45 schoten · 9mm", "score": "score 471",
        "grouping": "groepering: low left", "updated": "Gewijzigd: de sessie van", "listing": "Je sessies",
    },
}  # fmt: skip


async def ask_past_the_reflection(user: EmulatedUser, text: str, answer: str) -> MessageView:
    """Send `text` and return the reply containing `answer` (the saved session's AI reflection may come
    before it)."""
    await user.send_text(text)
    while answer not in (message := await user.next_message()).text:
        pass
    return message


async def open_card(user: EmulatedUser, listing: MessageView, button: str) -> MessageView:
    """Tap a session of the listing; the listing becomes its card (earlier edits marked tapped answers)."""
    await user.tap(listing, button)
    while (card := await user.next_edit()).message_id != listing.message_id:
        pass
    return card


async def edit_menu_of_a_logged_entry(
    alice: EmulatedUser, words: dict[str, str]
) -> tuple[MessageView, str]:
    """Log Glock 17, 25 m, 50 shots, 471, "low left" at SV De Roos today, save it, open its card from
    /sessions and tap Edit: the edit menu, and the listing's button of the session."""
    await choose(alice, await alice.ask("/log"), words["today"])
    location = await alice.ask("SV De Roos")
    distance = await choose(alice, await choose(alice, location, words["skip"]), "Glock 17 (9mm)")
    await choose(alice, distance, "25 m")
    await choose(alice, await alice.ask("50"), words["use"])
    await alice.ask("471")
    step = await choose(alice, await alice.ask("low left"), words["done"])
    while words["save"] not in labels(step):
        names = labels(step)
        step = await choose(alice, step, words["skip"] if words["skip"] in names else words["no"])
    await choose(alice, step, words["save"])
    listing = await ask_past_the_reflection(alice, "/sessions", words["listing"])
    [button] = [label for label in labels(listing) if "SV De Roos" in label]
    await alice.tap(await open_card(alice, listing, button), words["edit"])
    return await alice.next_message(), button


@pytest.mark.parametrize("language", ["en", "nl"])
async def test_editing_a_saved_entry_keeps_what_is_not_changed(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, language: str
) -> None:
    """Changing only the shots of a saved entry keeps its score and grouping (they were erased)."""
    words = EDIT_TEXTS[language]
    [glock] = await seed_weapons(db, ALICE, ("Glock 17", "9mm"))
    alice = emulator.user(ALICE, first_name="Alice", language_code=language)
    menu, button = await edit_menu_of_a_logged_entry(alice, words)
    step = menu
    shown = {"weapon": "Glock 17 (9mm)", "distance": "25 m", "shots": "50", "caliber": "9mm",
             "score_field": "471", "grouping_field": "low left"}  # fmt: skip
    for field, value in shown.items():
        step = await choose(alice, await choose(alice, step, words["entry"]), words[field])
        assert f"{words['now']}{value}" in step.text, (field, step.text)
        assert words["keep"] in labels(step) and words["skip"] not in labels(step), labels(step)
        if field == "shots":
            step = await alice.ask("45")  # 471 is still possible from 45 shots (at most 10.9 a shot)
        else:
            step = await choose(alice, step, words["keep"])
        if field == "weapon":  # a weapon is followed by its caliber
            step = await choose(alice, step, words["keep"])
        assert words["more"] not in step.text, "back to the edit menu, not “another weapon?”"
        assert words["menu"] in step.text, (field, step.text)
    for part in ("entry_line", "score", "grouping"):
        assert words[part] in step.text, part
    summary = await choose(alice, step, words["back"])
    assert words["updated"] in (await choose(alice, summary, words["save"])).text

    listing = await ask_past_the_reflection(alice, "/sessions", words["listing"])
    card = await open_card(alice, listing, button)
    for part in ("entry_line", "score", "grouping"):
        assert words[part] in card.text, (part, card.text)
    [row] = await sessions_of(db, ALICE)
    assert [
        (e.weapon_id, e.distance_m, e.shot_count, e.ammo_caliber, e.score, e.grouping_note)
        for e in row.entries
    ] == [(glock, 25, 45, "9mm", 471, "low left")]


async def test_fewer_shots_than_a_kept_score_allows_ask_the_score_again(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    """471 from 50 shots edited to 40 shots (at most 436): the score question comes, with no Keep, and a
    score that cannot be is refused; the entry is stored as 40 shots, 400."""
    words = EDIT_TEXTS["en"]
    [glock] = await seed_weapons(db, ALICE, ("Glock 17", "9mm"))
    alice = emulator.user(ALICE, first_name="Alice")
    menu, _ = await edit_menu_of_a_logged_entry(alice, words)

    await choose(alice, await choose(alice, menu, words["entry"]), words["shots"])
    score = await alice.ask("40")
    assert f"{words['now']}471" in score.text and "436" in score.text, score.text
    assert words["keep"] not in labels(score) and words["skip"] not in labels(score), labels(score)
    assert "at most 10.9 points per shot" in (await alice.ask("471")).text
    step = await alice.ask("400")
    assert words["menu"] in step.text and "score 400" in step.text, step.text
    await choose(alice, await choose(alice, step, words["back"]), words["save"])
    [row] = await sessions_of(db, ALICE)
    assert [(e.weapon_id, e.shot_count, e.score, e.grouping_note) for e in row.entries] == [
        (glock, 40, 400, "low left")
    ]
