"""The shooting log export: the PDF reads back with its rows, totals, attendance and disclaimer; the CSV
parses back to the same entries; a big year stays small; the dataset comes from the user's own rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from services.exports.session_export import (
    CSV_COLUMNS,
    ExportData,
    ExportEntry,
    ExportSession,
    LogTexts,
    collect,
    csv_cell,
    file_name,
    log_attendance,
    log_csv,
    log_pdf,
    weapon_totals,
)
from storage.db import Database
from storage.models import Competition, SessionWeaponEntry, ShootingSession, User, Weapon

NONE, KNSA, CLUB = Competition.NONE, Competition.KNSA, Competition.CLUB
FIRST, LAST = dt.date(2026, 1, 1), dt.date(2026, 12, 31)

TEXTS = LogTexts(
    language="en",
    title="Shooting log",
    shooter="Shooter: {name}",
    licence="KNSA licence number: {number}",
    licence_missing="not set — add it in /settings",
    period="Period: {first} – {last}",
    columns=("Date", "Club / place", "Discipline", "Weapon", "Shots", "Ammo", "Distance", "Score", "Match"),
    competition={"none": "no", "knsa": "yes, KNSA", "club": "yes, club"},
    weapon_types={"pistol": "Pistol", "rifle": "Rifle"},
    serial="SN {serial}",
    totals_title="Totals per weapon",
    totals_columns=("Weapon", "Sessions", "Shots"),
    totals_all="All weapons",
    attendance_title="Attendance",
    attendance_days="Session days from {since} to {until}: {count} of {required}.",
    attendance_year="{year}: KNSA matches {knsa} of {knsa_required}, club matches {club} of {club_required}.",
    met="✓ met",
    not_met="✗ not met",
    disclaimer="This is a personal overview. The official proof is the club's register or the KNSA record.",
    page="page {page} of {pages}",
)

GLOCK = dict(weapon_id=1, weapon="Glock 17", weapon_type="pistol", caliber="9mm", serial_number="GX-100")
ANSCHUTZ = dict(
    weapon_id=2, weapon="Anschütz 1907", weapon_type="rifle", caliber=".22 LR", serial_number=None
)


def entry(weapon: dict, shots: int, distance: int = 25, score: int | None = None) -> ExportEntry:
    return ExportEntry(
        **weapon,
        distance_m=distance,
        shot_count=shots,
        ammo_caliber=weapon["caliber"],
        score=score,
        grouping_note=None,
    )


def session(
    number: int, day: dt.date, competition: Competition, *entries: ExportEntry, **values
) -> ExportSession:
    defaults = dict(
        start_time=None,
        end_time=None,
        club="SV De Roos",
        location="Utrecht",
        discipline="Precisie",
        weather=None,
        ammo_brand="Geco",
        notes=None,
        reflection=None,
    )
    return ExportSession(
        id=number, date=day, competition=competition, entries=entries, **{**defaults, **values}
    )


def seeded_year() -> ExportData:
    """2026: 20 sessions on 19 days (two on 1 Mar), 3 KNSA matches and 2 club matches; one 2025 session
    that counts for the 12 months but is outside the period."""
    sessions = []
    for number in range(20):
        day = dt.date(2026, 1 + number // 2, 1 + (number % 2) * 14) if number != 5 else dt.date(2026, 3, 1)
        competition = KNSA if number in (2, 9, 15) else CLUB if number in (4, 6) else NONE
        entries = [entry(GLOCK, 50, score=440 + number)]
        if number % 4 == 0:
            entries.append(entry(ANSCHUTZ, 30, distance=50))
        sessions.append(session(number, day, competition, *entries))
    sessions.append(
        session(
            99, dt.date(2026, 11, 3), NONE, club="Schietvereniging Łódź ☂", location=None, discipline=None
        )
    )
    facts = (*((s.date, s.competition) for s in sessions), (dt.date(2025, 12, 31), KNSA))
    return ExportData("Alice van Dijk", "KNSA-12345", FIRST, LAST, tuple(sessions), facts)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_totals_and_attendance_figures_of_the_seeded_year() -> None:
    data = seeded_year()
    totals = weapon_totals(data)
    assert [(t.entry.weapon, t.sessions, t.shots) for t in totals] == [
        ("Anschütz 1907", 5, 150),
        ("Glock 17", 20, 1000),
    ]
    figures = log_attendance(data)
    assert figures.since == dt.date(2026, 1, 1) and figures.days == 20, "1 Mar counts once, 3 Nov too"
    assert [(y.year, y.knsa, y.club, y.met) for y in figures.years] == [(2026, 3, 2, True)]


def test_the_pdf_reads_back_with_rows_totals_attendance_and_disclaimer() -> None:
    text = pdf_text(log_pdf(seeded_year(), TEXTS))
    assert "Shooter: Alice van Dijk" in text and "KNSA licence number: KNSA-12345" in text
    assert "Period: 1 Jan 2026 – 31 Dec 2026" in text
    assert text.count("Glock 17 · Pistol · 9mm · SN GX-100") == 20 + 1, "every row, and its total"
    assert text.count("Anschütz 1907 · Rifle · .22 LR") == 5 + 1
    assert "15 Jan 2026" in text and "Schietvereniging Łódź ☂" in text
    assert text.count("1 Mar 2026") == 1, "one row per session day: the two sessions of 1 Mar share it"
    assert "yes, KNSA" in text and "yes, club" in text
    assert "All weapons 21 1150" in text
    assert "Session days from 1 Jan 2026 to 31 Dec 2026: 20 of 18. ✓ met" in text
    assert "2026: KNSA matches 3 of 3, club matches 2 of 5. ✓ met" in text
    assert "The official proof is the club's register or the KNSA record." in text
    assert "page 1 of" in text


def test_a_missing_licence_number_says_where_to_add_it() -> None:
    data = seeded_year()
    data = ExportData(None, None, data.first, data.last, data.sessions[:2], data.facts[:2])
    text = pdf_text(log_pdf(data, TEXTS))
    assert "KNSA licence number: not set — add it in /settings" in text
    assert "Session days from 1 Jan 2026 to 31 Dec 2026: 2 of 18. ✗ not met" in text


def test_a_long_log_repeats_the_header_on_every_page() -> None:
    data = seeded_year()
    many = tuple(session(n, FIRST + dt.timedelta(days=n % 365), NONE, entry(GLOCK, 10)) for n in range(120))
    pages = [
        page.extract_text()
        for page in PdfReader(
            io.BytesIO(log_pdf(ExportData("A", "1", FIRST, LAST, many, data.facts), TEXTS))
        ).pages
    ]
    assert len(pages) >= 3
    assert all("Date" in page and "Club / place" in page for page in pages[:-1])
    assert f"page {len(pages)} of {len(pages)}" in pages[-1]


def test_a_thousand_sessions_export_under_the_upload_limit() -> None:
    entries = (entry(GLOCK, 50, score=450), entry(ANSCHUTZ, 30, distance=50))
    many = tuple(
        session(n, FIRST + dt.timedelta(days=n % 365), NONE, *entries, notes="Rustig " * 20)
        for n in range(1000)
    )
    data = ExportData("A", "1", FIRST, LAST, many, ())
    pdf = log_pdf(data, TEXTS)
    comma_separated = log_csv(data)
    assert len(pdf) < 50 * 1024 * 1024 and len(comma_separated) < 50 * 1024 * 1024
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 20


@pytest.mark.parametrize("separator", [",", ";"])
def test_the_csv_parses_back_to_the_same_entries(separator: str) -> None:
    data = seeded_year()
    raw = log_csv(data, separator)
    assert raw.startswith(b"\xef\xbb\xbf"), "a byte order mark, so Excel reads UTF-8"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=separator))
    assert tuple(rows[0]) == CSV_COLUMNS
    expected = [
        (
            s.date.isoformat(),
            s.competition.value,
            e.weapon,
            str(e.shot_count),
            str(e.distance_m),
            "" if e.score is None else str(e.score),
        )
        for s in data.sessions
        for e in s.entries
    ]
    with_entries = [r for r in rows if r["weapon"]]
    assert [
        (r["date"], r["competition"], r["weapon"], r["shot_count"], r["distance_m"], r["score"])
        for r in with_entries
    ] == expected
    assert with_entries[0]["serial_number"] == "GX-100" and with_entries[0]["club"] == "SV De Roos"
    empty = [r for r in rows if not r["weapon"]]
    assert [(r["date"], r["club"]) for r in empty] == [("2026-11-03", "Schietvereniging Łódź ☂")]


def test_the_csv_keeps_separators_quotes_and_newlines_in_fields() -> None:
    tricky = session(1, FIRST, NONE, entry(GLOCK, 5), notes='a; b, "c"\nd')
    raw = log_csv(ExportData(None, None, FIRST, LAST, (tricky,), ()), ";")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0]["notes"] == 'a; b, "c"\nd'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"], ids=repr)
def test_a_text_cell_that_starts_like_a_formula_gets_a_quote_and_a_number_stays_a_number(start: str) -> None:
    """OWASP's advice for text cells; a number is written as a number, a negative one too (`-3` is a value a
    spreadsheet reads as -3, not a formula, and quoting it would make it text)."""
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert (
        csv_cell("a - b") == "a - b" and csv_cell(-3) == -3 and csv_cell(Decimal("-0.5")) == Decimal("-0.5")
    )
    row = session(1, FIRST, NONE, entry(GLOCK, 5, score=-3), notes=f"{start}HYPERLINK(1)")
    raw = log_csv(ExportData(None, None, FIRST, LAST, (row,), ()), ";")
    [cells] = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert cells["notes"] == f"'{start}HYPERLINK(1)" and cells["score"] == "-3"


def test_file_names() -> None:
    assert file_name(FIRST, LAST, "pdf") == "aimtrack-schietlog-2026-01-01_2026-12-31.pdf"


async def test_collect_takes_the_users_rows_the_chosen_weapons_and_retired_ones(db: Database) -> None:
    async with db.session() as s:
        alice = User(id=1, display_name="Alice", licence_number="K-1")
        s.add_all([alice, User(id=2)])
        await s.flush()
        glock = Weapon(user_id=1, name="Glock", type="pistol", caliber="9mm")
        old = Weapon(user_id=1, name="Old", type="rifle", caliber=".22 LR", retired_at=dt.date(2026, 5, 1))
        bobs = Weapon(user_id=2, name="Bob's", type="pistol", caliber="9mm")
        s.add_all([glock, old, bobs])
        await s.flush()

        def add(user_id: int, day: dt.date, *weapons: Weapon, competition=NONE) -> None:
            row = ShootingSession(user_id=user_id, date=day, competition=competition)
            row.entries = [
                SessionWeaponEntry(weapon_id=w.id, distance_m=25, shot_count=10, ammo_caliber=w.caliber)
                for w in weapons
            ]
            s.add(row)

        add(1, dt.date(2026, 2, 1), glock, old)
        add(1, dt.date(2026, 3, 1), old)
        add(1, dt.date(2026, 4, 1), competition=KNSA)  # no entries: still a session day
        add(1, dt.date(2025, 12, 30), glock)  # before the period and its 12 months
        add(1, dt.date(2027, 1, 1), glock)  # after it
        add(2, dt.date(2026, 2, 1), bobs)

    async with db.session() as s:
        user = await s.get_one(User, 1)
        everything = await collect(s, user, FIRST, LAST)
        glock_only = await collect(s, user, FIRST, LAST, {glock.id})

    assert [x.date.month for x in everything.sessions] == [2, 3, 4]
    assert [e.weapon for e in everything.sessions[0].entries] == ["Glock", "Old"]
    assert everything.licence_number == "K-1" and everything.shooter == "Alice"
    assert [(x.date.month, [e.weapon for e in x.entries]) for x in glock_only.sessions] == [
        (2, ["Glock"]),
        (4, []),
    ]
    assert sorted(day for day, _ in everything.facts) == [
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
        dt.date(2026, 4, 1),
    ]
    assert log_attendance(everything).days == 3


def test_a_word_wider_than_its_column_is_broken_and_kept_whole() -> None:
    place = "Schietsportcentrum" * 12  # no space to wrap at: the cell breaks it inside the word
    data = ExportData("A", "1", FIRST, LAST, (session(1, FIRST, NONE, entry(GLOCK, 10), club=place),), ())
    page = PdfReader(io.BytesIO(log_pdf(data, TEXTS))).pages[0].extract_text()
    assert place in page.replace("\n", "")
    assert max(len(line) for line in page.splitlines()) < len(place), (
        "broken over lines, not run off the page"
    )


def test_a_day_taller_than_a_page_continues_on_the_next_with_the_heading() -> None:
    crowded = tuple(session(n, FIRST, NONE, *(entry(GLOCK, n + 1) for _ in range(3))) for n in range(40))
    pages = [
        page.extract_text()
        for page in PdfReader(
            io.BytesIO(log_pdf(ExportData("A", "1", FIRST, LAST, crowded, ()), TEXTS))
        ).pages
    ]
    assert len(pages) >= 3, "120 entries of one day do not fit one page"
    assert all(page.count("Club / place") == 1 for page in pages[:-1])
    text = "\n".join(pages)
    assert text.count("1 Jan 2026") == 3, "the period, the day's one row, the attendance line"
    assert all(f"\n{n}\n" in text for n in range(1, 41)), "no entry lost at a page break"
