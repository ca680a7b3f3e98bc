"""Queries on weapons; every one takes the user's id, so another user's weapon is simply not found."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Weapon


async def get_weapon(session: AsyncSession, user_id: int, weapon_id: int) -> Weapon | None:
    return await session.scalar(select(Weapon).where(Weapon.id == weapon_id, Weapon.user_id == user_id))


async def list_weapons(session: AsyncSession, user_id: int, *, include_retired: bool = False) -> list[Weapon]:
    query = select(Weapon).where(Weapon.user_id == user_id)
    if not include_retired:
        query = query.where(Weapon.retired_at.is_(None))
    return list(await session.scalars(query.order_by(Weapon.name, Weapon.id)))
