"""Where a user's photos and files go: a session, one of its entries or a weapon, and showing them again.

The bytes are stored when a file arrives (`services.attachments`); the chat keeps the description of each
waiting file (`FILE_KEYS` of `services.session_log`) until the user says where it belongs. Every use case
is scoped to the user: a session, entry or weapon of another user is refused like a missing one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.attachments import forget_files, read_bytes
from services.session_log import FILE_KEYS, SessionDraft, draft_from_session
from services.unit_of_work import UnitOfWork
from storage import attachments, attendance, shooting_sessions, weapons
from storage.attachments import paths_in
from storage.models import AttachableType, Attachment, ShootingSession

RECENT_SESSIONS = 5  # the entries offered are those of the latest sessions


class Target(enum.StrEnum):
    """What files can be attached to (the values are short: they go into buttons)."""

    SESSION = "s"
    WEAPON = "w"
    ENTRY = "e"


_TYPES = {
    Target.SESSION: AttachableType.SESSION,
    Target.WEAPON: AttachableType.WEAPON,
    Target.ENTRY: AttachableType.ENTRY,
}


@dataclass(frozen=True)
class StoredAttachment:
    id: int
    path: str  # relative to the data dir
    mime: str
    original_name: str | None  # set when it was sent as a file, not as a photo
    telegram_file_id: str | None


@dataclass(frozen=True)
class SessionRef:
    id: int
    date: dt.date
    club: str | None


@dataclass(frozen=True)
class WeaponRef:
    id: int
    name: str


@dataclass(frozen=True)
class EntryRef:
    id: int
    session: SessionRef
    weapon: str
    distance_m: int


Place = SessionRef | WeaponRef | EntryRef


@dataclass(frozen=True)
class Places:
    """What the question "where does it belong?" can offer."""

    latest: SessionRef | None  # the latest session
    has_weapons: bool
    has_entries: bool  # among the latest sessions


def _session_ref(row: ShootingSession) -> SessionRef:
    return SessionRef(row.id, row.date, row.club)


def _stored(row: Attachment) -> StoredAttachment:
    return StoredAttachment(row.id, row.path, row.mime, row.original_name, row.telegram_file_id)


async def places(uow: UnitOfWork, user_id: int) -> Places:
    async with uow.transaction() as session:
        latest = await shooting_sessions.latest_sessions(session, user_id, limit=RECENT_SESSIONS)
        has_weapons = bool(await weapons.list_weapons(session, user_id, include_retired=True))
        return Places(
            latest=_session_ref(latest[0]) if latest else None,
            has_weapons=has_weapons,
            has_entries=any(row.entries for row in latest),
        )


async def weapon_places(uow: UnitOfWork, user_id: int, limit: int) -> tuple[WeaponRef, ...]:
    """The user's weapons, retired ones too, by name."""
    async with uow.transaction() as session:
        owned = await weapons.list_weapons(session, user_id, include_retired=True)
    return tuple(WeaponRef(weapon.id, weapon.name) for weapon in owned[:limit])


async def entry_places(uow: UnitOfWork, user_id: int, limit: int) -> tuple[EntryRef, ...]:
    """The entries of the user's latest sessions, newest session first."""
    async with uow.transaction() as session:
        latest = await shooting_sessions.latest_sessions(session, user_id, limit=RECENT_SESSIONS)
        found = [
            EntryRef(entry.id, _session_ref(row), entry.weapon.name, entry.distance_m)
            for row in latest
            for entry in row.entries
        ]
    return tuple(found[:limit])


async def _place(session: AsyncSession, user_id: int, target: Target, target_id: int) -> Place | None:
    if target is Target.WEAPON:
        weapon = await weapons.get_weapon(session, user_id, target_id)
        return WeaponRef(weapon.id, weapon.name) if weapon else None
    if target is Target.SESSION:
        row = await shooting_sessions.get_session(session, user_id, target_id)
        return _session_ref(row) if row else None
    found = await attendance.get_entry(session, user_id, target_id)
    if found is None:
        return None
    entry, row, weapon = found
    return EntryRef(entry.id, _session_ref(row), weapon.name, entry.distance_m)


async def attach_files(
    uow: UnitOfWork, user_id: int, target: Target, target_id: int, files: Sequence[Mapping[str, Any]]
) -> Place | None:
    """Attach the stored files (described by `FILE_KEYS`) to the place, once it is known to be the user's;
    None (nothing attached) when it is not."""
    async with uow.transaction() as session:
        place = await _place(session, user_id, target, target_id)
        if place is None:
            return None
        for item in files:
            values = {key: item[key] for key in FILE_KEYS}
            await attachments.add_attachment(session, user_id, _TYPES[target], target_id, **values)
    return place


async def discard_files(uow: UnitOfWork, data_dir: Path, user_id: int, dropped: object, held: object) -> int:
    """The user let go of the files in `dropped` (waiting files, or a draft, just forgotten): remove those
    still in none of `held` (the user's data as the bot holds it now) and referenced by no other row.
    Returns how many files were removed."""
    return await forget_files(uow, data_dir, paths_in(dropped), user_id=user_id, held=held)


async def weapon_files(uow: UnitOfWork, user_id: int, weapon_id: int) -> tuple[StoredAttachment, ...] | None:
    """The files of one of the user's weapons; None when the weapon is not the user's."""
    async with uow.transaction() as session:
        if await weapons.get_weapon(session, user_id, weapon_id) is None:
            return None
        files = await attachments.list_attachments(session, user_id, AttachableType.WEAPON, weapon_id)
        return tuple(_stored(row) for row in files)


async def session_files(
    uow: UnitOfWork, user_id: int, session_id: int
) -> tuple[StoredAttachment, ...] | None:
    """The files of one of the user's sessions and its entries; None when the session is not the user's."""
    async with uow.transaction() as session:
        row = await shooting_sessions.get_session(session, user_id, session_id)
        if row is None:
            return None
        return tuple(
            _stored(file) for file in await attachments.list_session_attachments(session, user_id, row)
        )


@dataclass(frozen=True)
class SessionSheet:
    """What the one-page PDF of a session shows: its summary (with every file counted) and its images."""

    id: int
    date: dt.date
    draft: SessionDraft
    images: tuple[bytes, ...]


async def session_sheet(
    uow: UnitOfWork, user_id: int, session_id: int, data_dir: Path
) -> SessionSheet | None:
    """One of the user's sessions with the bytes of its (and its entries') images, a file gone from disk
    left out; None when the session is not the user's."""
    async with uow.transaction() as session:
        row = await shooting_sessions.get_session(session, user_id, session_id)
        if row is None:
            return None
        files = [_stored(file) for file in await attachments.list_session_attachments(session, user_id, row)]
        sheet = SessionSheet(row.id, row.date, draft_from_session(row, len(files)), ())
    images = []
    for file in files:
        if not file.mime.startswith("image/"):
            continue
        try:
            images.append(await asyncio.to_thread(read_bytes, data_dir, file.path))
        except (OSError, ValueError):
            continue
    return dataclasses.replace(sheet, images=tuple(images))
