"""The WM-4-style shooting log: a period's sessions as a PDF overview and as CSV rows.

`collect` reads the dataset (async, one database session); `log_pdf` and `log_csv` turn it into bytes and
block (fpdf2, csv): run them with `asyncio.to_thread`. Words come in through `LogTexts` in the reader's
language, so nothing here knows about chats.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.attendance import (
    REQUIRED_CLUB_MATCHES,
    REQUIRED_DAYS,
    REQUIRED_KNSA_MATCHES,
    Fact,
    match_days,
    session_days,
    year_before,
)
from services.exports.grid import Grid
from services.exports.pdf import FONT, document
from services.preferences import format_day
from services.validation import InvalidInput
from storage.attendance import session_facts
from storage.exports import PlainRow, session_rows_between
from storage.models import Competition, SessionWeaponEntry, ShootingSession

if TYPE_CHECKING:
    from fpdf import FPDF
    from PIL import Image

CSV_COLUMNS = (
    "date",
    "start_time",
    "end_time",
    "club",
    "location",
    "discipline",
    "competition",
    "weather",
    "ammo_brand",
    "weapon",
    "weapon_type",
    "caliber",
    "serial_number",
    "distance_m",
    "shot_count",
    "ammo_caliber",
    "score",
    "grouping_note",
    "notes",
    "reflection",
)
SEPARATORS = (",", ";")

# Landscape A4 leaves 277 mm between the margins: date, club and place, discipline, weapons, shots,
# ammo, distance, score, competition.
LOG_COLUMN_WIDTHS = (21, 44, 28, 92, 14, 30, 16, 12, 20)
TOTAL_COLUMN_WIDTHS = (187, 45, 45)
# A day with a KNSA match and a training session is a KNSA match day in the log.
_COMPETITION_RANK = [Competition.NONE, Competition.CLUB, Competition.KNSA]


@dataclass(frozen=True)
class ExportEntry:
    weapon_id: int
    weapon: str
    weapon_type: str
    caliber: str
    serial_number: str | None
    distance_m: int
    shot_count: int
    ammo_caliber: str
    score: int | None
    grouping_note: str | None


@dataclass(frozen=True)
class ExportSession:
    id: int
    date: dt.date
    start_time: dt.time | None
    end_time: dt.time | None
    club: str | None
    location: str | None
    discipline: str | None
    competition: Competition
    weather: str | None
    ammo_brand: str | None
    notes: str | None
    reflection: str | None
    entries: tuple[ExportEntry, ...]


@dataclass(frozen=True)
class ExportData:
    shooter: str | None
    licence_number: str | None
    first: dt.date
    last: dt.date
    sessions: tuple[ExportSession, ...]
    facts: tuple[Fact, ...] = field(default=())  # every session (any weapon) the attendance figures count

    @property
    def empty(self) -> bool:
        return not self.sessions


@dataclass(frozen=True)
class WeaponTotal:
    entry: ExportEntry  # the weapon's name, type, caliber and serial number
    sessions: int
    shots: int


@dataclass(frozen=True)
class YearMatches:
    year: int
    knsa: int
    club: int

    @property
    def met(self) -> bool:
        return self.knsa >= REQUIRED_KNSA_MATCHES or self.club >= REQUIRED_CLUB_MATCHES


@dataclass(frozen=True)
class LogAttendance:
    since: dt.date  # first day of the 12 months before the period's end
    until: dt.date
    days: int
    years: tuple[YearMatches, ...]  # each calendar year the period touches

    @property
    def days_met(self) -> bool:
        return self.days >= REQUIRED_DAYS


# --- the dataset -------------------------------------------------------------------------------------


def _entry(entry: SessionWeaponEntry) -> ExportEntry:
    weapon = entry.weapon
    return ExportEntry(
        weapon_id=weapon.id,
        weapon=weapon.name,
        weapon_type=weapon.type,
        caliber=weapon.caliber,
        serial_number=weapon.serial_number,
        distance_m=entry.distance_m,
        shot_count=entry.shot_count,
        ammo_caliber=entry.ammo_caliber,
        score=entry.score,
        grouping_note=entry.grouping_note,
    )


def export_session(row: ShootingSession, weapon_ids: Collection[int] | None = None) -> ExportSession | None:
    """The session with the entries of the chosen weapons (None: all); None when it has entries but none
    of them is a chosen weapon. A session without entries is still a session day and always included."""
    entries = tuple(_entry(e) for e in row.entries if weapon_ids is None or e.weapon_id in weapon_ids)
    if row.entries and not entries:
        return None
    return ExportSession(
        id=row.id,
        date=row.date,
        start_time=row.start_time,
        end_time=row.end_time,
        club=row.club,
        location=row.location,
        discipline=row.discipline,
        competition=Competition(row.competition),
        weather=row.weather,
        ammo_brand=row.ammo_brand,
        notes=row.raw_notes,
        reflection=row.manual_reflection,
        entries=entries,
    )


class Shooter(Protocol):
    """Whose log it is: the user's row, or the account the chat has of it."""

    @property
    def id(self) -> int: ...

    @property
    def display_name(self) -> str | None: ...

    @property
    def licence_number(self) -> str | None: ...


