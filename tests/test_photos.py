"""End to end: photos and files sent outside a flow, where they go, and the Photos buttons of the cards."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from services.attachments import store_bytes
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

JPEG = b"\xff\xd8\xff\xe0 a target at 25 m"
PDF = b"%PDF-1.4 a scanned score card"
NOT_THERE = "That weapon, session or entry is not there any more."
PENDING_KEYS = {"path", "sha256", "size", "mime", "original_name", "telegram_file_id"}


def labels(message) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


def data_of(message, label: str) -> str | None:
    return next(data for row in message.buttons for text, data in row if text == label)


async def seed(db: Database, user_id: int, club: str = "SV De Roos") -> dict[str, int]:
    """Two weapons and two sessions (21-11 with two entries, 14-11 with one), as other screens would."""
    async with db.session() as session:
        session.add(User(id=user_id))
        await session.flush()
        cz = Weapon(user_id=user_id, name="CZ Shadow 2", type="pistol", caliber="9mm")
        glock = Weapon(user_id=user_id, name="Glock 17", type="pistol", caliber="9mm")
        latest = ShootingSession(user_id=user_id, date=dt.date(2026, 11, 21), club=club)
        older = ShootingSession(user_id=user_id, date=dt.date(2026, 11, 14), club=club)
        session.add_all([cz, glock, latest, older])
        await session.flush()
        entries = [
            SessionWeaponEntry(
                session_id=latest.id, weapon_id=cz.id, distance_m=25, shot_count=50, ammo_caliber="9mm"
            ),
            SessionWeaponEntry(
                session_id=latest.id, weapon_id=glock.id, distance_m=10, shot_count=30, ammo_caliber="9mm"
            ),
            SessionWeaponEntry(
                session_id=older.id, weapon_id=cz.id, distance_m=50, shot_count=20, ammo_caliber="9mm"
            ),
        ]
        session.add_all(entries)
        await session.flush()
        return {
            "cz": cz.id,
            "glock": glock.id,
            "latest": latest.id,
            "older": older.id,
            "entry_cz_25": entries[0].id,
        }


async def attachments(db: Database) -> list[Attachment]:
    async with db.session() as session:
        return list(await session.scalars(select(Attachment).order_by(Attachment.id)))


async def user_data(db: Database, user_id: int) -> dict:
    async with db.session() as session:
        row = await session.scalar(
            select(PersistedData).where(PersistedData.scope == "user", PersistedData.owner_id == user_id)
        )
        return row.data if row else {}


def calls(emulator: BotApiEmulator, method: str) -> list[dict]:
    return [params for name, params in emulator.calls if name == method]


async def test_a_photo_goes_to_the_latest_session_and_is_shown_again_by_file_id(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    ids = await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    sent = await alice.send_photo(JPEG)
    file_id = sent["photo"][-1]["file_id"]
    question = await alice.next_message()
    assert question.text == "📎 Got it. Where does this file belong?"
    assert labels(question) == [
        "🎯 Latest session (21-11, SV De Roos)",
        "🔫 A weapon…",
        "📋 A session entry…",
        "➕ New session",
        "✖️ Discard",
    ]
    await emulator.settle()
    pending = (await user_data(db, ALICE))["pending_files"]
    assert len(pending) == 1 and set(pending[0]) == PENDING_KEYS
    assert await attachments(db) == [], "nothing is attached before the user says where"

    await alice.tap(question, "🎯 Latest session (21-11, SV De Roos)")
    done = await alice.next_edit()
    assert done.text == "✅ Attached to the session of 21-11, SV De Roos."
    [row] = await attachments(db)
    digest = hashlib.sha256(JPEG).hexdigest()
    assert (row.user_id, row.attachable_type, row.attachable_id) == (
        ALICE,
        AttachableType.SESSION,
        ids["latest"],
    )
    assert (row.mime, row.size, row.original_name, row.sha256) == ("image/jpeg", len(JPEG), None, digest)
    assert row.telegram_file_id == file_id
    assert row.path == f"attachments/{digest[:2]}/{digest}.jpg"
    assert (data_dir / row.path).read_bytes() == JPEG
    await emulator.settle()
    assert not (await user_data(db, ALICE)).get("pending_files")

    assert data_of(done, "🖼 Show photos") == f"ph:s:{ids['latest']}"
    await alice.tap(done, "🖼 Show photos")
    shown = await alice.next_message()
    assert shown.photo == JPEG
    assert calls(emulator, "sendPhoto")[-1]["photo"] == file_id, "shown again by file_id, not re-uploaded"


async def test_a_pending_photo_survives_a_restart(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database
) -> None:
    ids = await seed(db, ALICE)
    application = await start_bot()
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_photo(JPEG)
    question = await alice.next_message()
    await emulator.settle()
    await stop_bot(application)
    await start_bot()
    await alice.tap(question, "🎯 Latest session (21-11, SV De Roos)")
    assert (await alice.next_edit()).text.startswith("✅ Attached")
    [row] = await attachments(db)
    assert row.attachable_id == ids["latest"]


async def test_a_pdf_goes_to_a_weapon_chosen_from_the_list(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    ids = await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    sent = await alice.send_document(PDF, "../../etc/receipt.pdf", "application/pdf")
    question = await alice.next_message()
    await alice.tap(question, "🔫 A weapon…")
    weapons = await alice.next_edit()
    assert weapons.text == "Which weapon does it belong to?"
    assert labels(weapons) == ["CZ Shadow 2", "Glock 17", "« Back"]
    await alice.tap(weapons, "« Back")
    assert labels(await alice.next_edit())[0].startswith("🎯 Latest session")
    await alice.tap(question, "🔫 A weapon…")
    await alice.tap(await alice.next_edit(), "CZ Shadow 2")
    done = await alice.next_edit()
    assert done.text == "✅ Attached to CZ Shadow 2."
    [row] = await attachments(db)
    assert (row.attachable_type, row.attachable_id) == (AttachableType.WEAPON, ids["cz"])
    assert row.original_name == "../../etc/receipt.pdf" and row.path.startswith("attachments/")
    assert row.path.endswith(".pdf") and ".." not in row.path

    await alice.tap(done, "🖼 Show photos")
    shown = await alice.next_message()
    assert shown.document is not None and shown.document.data == PDF
    assert calls(emulator, "sendDocument")[-1]["document"] == sent["document"]["file_id"]


async def test_a_photo_goes_to_a_session_entry_and_shows_with_its_session(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    ids = await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_photo(JPEG)
    await alice.tap(await alice.next_message(), "📋 A session entry…")
    entries = await alice.next_edit()
    assert labels(entries) == [
        "21-11 · CZ Shadow 2 · 25 m",
        "21-11 · Glock 17 · 10 m",
        "14-11 · CZ Shadow 2 · 50 m",
        "« Back",
    ]
    await alice.tap(entries, "21-11 · CZ Shadow 2 · 25 m")
    done = await alice.next_edit()
    assert done.text == "✅ Attached to the entry 21-11 · CZ Shadow 2 · 25 m."
    [row] = await attachments(db)
    assert (row.attachable_type, row.attachable_id) == (AttachableType.ENTRY, ids["entry_cz_25"])
    await alice.tap(done, "🖼 Show photos")
    assert (await alice.next_message()).photo == JPEG


async def test_an_album_gets_one_question_for_all_its_photos(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    ids = await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    chat = emulator.state.chat(ALICE)
    for number in range(3):
        photo = emulator.state.store_file(JPEG + bytes([number]), "photo", mime_type="image/jpeg")
        emulator.state.user_message(chat, {"photo": photo.photo_json(), "media_group_id": "album-1"})
    question = await alice.next_message()
    assert question.text == "📎 Got it. Where does this file belong?"
    assert (await alice.next_edit()).text == "📎 Got 2 files. Where do they belong?"
    assert (await alice.next_edit()).text == "📎 Got 3 files. Where do they belong?"
    await emulator.settle()
    assert len(alice.messages) == 1, "one question, updated"
    await alice.tap(question, "🎯 Latest session (21-11, SV De Roos)")
    assert (await alice.next_edit()).text == "✅ 3 files attached to the session of 21-11, SV De Roos."
    rows = await attachments(db)
    assert [row.attachable_id for row in rows] == [ids["latest"]] * 3
    assert len({row.sha256 for row in rows}) == 3


async def test_the_same_photo_twice_waits_once(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_photo(JPEG)
    await alice.next_message()
    await alice.send_photo(JPEG)
    second = await alice.next_message()
    assert second.text == "📎 Got it. Where does this file belong?"
    await alice.tap(second, "🎯 Latest session (21-11, SV De Roos)")
    await alice.next_edit()
    assert len(await attachments(db)) == 1


async def test_a_file_over_20_mb_is_refused_before_it_is_downloaded(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    huge = b"%PDF" + bytes(21 * 1024 * 1024)
    await alice.send_document(huge, "scan.pdf", "application/pdf")
    reply = await alice.next_message()
    assert reply.text == "That file is 21.0 MB; I can take files up to 20 MB."
    assert calls(emulator, "getFile") == [], "refused on the size Telegram reports, before any download"
    assert not (data_dir / "attachments").exists()
    await emulator.settle()
    assert not (await user_data(db, ALICE)).get("pending_files")


async def test_a_file_that_is_not_an_image_or_pdf_is_refused(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_document(b"PK\x03\x04", "scores.zip", "application/zip")
    reply = await alice.next_message()
    assert reply.text == "I keep photos (JPEG, PNG, WebP, HEIC) and PDF files; this one is application/zip."
    await alice.send_document(b"<b>", "x.html", "text/<b>")
    assert "this one is text/<b>." in (await alice.next_message()).text, "the type is escaped, not markup"
    assert calls(emulator, "getFile") == []
    await emulator.settle()
    assert await attachments(db) == []


async def test_another_users_session_weapon_or_entry_is_answered_like_a_missing_one(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    mine = await seed(db, ALICE)
    theirs = await seed(db, BOB, club="Bob's club")
    async with db.session() as session:
        session.add(
            Attachment(
                user_id=BOB,
                attachable_type=AttachableType.SESSION,
                attachable_id=theirs["latest"],
                path="attachments/00/secret.jpg",
                mime="image/jpeg",
                size=3,
                sha256="0" * 64,
                telegram_file_id="AgACsecret",
            )
        )
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_photo(JPEG)
    question = await alice.next_message()
    forged = [
        f"ph:to:s:{theirs['latest']}",
        f"ph:to:w:{theirs['cz']}",
        f"ph:to:e:{theirs['entry_cz_25']}",
        "ph:to:s:999999",
        f"ph:s:{theirs['latest']}",
        f"ph:w:{theirs['glock']}",
        "ph:s:999999",
    ]
    for data in forged:
        await alice.tap(question, "x", data=data)
    await alice.tap(question, "x", data="ph:to:s:99999999999999999999999")
    await emulator.settle()
    answers = [answer.get("text") for answer in alice.callback_answers]
    assert answers == [NOT_THERE] * len(forged) + ["That button is no longer valid."]
    assert len(alice.messages) == 1, "nothing of Bob's was shown"
    assert [row.user_id for row in await attachments(db)] == [BOB]
    # The file still waits, and goes where Alice chooses.
    await alice.tap(question, "🎯 Latest session (21-11, SV De Roos)")
    await alice.next_edit()
    rows = await attachments(db)
    assert (rows[-1].user_id, rows[-1].attachable_id) == (ALICE, mine["latest"])


async def test_with_nothing_logged_only_a_new_session_is_offered_and_handed_to_log(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_photo(JPEG)
    question = await alice.next_message()
    assert labels(question) == ["➕ New session", "✖️ Discard"]
    await alice.tap(question, "➕ New session")
    handed = await alice.next_edit()
    assert handed.buttons == [[("📝 Log a new session", "log:new")]]
    await alice.tap(question, "x", data="ph:new")  # a double tap
    await emulator.settle()
    assert "not modified" in emulator.errors[-1][2].description
    assert "went wrong" not in alice.last.text, "an identical edit is not an error"
    assert alice.callback_answers, "the tap was answered"
    pending = (await user_data(db, ALICE))["pending_files"]
    assert [item["sha256"] for item in pending] == [hashlib.sha256(JPEG).hexdigest()]
    assert await attachments(db) == []


async def test_discard_attaches_nothing_and_stale_buttons_say_so(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_photo(JPEG)
    question = await alice.next_message()
    await alice.tap(question, "✖️ Discard")
    assert (await alice.next_edit()).text == "OK, nothing was attached."
    await alice.tap(question, "x", data="ph:to:s:1")
    await emulator.settle()
    assert alice.callback_answers[-1]["text"] == (
        "There is nothing waiting to be attached. Send a photo first."
    )
    assert await attachments(db) == []


async def test_photos_of_a_session_without_any(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    ids = await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    menu = await alice.ask("/start")
    await alice.tap(menu, "x", data=f"ph:s:{ids['older']}")
    assert (await alice.next_message()).text == "No photos yet — send one and choose this session."
    await alice.tap(menu, "x", data=f"ph:w:{ids['glock']}")
    assert (await alice.next_message()).text == "No photos yet — send one and choose this weapon."


async def test_many_photos_come_in_albums_of_ten_and_stale_file_ids_fall_back_to_the_bytes(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    ids = await seed(db, ALICE)
    photos = [JPEG + f" number {number}".encode() for number in range(11)]
    async with db.session() as session:
        for number, data in enumerate(photos):
            stored = store_bytes(data_dir, data, "image/jpeg")
            session.add(
                Attachment(
                    user_id=ALICE,
                    attachable_type=AttachableType.WEAPON,
                    attachable_id=ids["cz"],
                    path=stored.path,
                    mime=stored.mime,
                    size=stored.size,
                    sha256=stored.sha256,
                    telegram_file_id="AgACforgotten" if number == 0 else None,
                )
            )
    alice = emulator.user(ALICE, first_name="Alice")
    menu = await alice.ask("/start")
    await alice.tap(menu, "x", data=f"ph:w:{ids['cz']}")
    received = [await alice.next_message() for _ in photos]
    assert [message.photo for message in received] == photos
    assert [len(params["media"]) for params in calls(emulator, "sendMediaGroup")] == [10, 10]
    assert len(calls(emulator, "sendPhoto")) == 1, "the eleventh on its own"
    assert [method for method, _, _ in emulator.errors] == ["sendMediaGroup"], "the unknown file_id"


async def test_new_session_hands_the_files_to_log(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_photo(JPEG)
    await alice.tap(await alice.next_message(), "➕ New session")
    await alice.tap(await alice.next_edit(), "📝 Log a new session")
    await alice.next_message()  # the first question of /log
    await emulator.settle()
    assert not (await user_data(db, ALICE)).get("pending_files"), "the /log draft took them"


def image(colour: str) -> bytes:
    """A real JPEG (the session PDF draws it), one per colour so none is a duplicate of another."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


