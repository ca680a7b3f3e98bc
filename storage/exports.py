"""Queries for exports and charts: a user's sessions in a period, with their entries and weapons."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import SessionWeaponEntry, ShootingSession


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
