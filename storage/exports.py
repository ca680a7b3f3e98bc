"""Queries for exports and charts: a user's sessions in a period, with their entries and weapons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import SessionWeaponEntry, ShootingSession, Weapon


async def sessions_between(
    session: AsyncSession, user_id: int, first: dt.date, last: dt.date
) -> list[ShootingSession]:
    """The user's sessions from `first` to `last` (both included), oldest first, with entries and weapons."""
    result = await session.scalars(
        select(ShootingSession)
        .where(ShootingSession.user_id == user_id, ShootingSession.date.between(first, last))
        .order_by(ShootingSession.date, ShootingSession.start_time, ShootingSession.id)
        .options(selectinload(ShootingSession.entries).selectinload(SessionWeaponEntry.weapon))
    )
    return list(result)


PlainRow = Row[*tuple[Any, ...]]  # a row of plain column values, as many as were selected

SESSION_COLUMNS = (
    ShootingSession.id,
    ShootingSession.date,
    ShootingSession.start_time,
    ShootingSession.end_time,
    ShootingSession.club,
    ShootingSession.location,
    ShootingSession.discipline,
    ShootingSession.competition,
    ShootingSession.weather,
    ShootingSession.ammo_brand,
    ShootingSession.raw_notes,
    ShootingSession.manual_reflection,
)
ENTRY_COLUMNS = (
    SessionWeaponEntry.session_id,
    SessionWeaponEntry.weapon_id,
    Weapon.name,
    Weapon.type,
    Weapon.caliber,
    Weapon.serial_number,
    SessionWeaponEntry.distance_m,
    SessionWeaponEntry.shot_count,
    SessionWeaponEntry.ammo_caliber,
    SessionWeaponEntry.score,
    SessionWeaponEntry.grouping_note,
)


async def session_rows_between(
    session: AsyncSession, user_id: int, first: dt.date, last: dt.date
) -> tuple[list[PlainRow], list[PlainRow]]:
    """The rows of `sessions_between` as plain rows, for exports of years of sessions: (sessions in the same
    order, their entries with their weapons' columns by entry id). Two queries, no ORM objects, which made
    most of a 2,000-session CSV's time (benchmarks/history.py)."""
    in_period = (ShootingSession.user_id == user_id, ShootingSession.date.between(first, last))
    sessions = await session.execute(
        select(*SESSION_COLUMNS)
        .where(*in_period)
        .order_by(ShootingSession.date, ShootingSession.start_time, ShootingSession.id)
    )
    entries = await session.execute(
        select(*ENTRY_COLUMNS)
        .join(ShootingSession, SessionWeaponEntry.session_id == ShootingSession.id)
        .join(Weapon, SessionWeaponEntry.weapon_id == Weapon.id)
        .where(*in_period, Weapon.user_id == user_id)
        .order_by(SessionWeaponEntry.id)
    )
    return list(sessions), list(entries)