TEXTS = {
    "en": {
        "latest": "🎯 Latest session (21-11, SV De Roos)",
        "pick_entry": "📋 A session entry…",
        "entry": "21-11 · CZ Shadow 2 · 25 m",
        "new": "➕ New session",
        "attachments": "📎 Attachments: {count}",
        "pdf_attachments": "Attachments: {count}",
        "photos": "📷 Photos ({count})",
        "pdf": "📄 PDF",
        "quick": "log 25m glock 50 shots 471",
        "waiting": "📎 1 file(s) you sent will be attached.",
        "save": "💾 Save",
        "saved": "✅ Saved, with the 1 file(s) you sent attached.",
        "log_started": "file(s) you sent will be attached",
    },
    "nl": {
        "latest": "🎯 Laatste sessie (21-11, SV De Roos)",
        "pick_entry": "📋 Een onderdeel van een sessie…",
        "entry": "21-11 · CZ Shadow 2 · 25 m",
        "new": "➕ Nieuwe sessie",
        "attachments": "📎 Bijlagen: {count}",
        "pdf_attachments": "Bijlagen: {count}",
        "photos": "📷 Foto's ({count})",
        "pdf": "📄 PDF",
        "quick": "log 25m glock 50 schoten 471",
        "waiting": "📎 1 bestand(en) die je stuurde komen erbij.",
        "save": "💾 Opslaan",
        "saved": "✅ Opgeslagen, met de 1 bestand(en) die je stuurde als bijlage.",
        "log_started": "die je stuurde komen erbij",
    },
}