async def collect(
    session: AsyncSession,
    user: Shooter,
    first: dt.date,
    last: dt.date,
    weapon_ids: Collection[int] | None = None,
) -> ExportData:
    """The user's sessions from `first` to `last` with the chosen weapons (None: all, retired included),
    and the dates the attendance figures need."""
    session_rows, entry_rows = await session_rows_between(session, user.id, first, last)
    since = min(first.replace(month=1, day=1), year_before(last))
    facts = tuple(
        (day, Competition(c)) for day, c in await session_facts(session, user.id, since) if day <= last
    )
    entries: dict[int, list[ExportEntry]] = {}
    for entry_row in entry_rows:
        entries.setdefault(entry_row[0], []).append(ExportEntry(*entry_row[1:]))
    sessions = tuple(
        s for row in session_rows if (s := _export_row(row, entries.get(row.id, []), weapon_ids)) is not None
    )
    return ExportData(user.display_name, user.licence_number, first, last, sessions, facts)


def _export_row(
    row: PlainRow, entries: list[ExportEntry], weapon_ids: Collection[int] | None
) -> ExportSession | None:
    """`export_session` for a plain row of `session_rows_between`."""
    chosen = tuple(e for e in entries if weapon_ids is None or e.weapon_id in weapon_ids)
    if entries and not chosen:
        return None
    (
        session_id,
        day,
        start,
        end,
        club,
        location,
        discipline,
        competition,
        weather,
        ammo,
        notes,
        reflection,
    ) = row
    return ExportSession(
        id=session_id,
        date=day,
        start_time=start,
        end_time=end,
        club=club,
        location=location,
        discipline=discipline,
        competition=Competition(competition),
        weather=weather,
        ammo_brand=ammo,
        notes=notes,
        reflection=reflection,
        entries=chosen,
    )


def weapon_totals(data: ExportData) -> list[WeaponTotal]:
    """Sessions and shots per weapon, by name."""
    shots: dict[int, int] = {}
    sessions: dict[int, set[int]] = {}
    weapons: dict[int, ExportEntry] = {}
    for row in data.sessions:
        for entry in row.entries:
            weapons.setdefault(entry.weapon_id, entry)
            shots[entry.weapon_id] = shots.get(entry.weapon_id, 0) + entry.shot_count
            sessions.setdefault(entry.weapon_id, set()).add(row.id)
    order = sorted(weapons, key=lambda wid: (weapons[wid].weapon.casefold(), wid))
    return [WeaponTotal(weapons[wid], len(sessions[wid]), shots[wid]) for wid in order]


def log_attendance(data: ExportData) -> LogAttendance:
    """Session days in the 12 months before the period's end, and matches per calendar year."""
    since = year_before(data.last) + dt.timedelta(days=1)
    years = tuple(
        YearMatches(
            year,
            match_days(data.facts, year, Competition.KNSA),
            match_days(data.facts, year, Competition.CLUB),
        )
        for year in range(data.first.year, data.last.year + 1)
    )
    return LogAttendance(since, data.last, len(session_days(data.facts, since, data.last)), years)


# --- CSV ---------------------------------------------------------------------------------------------


# OWASP's CSV injection advice: a text cell starting with one of these is read as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A value as a CSV cell that no spreadsheet runs as a formula: text starting with `=`, `+`, `-`, `@`,
    a tab or a carriage return gets a leading single quote (OWASP). Numbers are written as numbers, a
    negative score included: `-3` is a value, never a formula, and stays numeric for the spreadsheet."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_values(row: ExportSession, entry: ExportEntry | None) -> list[object]:
    session_part: list[object] = [
        row.date.isoformat(),
        row.start_time.strftime("%H:%M") if row.start_time else "",
        row.end_time.strftime("%H:%M") if row.end_time else "",
        row.club,
        row.location,
        row.discipline,
        row.competition.value,
        row.weather,
        row.ammo_brand,
    ]
    entry_part: list[object] = (
        [
            entry.weapon,
            entry.weapon_type,
            entry.caliber,
            entry.serial_number,
            entry.distance_m,
            entry.shot_count,
            entry.ammo_caliber,
            entry.score,
            entry.grouping_note,
        ]
        if entry
        else [None] * 9
    )
    values = [*session_part, *entry_part, row.notes, row.reflection]
    return ["" if value is None else csv_cell(value) for value in values]


