"""Queries on sessions as attendance sees them (dates and matches), and one entry as a place a photo goes.

Every query takes the user's id, so another user's entry is simply not found; only `users_with_reminders`
looks across users, for the weekly job, which then works per user.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Competition, SessionWeaponEntry, ShootingSession, User, Weapon

EntryRow = tuple[SessionWeaponEntry, ShootingSession, Weapon]


async def session_facts(
    session: AsyncSession, user_id: int, since: dt.date
) -> list[tuple[dt.date, Competition]]:
    """(date, competition) of every session of the user on or after `since`."""
    rows = await session.execute(
        select(ShootingSession.date, ShootingSession.competition).where(
            ShootingSession.user_id == user_id, ShootingSession.date >= since
        )
    )
    return [(day, competition) for day, competition in rows]


async def users_with_reminders(session: AsyncSession) -> list[User]:
    """Users who turned attendance reminders on and set a renewal date."""
    result = await session.scalars(
        select(User)
        .where(User.attendance_reminders.is_(True), User.renewal_date.is_not(None))
        .order_by(User.id)
    )
    return list(result)


async def get_entry(session: AsyncSession, user_id: int, entry_id: int) -> EntryRow | None:
    """One entry of the user's sessions, with its session and weapon; another user's is not found."""
    row = (
        await session.execute(
            select(SessionWeaponEntry, ShootingSession, Weapon)
            .join(ShootingSession, SessionWeaponEntry.session_id == ShootingSession.id)
            .join(Weapon, SessionWeaponEntry.weapon_id == Weapon.id)
            .where(SessionWeaponEntry.id == entry_id, ShootingSession.user_id == user_id)
        )
    ).first()
    return (row[0], row[1], row[2]) if row else None