@pytest.mark.parametrize("language", ["en", "nl"])
async def test_a_sessions_card_photos_and_pdf_count_its_entries_photos_too(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, language: str
) -> None:
    texts = TEXTS[language]
    ids = await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice", language_code=language)
    first, second = image("red"), image("blue")
    await alice.send_photo(first)
    await alice.tap(await alice.next_message(), texts["latest"])
    await alice.next_edit()
    await alice.send_photo(second)
    await alice.tap(await alice.next_message(), texts["pick_entry"])
    await alice.tap(await alice.next_edit(), texts["entry"])
    await alice.next_edit()
    rows = await attachments(db)
    assert [(row.attachable_type, row.attachable_id) for row in rows] == [
        (AttachableType.SESSION, ids["latest"]),
        (AttachableType.ENTRY, ids["entry_cz_25"]),
    ]

    await alice.tap(await alice.ask("/sessions"), "x", data=f"ss:card:{ids['latest']}")
    card = await alice.next_edit()
    assert texts["attachments"].format(count=2) in card.text
    assert texts["attachments"].format(count=1) not in card.text
    assert texts["photos"].format(count=2) in labels(card)
    await alice.tap(card, texts["photos"].format(count=2))
    shown = [await alice.next_message(), await alice.next_message()]
    assert [message.photo is not None for message in shown] == [True, True]
    assert [len(params["media"]) for params in calls(emulator, "sendMediaGroup")] == [2]

    await alice.tap(card, texts["pdf"])
    document = (await alice.next_message()).document
    text = PdfReader(io.BytesIO(document.data)).pages[0].extract_text()
    assert texts["pdf_attachments"].format(count=2) in text
    assert len(PdfReader(io.BytesIO(document.data)).pages[0].images) == 2