def log_csv(data: ExportData, separator: str = ",") -> bytes:
    """One row per session entry (a session without entries: one row with the entry columns empty),
    UTF-8 with a byte order mark so that Excel reads the accents; `;` for Excel set to Dutch. Every text
    cell passes `csv_cell`, so none is a formula."""
    if separator not in SEPARATORS:
        raise ValueError(f"unsupported CSV separator {separator!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in data.sessions:
        for entry in row.entries or (None,):
            writer.writerow(_csv_values(row, entry))
    return buffer.getvalue().encode("utf-8-sig")


# --- PDF ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogTexts:
    """The words of the PDF in the reader's language; `{…}` placeholders are filled in here."""

    language: str  # for dates
    title: str
    shooter: str  # {name}
    licence: str  # {number}
    licence_missing: str
    period: str  # {first} {last}
    columns: tuple[str, ...]  # as LOG_COLUMN_WIDTHS
    competition: Mapping[str, str]  # Competition value -> "no", "yes, KNSA", …
    weapon_types: Mapping[str, str]
    serial: str  # {serial}
    totals_title: str
    totals_columns: tuple[str, str, str]  # weapon, sessions, shots
    totals_all: str
    attendance_title: str
    attendance_days: str  # {since} {until} {count} {required}
    attendance_year: str  # {year} {knsa} {knsa_required} {club} {club_required}
    met: str
    not_met: str
    disclaimer: str
    unknown_shooter: str = "–"
    page: str = "{page}/{pages}"


def _day(texts: LogTexts, day: dt.date) -> str:
    return format_day(day, texts.language)


def weapon_text(entry: ExportEntry, texts: LogTexts) -> str:
    """Name, type, caliber and serial number of an entry's weapon, in one line."""
    parts = [entry.weapon, texts.weapon_types.get(entry.weapon_type, entry.weapon_type), entry.caliber]
    if entry.serial_number:
        parts.append(texts.serial.format(serial=entry.serial_number))
    return " · ".join(parts)


def _joined(values: Iterable[str | None]) -> str:
    """The distinct non-empty values in order, one per line; "–" when there are none."""
    return "\n".join(dict.fromkeys(value for value in values if value)) or "–"


def _log_row(day: Sequence[ExportSession], texts: LogTexts) -> tuple[str, ...]:
    """One row for a session day: a second session that day adds its place and entries to the row."""
    pairs = [(row, e) for row in day for e in row.entries]
    places = [", ".join(part for part in (row.club, row.location) if part) for row in day]
    ammo = [" · ".join(p for p in (e.ammo_caliber, row.ammo_brand) if p) for row, e in pairs]
    competition = max((row.competition for row in day), key=_COMPETITION_RANK.index)
    return (
        _day(texts, day[0].date),
        _joined(places),
        _joined(row.discipline for row in day),
        "\n".join(weapon_text(e, texts) for _, e in pairs) or "–",
        "\n".join(str(e.shot_count) for _, e in pairs) or "–",
        "\n".join(ammo) or _joined(row.ammo_brand for row in day),
        "\n".join(f"{e.distance_m} m" for _, e in pairs) or "–",
        "\n".join("–" if e.score is None else str(e.score) for _, e in pairs) or "–",
        texts.competition.get(competition.value, competition.value),
    )


def _header(pdf: FPDF, data: ExportData, texts: LogTexts) -> None:
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 8, texts.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    licence = data.licence_number or texts.licence_missing
    lines = (
        texts.shooter.format(name=data.shooter or texts.unknown_shooter),
        texts.licence.format(number=licence),
        texts.period.format(first=_day(texts, data.first), last=_day(texts, data.last)),
    )
    for line in lines:
        pdf.multi_cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _section(pdf: FPDF, title: str) -> None:
    if pdf.will_page_break(25):
        pdf.add_page(same=True)
    pdf.ln(4)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)


def _log_table(pdf: FPDF, data: ExportData, texts: LogTexts) -> None:
    rows = (_log_row(list(day), texts) for _, day in itertools.groupby(data.sessions, key=lambda r: r.date))
    Grid(pdf, LOG_COLUMN_WIDTHS, texts.columns, FONT, size=8, line_height=4, padding=1).draw(rows)


