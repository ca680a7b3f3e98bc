"""The user's logbook of range sessions: the list, a session's card, saving a draft, deleting, quick logs.

Every use case reads and writes only the user's own rows: a session, weapon or entry of another user is
refused like a missing one. Results are plain data; the steps of the /log flow are `services.session_log`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from services.attachments import forget_files
from services.session_log import (
    Facts,
    Line,
    SessionDraft,
    WeaponChoice,
    draft_from_quick,
    draft_from_session,
    entry_values,
    overview_line,
    parse_quick_log,
    session_values,
)
from services.unit_of_work import UnitOfWork
from storage import attachments, shooting_sessions, weapons
from storage.models import AttachableType, ShootingSession

PER_PAGE = 5


@dataclass(frozen=True)
class SessionLine:
    """One session in the list: its day and club (the button) and its overview line."""

    id: int
    date: dt.date
    club: str | None
    line: Line


@dataclass(frozen=True)
class SessionsPage:
    page: int  # within 1..pages
    pages: int
    total: int
    sessions: tuple[SessionLine, ...]


@dataclass(frozen=True)
class SessionCard:
    """A saved session as a draft (to show or edit), with the number of files attached to it or to any of
    its entries."""

    id: int
    date: dt.date
    files: int
    draft: SessionDraft

    @property
    def entries(self) -> int:
        return len(self.draft.entries)


@dataclass(frozen=True)
class SavedSession:
    id: int
    date: dt.date
    created: bool  # a new session (not an edit of a saved one)


async def sessions_page(uow: UnitOfWork, user_id: int, page: int) -> SessionsPage:
    """Page `page` of the user's sessions, newest first; a page out of range becomes the nearest one."""
    async with uow.transaction() as session:
        total = await shooting_sessions.count_sessions(session, user_id)
        pages = max(1, -(-total // PER_PAGE))
        page = min(max(page, 1), pages)
        rows = await shooting_sessions.latest_sessions(
            session, user_id, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
        )
        lines = tuple(SessionLine(row.id, row.date, row.club, overview_line(row)) for row in rows)
    return SessionsPage(page=page, pages=pages, total=total, sessions=lines)


async def open_session(uow: UnitOfWork, user_id: int, session_id: int) -> SessionCard | None:
    """One of the user's sessions with its entries, and how many files it has: its own and its entries',
    the same files its Photos button sends and its PDF counts."""
    async with uow.transaction() as session:
        row = await shooting_sessions.get_session(session, user_id, session_id)
        if row is None:
            return None
        files = len(await attachments.list_session_attachments(session, user_id, row))
        return SessionCard(row.id, row.date, files, draft_from_session(row, files))


async def delete_session(uow: UnitOfWork, user_id: int, session_id: int, *, data_dir: Path) -> dt.date | None:
    """Remove one of the user's sessions with its entries, their attachment rows and the files no other
    row references; returns its day, or None when it is not (or no longer) the user's."""
    async with uow.transaction() as session:
        row = await shooting_sessions.get_session(session, user_id, session_id)
        if row is None:
            return None
        day = row.date
        paths = await _file_paths(session, user_id, row)
        deleted = await shooting_sessions.delete_session(session, user_id, session_id)
    if not deleted:
        return None
    await forget_files(uow, data_dir, paths)
    return day


async def _file_paths(session: AsyncSession, user_id: int, row: ShootingSession) -> set[str]:
    """The paths of the files attached to a session and to each of its entries."""
    return {file.path for file in await attachments.list_session_attachments(session, user_id, row)}


async def save_draft(
    uow: UnitOfWork, user_id: int, draft: SessionDraft, *, data_dir: Path | None = None
) -> SavedSession | None:
    """Write the session, its entries and its new files in one transaction. None (nothing written) when
    the session or one of its weapons is no longer the user's. With `data_dir`, the files of entries an
    edit removed go when no other row references them."""
    values, entries = session_values(draft), entry_values(draft)
    before: set[str] = set()
    async with uow.transaction() as session:
        if draft.session_id is None:
            row = await shooting_sessions.create_session(session, user_id, values, entries)
        else:
            existing = await shooting_sessions.get_session(session, user_id, draft.session_id)
            before = await _file_paths(session, user_id, existing) if existing is not None else set()
            row = await shooting_sessions.update_session(session, user_id, draft.session_id, values, entries)
        if row is None:
            return None
        for description in draft.files:
            await attachments.add_attachment(session, user_id, AttachableType.SESSION, row.id, **description)
        saved = SavedSession(row.id, row.date, created=draft.session_id is None)
    if data_dir is not None and before:
        await forget_files(uow, data_dir, before)
    return saved


async def understand_quick_log(uow: UnitOfWork, user_id: int, text: str, today: dt.date) -> SessionDraft:
    """A one-line log (`log 25m glock 50 shots 471`) as today's session at the user's last club, with the
    weapon it names among the user's. Raises `InvalidInput` saying what is missing or unclear."""
    async with uow.transaction() as session:
        owned = await weapons.list_weapons(session, user_id)
        choices = [WeaponChoice(weapon.id, weapon.name, weapon.caliber) for weapon in owned]
        club = await shooting_sessions.last_club(session, user_id)
    return draft_from_quick(parse_quick_log(text, choices), today, club)


async def log_facts(
    uow: UnitOfWork,
    user_id: int,
    today: dt.date,
    *,
    common_weather: tuple[str, ...] = (),
    common_disciplines: tuple[str, ...] = (),
) -> Facts:
    """What the /log questions offer: the user's weapons in service and recently used clubs, places, ammo
    brands and disciplines; the common weather and disciplines come in the user's language."""
    async with uow.transaction() as session:
        owned = await weapons.list_weapons(session, user_id)
        clubs = await shooting_sessions.recent_clubs(session, user_id)
        locations = await shooting_sessions.recent_locations(session, user_id)
        brands = await shooting_sessions.recent_ammo_brands(session, user_id)
        disciplines = await shooting_sessions.recent_disciplines(session, user_id)
    return Facts(
        today=today,
        weapons=tuple(WeaponChoice(weapon.id, weapon.name, weapon.caliber) for weapon in owned),
        clubs=tuple(clubs),
        locations=tuple(locations),
        ammo_brands=tuple(brands),
        disciplines=tuple(disciplines),
        common_weather=common_weather,
        common_disciplines=common_disciplines,
    )
