"""Queries on shooting sessions and their weapon entries; every one takes the user's id.

Sessions are read with their entries (and each entry's weapon) loaded explicitly, so async code never
triggers lazy IO. Values come in as plain dicts of column values, one per session and per entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from storage.attachments import delete_attachments_of
from storage.models import AttachableType, SessionWeaponEntry, ShootingSession, Weapon

SessionValues = dict[str, Any]  # ShootingSession columns (date, club, location, …)
EntryValues = dict[str, Any]  # SessionWeaponEntry columns, plus "id" of an existing entry when updating

_WITH_ENTRIES = selectinload(ShootingSession.entries).selectinload(SessionWeaponEntry.weapon)


async def get_session(session: AsyncSession, user_id: int, session_id: int) -> ShootingSession | None:
    """One of the user's sessions with its entries and their weapons; another user's is simply not found."""
    return await session.scalar(
        select(ShootingSession)
        .where(ShootingSession.id == session_id, ShootingSession.user_id == user_id)
        .options(_WITH_ENTRIES)
    )


async def latest_sessions(
    session: AsyncSession, user_id: int, *, offset: int = 0, limit: int = 5
) -> list[ShootingSession]:
    """The user's sessions, newest day first, with entries and weapons loaded."""
    result = await session.scalars(
        select(ShootingSession)
        .where(ShootingSession.user_id == user_id)
        .order_by(ShootingSession.date.desc(), ShootingSession.id.desc())
        .offset(offset)
        .limit(limit)
        .options(_WITH_ENTRIES)
    )
    return list(result)


async def count_sessions(session: AsyncSession, user_id: int) -> int:
    total = await session.scalar(
        select(func.count()).select_from(ShootingSession).where(ShootingSession.user_id == user_id)
    )
    return total or 0


async def _recent(
    session: AsyncSession, user_id: int, column: InstrumentedAttribute[Any], limit: int
) -> list[str]:
    """The distinct values of `column` in the user's sessions, most recently used first."""
    last_used = func.max(ShootingSession.date)
    result = await session.execute(
        select(column)
        .where(ShootingSession.user_id == user_id, column.is_not(None))
        .group_by(column)
        .order_by(last_used.desc(), func.max(ShootingSession.id).desc())
        .limit(limit)
    )
    return [value for (value,) in result]


async def recent_clubs(session: AsyncSession, user_id: int, limit: int = 5) -> list[str]:
    return await _recent(session, user_id, ShootingSession.club, limit)


async def recent_locations(session: AsyncSession, user_id: int, limit: int = 5) -> list[str]:
    return await _recent(session, user_id, ShootingSession.location, limit)


async def recent_disciplines(session: AsyncSession, user_id: int, limit: int = 5) -> list[str]:
    return await _recent(session, user_id, ShootingSession.discipline, limit)


async def recent_ammo_brands(session: AsyncSession, user_id: int, limit: int = 5) -> list[str]:
    return await _recent(session, user_id, ShootingSession.ammo_brand, limit)


async def last_club(session: AsyncSession, user_id: int) -> str | None:
    """The club of the user's latest session that names one (the quick log's default)."""
    return await session.scalar(
        select(ShootingSession.club)
        .where(ShootingSession.user_id == user_id, ShootingSession.club.is_not(None))
        .order_by(ShootingSession.date.desc(), ShootingSession.id.desc())
        .limit(1)
    )


async def _owns_weapons(session: AsyncSession, user_id: int, entries: Sequence[EntryValues]) -> bool:
    wanted = {entry["weapon_id"] for entry in entries}
    owned = await session.scalars(select(Weapon.id).where(Weapon.user_id == user_id, Weapon.id.in_(wanted)))
    return wanted == set(owned)


def _entry(values: EntryValues) -> SessionWeaponEntry:
    return SessionWeaponEntry(**{key: value for key, value in values.items() if key != "id"})


async def create_session(
    session: AsyncSession, user_id: int, values: SessionValues, entries: Sequence[EntryValues]
) -> ShootingSession | None:
    """Add a session with its entries; None (and nothing added) if an entry names a weapon not the user's."""
    if not await _owns_weapons(session, user_id, entries):
        return None
    row = ShootingSession(user_id=user_id, **values)
    row.entries = [_entry(entry) for entry in entries]
    session.add(row)
    await session.flush()
    return row


async def update_session(
    session: AsyncSession,
    user_id: int,
    session_id: int,
    values: SessionValues,
    entries: Sequence[EntryValues],
) -> ShootingSession | None:
    """Overwrite a session and replace its entries: entries with a known "id" are updated in place (so
    their attachments stay theirs), the others are added, and entries no longer listed are removed
    together with their attachment rows. None if the session or a weapon is not the user's.
    """
    row = await get_session(session, user_id, session_id)
    if row is None or not await _owns_weapons(session, user_id, entries):
        return None
    for key, value in values.items():
        setattr(row, key, value)
    existing = {entry.id: entry for entry in row.entries}
    kept: list[SessionWeaponEntry] = []
    for entry_values in entries:
        entry_id = entry_values.get("id")
        entry = existing.pop(entry_id, None) if entry_id else None
        if entry is None:
            kept.append(_entry(entry_values))
            continue
        for key, value in entry_values.items():
            if key != "id":
                setattr(entry, key, value)
        kept.append(entry)
    row.entries = kept  # delete-orphan removes the entries that were not kept
    await delete_attachments_of(session, user_id, AttachableType.ENTRY, list(existing))
    await session.flush()
    return row


async def delete_session(session: AsyncSession, user_id: int, session_id: int) -> bool:
    """Remove a session, its entries (cascade) and the attachment rows of both. False if not the user's."""
    entry_ids = list(
        await session.scalars(
            select(SessionWeaponEntry.id)
            .join(ShootingSession)
            .where(ShootingSession.id == session_id, ShootingSession.user_id == user_id)
        )
    )
    result = await session.execute(
        delete(ShootingSession).where(ShootingSession.id == session_id, ShootingSession.user_id == user_id)
    )
    if not cast("CursorResult[Any]", result).rowcount:
        return False
    await delete_attachments_of(session, user_id, AttachableType.SESSION, [session_id])
    await delete_attachments_of(session, user_id, AttachableType.ENTRY, entry_ids)
    return True
