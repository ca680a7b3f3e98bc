"""End to end: the weapons register (/weapons, the card, /addweapon and editing) through the emulator."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from bot.emulator.driver import MessageView
from services.preferences import local_now
from storage.db import Database
from storage.models import (
    AttachableType,
    Attachment,
    PersistedData,
    SessionWeaponEntry,
    ShootingSession,
    User,
    Weapon,
)
from tests.conftest import ALICE, BOB, StartBot, stop_bot

NOT_FOUND = "That weapon is not in your register."
EXPIRED = "That button is no longer valid."


def labels(message: MessageView) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


def data_of(message: MessageView, label: str) -> str:
    return next(data for row in message.buttons for text, data in row if text == label)


async def weapons_of(db: Database, user_id: int) -> list[Weapon]:
    async with db.session() as session:
        return list(
            await session.scalars(select(Weapon).where(Weapon.user_id == user_id).order_by(Weapon.id))
        )


async def weapon_row(db: Database, weapon_id: int) -> Weapon | None:
    async with db.session() as session:
        return await session.get(Weapon, weapon_id)


async def seed_weapon(db: Database, user_id: int, *, time_zone: str | None = None, **values: object) -> int:
    """The user's row (if new) and a weapon, straight into the database."""
    async with db.session() as session:
        if await session.get(User, user_id) is None:
            session.add(User(id=user_id, time_zone=time_zone))
            await session.flush()
        fields = {"name": "Glock 17", "type": "pistol", "caliber": "9mm", "serial_number": "GLK-0042"}
        weapon = Weapon(user_id=user_id, **{**fields, **values})
        session.add(weapon)
        await session.flush()
        return weapon.id


async def seed_session(db: Database, user_id: int, day: dt.date, entries: list[tuple[int, int]]) -> int:
    """A range session with (weapon id, shots) entries."""
    async with db.session() as session:
        shooting = ShootingSession(user_id=user_id, date=day, club="SV De Roos")
        session.add(shooting)
        await session.flush()
        for weapon_id, shots in entries:
            session.add(
                SessionWeaponEntry(
                    session_id=shooting.id,
                    weapon_id=weapon_id,
                    distance_m=25,
                    shot_count=shots,
                    ammo_caliber="9mm",
                )
            )
        return shooting.id


async def open_card(user, name: str) -> MessageView:
    listing = await user.ask("/weapons")
    button = next(label for label in labels(listing) if label.startswith(name))
    await user.tap(listing, button)
    return await user.next_edit()