@pytest.mark.parametrize("language", ["en", "nl"])
async def test_a_photo_kept_for_a_new_session_goes_with_a_quick_log(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, language: str
) -> None:
    texts = TEXTS[language]
    await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice", language_code=language)
    photo = image("green")
    await alice.send_photo(photo)
    await alice.tap(await alice.next_message(), texts["new"])
    await alice.next_edit()  # "tap below to log it; it is attached when you save"

    confirmation = await alice.ask(texts["quick"])
    assert texts["waiting"] in confirmation.text
    await alice.tap(confirmation, texts["save"])
    saved = await alice.next_edit()
    assert texts["saved"] in saved.text
    assert texts["attachments"].format(count=1) in saved.text
    await alice.next_message()  # the AI reflection of the new session

    async with db.session() as session:
        newest = await session.scalar(select(ShootingSession).order_by(ShootingSession.id.desc()))
    assert newest is not None and newest.date not in (dt.date(2026, 11, 21), dt.date(2026, 11, 14))
    [row] = await attachments(db)
    assert (row.user_id, row.attachable_type, row.attachable_id) == (ALICE, AttachableType.SESSION, newest.id)
    assert row.sha256 == hashlib.sha256(photo).hexdigest()
    await emulator.settle()
    data = await user_data(db, ALICE)
    assert not data.get("pending_files") and not data.get("pending_question"), "nothing lingers"

    await alice.tap(await alice.ask("/sessions"), "x", data=f"ss:card:{newest.id}")
    card = await alice.next_edit()
    assert texts["attachments"].format(count=1) in card.text
    assert texts["photos"].format(count=1) in labels(card)
    started = await alice.ask("/log")
    assert texts["log_started"] not in started.text, "the photo does not ride along to the next /log"
    assert len(await attachments(db)) == 1


async def test_cancelling_a_quick_log_leaves_the_photo_waiting(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_photo(image("yellow"))
    await alice.tap(await alice.next_message(), "➕ New session")
    await alice.next_edit()
    confirmation = await alice.ask("log 25m glock 50 shots 471")
    await alice.tap(confirmation, "✖️ Cancel")
    cancelled = await alice.next_edit()
    assert "nothing was saved" in cancelled.text and "Attachments" not in cancelled.text
    await emulator.settle()
    assert await attachments(db) == []
    assert len((await user_data(db, ALICE))["pending_files"]) == 1, "still waiting for a place"
    started = await alice.ask("/log")
    assert "📎 1 file(s) you sent will be attached." in started.text
