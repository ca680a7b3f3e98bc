"""End to end: /sessions paging, a session's card, deleting with confirmation, editing, forged buttons."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from bot.emulator.driver import EmulatedUser, MessageView
from storage.db import Database
from storage.models import AttachableType, Attachment, SessionWeaponEntry, ShootingSession, Weapon
from storage.shooting_sessions import get_session
from storage.users import ensure_user
from tests.conftest import ALICE, BOB

NOT_FOUND = "That session does not exist (any more)."
FIRST_DAY = dt.date(2026, 1, 5)


def labels(message: MessageView) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


def data_of(message: MessageView, label: str) -> str:
    return next(data for row in message.buttons for text, data in row if text == label)


async def seed(db: Database, user_id: int, sessions: int) -> tuple[int, list[int]]:
    """A weapon and `sessions` sessions a week apart (the newest last), each with one 20-shot entry."""
    async with db.session() as session:
        await ensure_user(session, user_id, "Shooter")
        weapon = Weapon(user_id=user_id, name=f"Glock {user_id}", type="pistol", caliber="9mm")
        session.add(weapon)
        await session.flush()
        rows = []
        for number in range(sessions):
            row = ShootingSession(
                user_id=user_id, date=FIRST_DAY + dt.timedelta(weeks=number), club=f"Club {number + 1}"
            )
            row.entries = [
                SessionWeaponEntry(weapon_id=weapon.id, distance_m=25, shot_count=20, ammo_caliber="9mm")
            ]
            rows.append(row)
        session.add_all(rows)
        await session.flush()
        return weapon.id, [row.id for row in rows]


async def add_attachment_row(db: Database, user_id: int, kind: AttachableType, owner_id: int) -> None:
    async with db.session() as session:
        session.add(
            Attachment(
                user_id=user_id,
                attachable_type=kind,
                attachable_id=owner_id,
                path="attachments/ab/abc.jpg",
                mime="image/jpeg",
                size=3,
                sha256="ab" * 32,
            )
        )


async def count(db: Database, model: type, *conditions: object) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*conditions))


async def tap_edit(user: EmulatedUser, message: MessageView, label: str) -> MessageView:
    await user.tap(message, label)
    return await user.next_edit()


async def test_sessions_are_paged_five_at_a_time(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed(db, ALICE, 12)
    alice = emulator.user(ALICE, first_name="Alice")
    first = await alice.ask("/sessions")
    assert "page 1 of 3, 12 in all" in first.text
    assert "23 Mar 2026 · Club 12 · Glock 1001 · 20 shots" in first.text, "the newest first"
    assert labels(first) == [
        "23 Mar 2026 · Club 12",
        "16 Mar 2026 · Club 11",
        "9 Mar 2026 · Club 10",
        "2 Mar 2026 · Club 9",
        "23 Feb 2026 · Club 8",
        "▶",
    ]
    second = await tap_edit(alice, first, "▶")
    assert "page 2 of 3" in second.text and labels(second)[0] == "16 Feb 2026 · Club 7"
    assert labels(second)[-2:] == ["◀", "▶"]
    third = await tap_edit(alice, second, "▶")
    assert "page 3 of 3" in third.text
    assert labels(third) == ["12 Jan 2026 · Club 2", "5 Jan 2026 · Club 1", "◀"]
    back = await tap_edit(alice, third, "◀")
    assert "page 2 of 3" in back.text
    assert all(len(data.encode()) <= 64 for row in back.buttons for _, data in row)
    assert len(alice.callback_answers) == 3


async def test_dutch_dates_and_an_empty_list(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    bram = emulator.user(BOB, first_name="Bram", language_code="nl")
    assert "Nog geen sessies" in (await bram.ask("/sessions")).text
    await seed(db, BOB, 1)
    menu = await bram.ask("/start")
    await bram.tap(menu, "📋 Mijn sessies")
    listing = await bram.next_message()
    assert "05-01-2026 · Club 1 · Glock 1002 · 20 schoten" in listing.text


async def test_a_card_and_deleting_with_confirmation(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    _, ids = await seed(db, ALICE, 12)
    newest = ids[-1]
    async with db.session() as session:
        entry_id = (await get_session(session, ALICE, newest)).entries[0].id
    await add_attachment_row(db, ALICE, AttachableType.SESSION, newest)
    await add_attachment_row(db, ALICE, AttachableType.ENTRY, entry_id)
    await add_attachment_row(db, ALICE, AttachableType.SESSION, ids[0])
    alice = emulator.user(ALICE, first_name="Alice")
    listing = await alice.ask("/sessions")
    card = await tap_edit(alice, listing, "23 Mar 2026 · Club 12")
    assert "Session of 23 Mar 2026" in card.text and "Club 12" in card.text
    assert "Glock 1001 · 25 m · 20 shots · 9mm" in card.text
    assert "📎 Attachments: 2" in card.text, "the session's file and its entry's"
    assert labels(card) == ["✏️ Edit", "🗑 Delete", "📷 Photos (2)", "📄 PDF", "🤖 AI reflection", "« Sessions"]
    assert data_of(card, "📷 Photos (2)") == f"ph:s:{newest}"

    question = await tap_edit(alice, card, "🗑 Delete")
    assert "Delete the session of 23 Mar 2026, with its 1 entries and 2 attachment(s)?" in question.text
    card_again = await tap_edit(alice, question, "No, keep it")
    assert "Session of 23 Mar 2026" in card_again.text
    assert await count(db, ShootingSession) == 12
    question = await tap_edit(alice, card_again, "🗑 Delete")
    done = await tap_edit(alice, question, "🗑 Yes, delete")
    assert "The session of 23 Mar 2026 is deleted" in done.text

    assert await count(db, ShootingSession) == 11
    assert await count(db, SessionWeaponEntry, SessionWeaponEntry.session_id == newest) == 0
    assert await count(db, Attachment) == 1, "its attachments (session and entry) went; another's stayed"
    listing = await tap_edit(alice, done, "« Sessions")
    assert "11 in all" in listing.text and "Club 12" not in listing.text
    await alice.tap(done, "x", data=f"ss:delok:{newest}")  # a stale confirmation
    await emulator.settle()
    assert alice.callback_answers[-1].get("text") == NOT_FOUND


async def test_another_users_session_is_answered_like_a_missing_one(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed(db, ALICE, 1)
    _, [bobs] = await seed(db, BOB, 1)
    alice = emulator.user(ALICE, first_name="Alice")
    listing = await alice.ask("/sessions")
    for forged in (f"ss:card:{bobs}", f"ss:del:{bobs}", f"ss:delok:{bobs}", f"ss:edit:{bobs}", "ss:card:999"):
        await alice.tap(listing, "x", data=forged)
    await alice.tap(listing, "x", data="ss:card:nonsense")
    await emulator.settle()
    answers = [answer.get("text") for answer in alice.callback_answers]
    assert answers == [NOT_FOUND] * 5 + ["That button is no longer valid."]
    assert not [message for message in alice.messages if "Glock 1002" in (message.text or "")]
    assert await count(db, ShootingSession, ShootingSession.user_id == BOB) == 1
    assert "log_draft" not in bot.user_data.get(ALICE, {})


async def test_editing_a_session_updates_it_and_replaces_its_entries(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    weapon_id, [session_id] = await seed(db, ALICE, 1)
    async with db.session() as session:
        kept_entry = (await get_session(session, ALICE, session_id)).entries[0].id
    alice = emulator.user(ALICE, first_name="Alice")
    card = await tap_edit(alice, await alice.ask("/sessions"), "5 Jan 2026 · Club 1")
    await alice.tap(card, "✏️ Edit")
    menu = await alice.next_message()
    assert "Editing the session" in menu.text and "What would you like to change?" in menu.text

    await alice.tap(menu, "📍 Location")
    location_question = await alice.next_message()
    summary = await alice.ask("Den Haag")
    assert "📍 Den Haag" in summary.text and "Save this session?" in summary.text
    await alice.tap(summary, "✏️ Edit")
    menu = await alice.next_message()
    await alice.tap(menu, "➕ Add another entry")
    step = await alice.next_message()
    for answer in ("Glock 1001 (9mm)", "50 m"):
        await alice.tap(step, answer)
        step = await alice.next_message()
    step = await alice.ask("40")
    for answer in ("Use 9mm", "⏭ Skip", "⏭ Skip", "« Back"):  # an added entry returns to the edit menu
        await alice.tap(step, answer)
        step = await alice.next_message()
    assert "Glock 1001 · 50 m · 40 shots" in step.text and "Total: 60 shots" in step.text
    await alice.tap(step, "💾 Save")
    assert "Updated: the session of 5 Jan 2026, 60 shots" in (await alice.next_message()).text

    async with db.session() as session:
        row = await get_session(session, ALICE, session_id)
    assert (row.location, row.club) == ("Den Haag", "Club 1")
    assert [(entry.id == kept_entry, entry.distance_m, entry.shot_count) for entry in row.entries] == [
        (True, 25, 20),
        (False, 50, 40),
    ]
    assert location_question and weapon_id

    # Removing an entry in a second edit replaces the entries again.
    listing = await alice.ask("/sessions")
    await alice.tap(listing, "5 Jan 2026 · Club 1")
    await emulator.settle()
    await alice.tap(listing.message_id, "✏️ Edit")  # the listing became the card
    menu = await alice.next_message()
    await alice.tap(menu, "🗑 Remove entry 1")
    menu = await alice.next_message()
    assert "Glock 1001 · 25 m" not in menu.text and "Remove entry" not in " ".join(labels(menu))
    await alice.tap(menu, "« Back")
    await alice.tap(await alice.next_message(), "💾 Save")
    await alice.next_message()
    async with db.session() as session:
        row = await get_session(session, ALICE, session_id)
    assert [(entry.distance_m, entry.shot_count) for entry in row.entries] == [(50, 40)]
    assert await count(db, SessionWeaponEntry) == 1