async def test_adding_a_weapon_walks_every_step_and_ends_with_its_card(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    name_question = await alice.ask("/addweapon")
    assert "step 1 of 7" in name_question.text and "What do you call" in name_question.text
    type_question = await alice.ask("CZ Shadow 2")
    assert labels(type_question) == [
        "Pistol", "Revolver", "Rifle", "Shotgun", "Air pistol", "Air rifle", "Other"
    ]  # fmt: skip
    await alice.tap(type_question, "Pistol")
    caliber_question = await alice.next_edit()
    assert "step 3 of 7" in caliber_question.text
    assert {
        ".22 LR",
        "9mm",
        ".45 ACP",
        ".357 Mag",
        ".38 Special",
        "4.5mm (.177)",
        ".308 Win",
        "12 gauge",
    } <= set(labels(caliber_question))
    await alice.tap(caliber_question, "9mm")
    serial_question = await alice.next_edit()
    assert "serial number" in serial_question.text and "Skip ⏭" in labels(serial_question)
    storage_question = await alice.ask("B123456")
    await alice.tap(storage_question, "Skip ⏭")
    date_question = await alice.next_edit()
    assert "When did you buy it" in date_question.text
    notes_question = await alice.ask("1-3-2024")
    assert "step 7 of 7" in notes_question.text
    assert await weapons_of(db, ALICE) == [], "nothing is saved before the last step"
    card = await alice.ask("Optics-ready <b>slide</b>")

    assert card.text.startswith("✅ Saved.")
    for line in ("🔫 CZ Shadow 2", "Type: Pistol", "Caliber: 9mm", "Serial number: B123456", "Stored at: —"):
        assert line in card.text
    assert "Purchased: 1 Mar 2024" in card.text and "Notes: Optics-ready <b>slide</b>" in card.text
    assert "Not used in a session yet." in card.text
    assert labels(card) == ["✏️ Edit", "🗄 Retire", "🗑 Delete", "📷 Photos", "🤖 AI trends", "« Weapons"]
    [weapon] = await weapons_of(db, ALICE)
    assert data_of(card, "📷 Photos") == f"ph:w:{weapon.id}"
    assert (weapon.name, weapon.type, weapon.caliber, weapon.serial_number) == (
        "CZ Shadow 2",
        "pistol",
        "9mm",
        "B123456",
    )
    assert weapon.storage_location is None and weapon.retired_at is None
    assert weapon.purchased_at == dt.date(2024, 3, 1) and weapon.notes == "Optics-ready <b>slide</b>"


async def test_the_main_menu_adds_a_weapon_with_a_typed_caliber_and_every_optional_step_skipped(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    menu = await alice.ask("/start")
    assert {"🔫 Weapons", "➕ Add weapon"} <= set(labels(menu))
    await alice.tap(menu, "➕ Add weapon")
    assert "What do you call" in (await alice.next_message()).text
    await alice.tap(await alice.ask("Tikka T3x"), "Rifle")
    assert "Which caliber" in (await alice.next_edit()).text
    question = await alice.ask("6.5 Creedmoor")
    for _ in range(4):  # serial number, storage location, purchase date, notes
        await alice.tap(question, "Skip ⏭")
        question = await alice.next_edit()
    assert question.text.startswith("✅ Saved.") and "Caliber: 6.5 Creedmoor" in question.text
    [weapon] = await weapons_of(db, ALICE)
    assert (weapon.type, weapon.caliber) == ("rifle", "6.5 Creedmoor")
    assert weapon.serial_number is weapon.storage_location is weapon.purchased_at is weapon.notes is None


async def test_bad_answers_in_the_form_are_explained_and_change_nothing(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.ask("/addweapon")
    assert "the limit is 100" in (await alice.ask("x" * 101)).text
    assert "That was empty" in (await alice.ask("   ")).text
    type_question = await alice.ask("Smith & Wesson 686")
    assert "tap one of the buttons" in (await alice.ask("revolver")).text
    await alice.tap(type_question, "x", data="wf:type:99")
    await alice.tap(type_question, "x", data="wf:type:skip")
    await alice.tap(type_question, "x", data="wf:cal:0")  # a button of another step
    await emulator.settle()
    assert [answer.get("text") for answer in alice.callback_answers] == [EXPIRED] * 3
    await alice.tap(type_question, "Revolver")
    await alice.next_edit()
    assert "the limit is 32" in (await alice.ask("c" * 33)).text
    await alice.ask(".357 Magnum")
    assert "the limit is 64" in (await alice.ask("S" * 65)).text
    storage_question = await alice.ask("SW-686-1")
    assert "the limit is 100" in (await alice.ask("k" * 101)).text
    await alice.tap(storage_question, "Skip ⏭")
    await alice.next_edit()
    tomorrow = local_now(None).date() + dt.timedelta(days=1)
    assert "is still to come" in (await alice.ask(tomorrow.isoformat())).text
    assert "can't read “someday” as a date" in (await alice.ask("someday")).text
    assert "not a day on the calendar" in (await alice.ask("31-02-2024")).text
    assert await weapons_of(db, ALICE) == []
    await alice.ask("2020-06-15")
    card = await alice.ask("Bought second hand")
    assert card.text.startswith("✅ Saved.")
    [weapon] = await weapons_of(db, ALICE)
    assert (weapon.name, weapon.caliber, weapon.serial_number) == (
        "Smith & Wesson 686",
        ".357 Magnum",
        "SW-686-1",
    )
    assert weapon.purchased_at == dt.date(2020, 6, 15)


async def test_the_list_and_the_card_show_use_from_the_sessions(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    glock = await seed_weapon(db, ALICE, storage_location="Safe at home")
    cz = await seed_weapon(db, ALICE, name="CZ 75", serial_number="CZ-777")
    await seed_weapon(db, BOB, name="Bob's Glock", serial_number="BOB-1")
    await seed_session(db, ALICE, dt.date(2026, 10, 3), [(glock, 50), (glock, 25), (cz, 10)])
    await seed_session(db, ALICE, dt.date(2026, 11, 21), [(glock, 75)])
    alice = emulator.user(ALICE, first_name="Alice")

    listing = await alice.ask("/weapons")
    assert labels(listing) == ["CZ 75 · 9mm · 10 rds", "Glock 17 · 9mm · 150 rds", "➕ Add weapon"]
    assert "GLK-0042" not in str(listing.raw) and "CZ-777" not in str(listing.raw), "no serials in lists"
    await alice.tap(listing, "Glock 17 · 9mm · 150 rds")
    card = await alice.next_edit()
    assert "Sessions: 2 · rounds fired: 150" in card.text
    assert "Last used: 21 Nov 2026" in card.text
    assert "Serial number: GLK-0042" in card.text and "Stored at: Safe at home" in card.text
    await alice.tap(card, "« Weapons")
    assert labels(await alice.next_edit())[0] == "CZ 75 · 9mm · 10 rds"


async def test_a_dutch_card_shows_dutch_dates(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    weapon = await seed_weapon(db, BOB, purchased_at=dt.date(2019, 4, 5))
    await seed_session(db, BOB, dt.date(2026, 11, 21), [(weapon, 60)])
    bob = emulator.user(BOB, first_name="Bram", language_code="nl")
    card = await open_card(bob, "Glock 17")
    assert "Gekocht: 05-04-2019" in card.text and "Laatst gebruikt: 21-11-2026" in card.text
    assert "Sessies: 1 · geschoten: 60" in card.text


async def test_editing_fields_from_the_card_reuses_the_form_steps(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    weapon_id = await seed_weapon(db, ALICE, notes="Stock trigger")
    alice = emulator.user(ALICE, first_name="Alice")
    card = await open_card(alice, "Glock 17")
    await alice.tap(card, "✏️ Edit")
    menu = await alice.next_edit()
    assert labels(menu) == [
        "Name", "Type", "Caliber", "Serial number", "Storage location", "Purchase date", "Notes", "« Back"
    ]  # fmt: skip

    await alice.tap(menu, "Storage location")
    question = await alice.next_edit()
    assert "Where is it stored" in question.text and "Glock 17 now: —" in question.text
    assert labels(question) == ["Keep as it is"], "nothing to remove yet"
    updated = await alice.ask("Club locker 7")
    assert updated.text.startswith("✅ Updated.") and "Stored at: Club locker 7" in updated.text
    assert (await weapon_row(db, weapon_id)).storage_location == "Club locker 7"

    await alice.tap(updated, "✏️ Edit")
    await alice.tap(await alice.next_edit(), "Caliber")
    question = await alice.next_edit()
    assert "Glock 17 now: 9mm" in question.text and "Keep as it is" in labels(question)
    await alice.tap(question, ".45 ACP")
    assert "Caliber: .45 ACP" in (await alice.next_edit()).text

    await alice.tap(updated, "✏️ Edit")
    await alice.tap(await alice.next_edit(), "Serial number")
    question = await alice.next_edit()
    assert "GLK-0042" not in question.text, "the serial number is shown on the card only"
    await alice.tap(question, "Keep as it is")
    assert "Serial number: GLK-0042" in (await alice.next_edit()).text

    await alice.tap(updated, "✏️ Edit")
    await alice.tap(await alice.next_edit(), "Notes")
    await alice.tap(await alice.next_edit(), "Remove")
    assert "Notes: —" in (await alice.next_edit()).text

    weapon = await weapon_row(db, weapon_id)
    assert (weapon.caliber, weapon.serial_number, weapon.notes) == (".45 ACP", "GLK-0042", None)
    assert weapon.name == "Glock 17" and weapon.storage_location == "Club locker 7"

    await alice.tap(updated, "✏️ Edit")
    await alice.tap(await alice.next_edit(), "Name")
    assert "the limit is 100" in (await alice.ask("n" * 101)).text
    assert (await weapon_row(db, weapon_id)).name == "Glock 17"
    assert "🔫 Glock 19" in (await alice.ask("Glock 19")).text
    assert (await weapon_row(db, weapon_id)).name == "Glock 19"


async def test_retiring_and_reactivating_a_weapon(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    zone = "Pacific/Kiritimati"  # UTC+14: the user's day, not the server's
    weapon_id = await seed_weapon(db, ALICE, time_zone=zone)
    alice = emulator.user(ALICE, first_name="Alice")
    card = await open_card(alice, "Glock 17")
    await alice.tap(card, "🗄 Retire")
    retired = await alice.next_edit()
    local_today = local_now(zone).date()
    assert (await weapon_row(db, weapon_id)).retired_at == local_today
    assert "Retired since" in retired.text and "♻️ Reactivate" in labels(retired)

    listing = await alice.ask("/weapons")
    assert "All your weapons are retired" in listing.text
    assert labels(listing) == ["🗄 Show retired (1)", "➕ Add weapon"]
    await alice.tap(listing, "🗄 Show retired (1)")
    listing = await alice.next_edit()
    assert labels(listing) == ["🗄 Glock 17 · 9mm · retired", "Hide retired", "➕ Add weapon"]
    await alice.tap(listing, "🗄 Glock 17 · 9mm · retired")
    await alice.tap(await alice.next_edit(), "♻️ Reactivate")
    active = await alice.next_edit()
    assert "Retired since" not in active.text and "🗄 Retire" in labels(active)
    assert (await weapon_row(db, weapon_id)).retired_at is None


async def test_deleting_a_weapon_with_sessions_offers_to_retire_it_instead(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    weapon_id = await seed_weapon(db, ALICE)
    await seed_session(db, ALICE, dt.date(2026, 5, 1), [(weapon_id, 40)])
    alice = emulator.user(ALICE, first_name="Alice")
    card = await open_card(alice, "Glock 17")
    await alice.tap(card, "🗑 Delete")
    offer = await alice.next_edit()
    assert "used in 1 session(s)" in offer.text and "Retire it instead?" in offer.text
    assert labels(offer) == ["🗄 Retire instead", "« Back"]
    await alice.tap(offer, "x", data=f"wp:delok:{weapon_id}")  # forcing the delete does not delete it
    await emulator.settle()
    assert await weapon_row(db, weapon_id) is not None
    await alice.tap(offer, "🗄 Retire instead")
    retired = await alice.next_edit()
    assert "Retired since" in retired.text
    assert (await weapon_row(db, weapon_id)).retired_at is not None
    await alice.tap(retired, "🗑 Delete")
    assert "It is already retired." in (await alice.next_edit()).text
    assert await weapon_row(db, weapon_id) is not None


async def test_deleting_a_weapon_without_sessions_asks_first_and_removes_its_attachments(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    weapon_id = await seed_weapon(db, ALICE)
    keep_id = await seed_weapon(db, ALICE, name="Walther LG400", type="air_rifle", caliber="4.5mm (.177)")
    async with db.session() as session:
        for owner in (weapon_id, keep_id):
            session.add(
                Attachment(
                    user_id=ALICE,
                    attachable_type=AttachableType.WEAPON,
                    attachable_id=owner,
                    path=f"attachments/{owner}.jpg",
                    mime="image/jpeg",
                    size=3,
                    sha256=f"{owner:064d}",
                )
            )
    alice = emulator.user(ALICE, first_name="Alice")
    card = await open_card(alice, "Glock 17")
    await alice.tap(card, "🗑 Delete")
    question = await alice.next_edit()
    assert "Delete <b>Glock 17</b> for good?" in question.raw_text
    assert await weapon_row(db, weapon_id) is not None, "not before the confirmation"
    await alice.tap(question, "🗑 Yes, delete it")
    done = await alice.next_edit()
    assert "Glock 17 has been deleted." in done.text
    assert await weapon_row(db, weapon_id) is None
    async with db.session() as session:
        owners = list(await session.scalars(select(Attachment.attachable_id)))
    assert owners == [keep_id]
    await alice.tap(done, "« Weapons")
    assert labels(await alice.next_edit()) == ["Walther LG400 · 4.5mm (.177) · 0 rds", "➕ Add weapon"]
    await alice.tap(done, "x", data=f"wp:delok:{weapon_id}")  # a second tap on a stale confirmation
    await emulator.settle()
    assert alice.callback_answers[-1].get("text") == NOT_FOUND


async def test_buttons_naming_another_users_weapon_are_answered_like_missing_ones(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    bobs = await seed_weapon(db, BOB, name="Bob's Glock")
    await seed_weapon(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    listing = await alice.ask("/weapons")
    forged = [f"wp:{action}:{bobs}" for action in ("card", "edit", "retire", "react", "del", "delok")]
    for data in [*forged, f"wf:edit:{bobs}:name", "wp:card:999999"]:
        await alice.tap(listing, "x", data=data)
    for data in ("wp:card:abc", "wp:nonsense", "wp:list:some", "wf:edit:1:colour"):
        await alice.tap(listing, "x", data=data)
    await emulator.settle()
    answers = [answer.get("text") for answer in alice.callback_answers]
    assert answers == [NOT_FOUND] * 8 + [EXPIRED] * 4
    assert not any(message.text and "Bob" in message.text for message in alice.messages)
    assert alice.messages[-1].text == listing.text, "the list was not replaced"
    assert "What do you call" not in (await alice.ask("Renamed")).text, "no form was started"
    bob_weapon = await weapon_row(db, bobs)
    assert (bob_weapon.name, bob_weapon.retired_at) == ("Bob's Glock", None)


async def test_the_form_resumes_after_a_restart(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database
) -> None:
    application = await start_bot()
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.ask("/addweapon")
    type_question = await alice.ask("Ruger Mark IV")
    await stop_bot(application)
    await start_bot()
    await alice.tap(type_question, "Pistol")
    await alice.tap(await alice.next_edit(), ".22 LR")
    question = await alice.next_edit()
    for _ in range(4):
        await alice.tap(question, "Skip ⏭")
        question = await alice.next_edit()
    assert question.text.startswith("✅ Saved.")
    [weapon] = await weapons_of(db, ALICE)
    assert (weapon.name, weapon.caliber) == ("Ruger Mark IV", ".22 LR")


async def test_cancel_forgets_the_half_typed_weapon(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.ask("/addweapon")
    await alice.tap(await alice.ask("CZ Shadow 2"), "Pistol")
    await alice.tap(await alice.next_edit(), "9mm")
    await alice.next_edit()
    await alice.ask("B123456")  # the serial number, kept in the draft
    assert (await alice.ask("/cancel")).text == "Cancelled."
    await emulator.settle()
    async with db.session() as session:
        stored = await session.scalars(select(PersistedData.data).where(PersistedData.owner_id == ALICE))
        assert "B123456" not in str(stored.all()), "the cancelled draft is not kept"
    assert await weapons_of(db, ALICE) == []