def _totals_table(pdf: FPDF, data: ExportData, texts: LogTexts) -> None:
    totals = weapon_totals(data)
    _section(pdf, texts.totals_title)
    with pdf.table(
        col_widths=TOTAL_COLUMN_WIDTHS, text_align=("LEFT", "RIGHT", "RIGHT"), line_height=5, padding=1
    ) as table:
        table.row(texts.totals_columns)
        for total in totals:
            table.row((weapon_text(total.entry, texts), str(total.sessions), str(total.shots)))
        all_shots = sum(total.shots for total in totals)
        table.row((texts.totals_all, str(len(data.sessions)), str(all_shots)))


def _attendance(pdf: FPDF, data: ExportData, texts: LogTexts) -> None:
    figures = log_attendance(data)
    _section(pdf, texts.attendance_title)
    days = texts.attendance_days.format(
        since=_day(texts, figures.since),
        until=_day(texts, figures.until),
        count=figures.days,
        required=REQUIRED_DAYS,
    )
    lines = [f"{days} {texts.met if figures.days_met else texts.not_met}"]
    for year in figures.years:
        matches = texts.attendance_year.format(
            year=year.year,
            knsa=year.knsa,
            knsa_required=REQUIRED_KNSA_MATCHES,
            club=year.club,
            club_required=REQUIRED_CLUB_MATCHES,
        )
        lines.append(f"{matches} {texts.met if year.met else texts.not_met}")
    for line in lines:
        pdf.multi_cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")


def log_pdf(data: ExportData, texts: LogTexts) -> bytes:
    """The overview for a period: header, one row per session day, totals per weapon, the attendance figures
    and the disclaimer. Blocking (fpdf2): run it in a thread."""
    pdf = document(texts.title, texts.page)
    pdf.add_page(orientation="landscape")
    _header(pdf, data, texts)
    _log_table(pdf, data, texts)
    _totals_table(pdf, data, texts)
    _attendance(pdf, data, texts)
    pdf.ln(4)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(0, 5, texts.disclaimer, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def file_name(first: dt.date, last: dt.date, extension: str) -> str:
    """`aimtrack-schietlog-2026-01-01_2026-12-31.pdf`."""
    return f"aimtrack-schietlog-{first.isoformat()}_{last.isoformat()}.{extension}"


MAX_LICENCE_LENGTH = 32  # users.licence_number


def parse_licence_number(text: str) -> str:
    """A KNSA licence number as typed (spaces around it dropped): 1 to 32 characters on one line."""
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > MAX_LICENCE_LENGTH:
        raise InvalidInput("export.settings.bad_licence", {"max": MAX_LICENCE_LENGTH})
    return cleaned


# --- one session on one page -------------------------------------------------------------------------

PHOTO_GAP = 4.0
MAX_PHOTOS = 12  # a 3 × 4 grid still shows each photo at a useful size


def _usable_images(images: Sequence[bytes]) -> list[Image.Image]:
    """The photos fpdf2 can place (JPEG, PNG, WebP, …); PDFs and unreadable files are left out."""
    from PIL import Image, UnidentifiedImageError

    usable = []
    for data in images:
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError, ValueError):
            continue
        usable.append(image.convert("RGB") if image.mode not in ("RGB", "L") else image)
    return usable


def session_pdf(
    title: str, lines: Sequence[str], images: Sequence[bytes], page: str = "{page}/{pages}"
) -> bytes:
    """One session on one A4 page: its title, its lines (already in the reader's language) and its photos
    in a grid that fits what is left of the page. Blocking (fpdf2, Pillow): run it in a thread."""
    pdf = document(title, page)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    bottom = pdf.h - 20
    for line in lines:
        if pdf.get_y() > bottom - 10:
            break
        pdf.multi_cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    _photo_grid(pdf, _usable_images(images)[:MAX_PHOTOS], top=pdf.get_y() + PHOTO_GAP, bottom=bottom)
    return bytes(pdf.output())


def _photo_grid(pdf: FPDF, photos: Sequence[Image.Image], top: float, bottom: float) -> None:
    if not photos or bottom - top < 20:
        return
    columns = 1 if len(photos) == 1 else 2 if len(photos) <= 4 else 3
    rows = -(-len(photos) // columns)
    width = (pdf.epw - PHOTO_GAP * (columns - 1)) / columns
    height = (bottom - top - PHOTO_GAP * (rows - 1)) / rows
    for index, photo in enumerate(photos):
        row, column = divmod(index, columns)
        x = pdf.l_margin + column * (width + PHOTO_GAP)
        y = top + row * (height + PHOTO_GAP)
        pdf.image(photo, x=x, y=y, w=width, h=height, keep_aspect_ratio=True)
