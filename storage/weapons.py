"""Queries on weapons; every one takes the user's id, so another user's weapon is simply not found."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, distinct, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.attachments import delete_attachments_of
from storage.models import AttachableType, SessionWeaponEntry, ShootingSession, Weapon

# The columns a user fills in (through the weapon form); nothing else can be set through these functions.
EDITABLE_COLUMNS = frozenset(
    {"name", "type", "caliber", "serial_number", "storage_location", "notes", "purchased_at"}
)


@dataclass(frozen=True)
class WeaponStats:
    sessions: int = 0
    rounds: int = 0
    last_used: dt.date | None = None


class DeleteOutcome(enum.Enum):
    DELETED = "deleted"
    HAS_HISTORY = "has_history"
    MISSING = "missing"


async def get_weapon(session: AsyncSession, user_id: int, weapon_id: int) -> Weapon | None:
    return await session.scalar(select(Weapon).where(Weapon.id == weapon_id, Weapon.user_id == user_id))


async def list_weapons(session: AsyncSession, user_id: int, *, include_retired: bool = False) -> list[Weapon]:
    query = select(Weapon).where(Weapon.user_id == user_id)
    if not include_retired:
        query = query.where(Weapon.retired_at.is_(None))
    return list(await session.scalars(query.order_by(Weapon.name, Weapon.id)))


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    if unknown := values.keys() - EDITABLE_COLUMNS:
        raise ValueError(f"not editable weapon columns: {sorted(unknown)}")
    return values


async def create_weapon(session: AsyncSession, user_id: int, **values: Any) -> Weapon:
    weapon = Weapon(user_id=user_id, **_checked(values))
    session.add(weapon)
    await session.flush()
    return weapon


async def update_weapon(session: AsyncSession, user_id: int, weapon_id: int, **values: Any) -> Weapon | None:
    """Set the given columns; None if the user has no such weapon."""
    weapon = await get_weapon(session, user_id, weapon_id)
    if weapon is not None:
        for column, value in _checked(values).items():
            setattr(weapon, column, value)
        await session.flush()
    return weapon


async def set_retired(
    session: AsyncSession, user_id: int, weapon_id: int, retired_at: dt.date | None
) -> Weapon | None:
    """Retire the weapon on `retired_at`, or reactivate it with None; None if the user has no such weapon."""
    weapon = await get_weapon(session, user_id, weapon_id)
    if weapon is not None:
        weapon.retired_at = retired_at
        await session.flush()
    return weapon


async def _has_entries(session: AsyncSession, weapon_id: int) -> bool:
    """Whether any session entry names the weapon (the foreign key forbids deleting it then)."""
    return bool(await session.scalar(select(exists().where(SessionWeaponEntry.weapon_id == weapon_id))))


async def delete_weapon(session: AsyncSession, user_id: int, weapon_id: int) -> DeleteOutcome:
    """Delete a weapon that no session mentions, with its attachment rows; one with history is kept."""
    weapon = await get_weapon(session, user_id, weapon_id)
    if weapon is None:
        return DeleteOutcome.MISSING
    if await _has_entries(session, weapon_id):
        return DeleteOutcome.HAS_HISTORY
    await delete_attachments_of(session, user_id, AttachableType.WEAPON, [weapon_id])
    await session.execute(delete(Weapon).where(Weapon.id == weapon_id, Weapon.user_id == user_id))
    session.expunge(weapon)
    return DeleteOutcome.DELETED


async def weapon_stats(
    session: AsyncSession, user_id: int, weapon_ids: Collection[int] | None = None
) -> dict[int, WeaponStats]:
    """Sessions, rounds fired and the last day used, per weapon, in one grouped query.

    Weapons without entries are absent from the result (use `WeaponStats()` for them).
    """
    query = (
        select(
            SessionWeaponEntry.weapon_id,
            func.count(distinct(SessionWeaponEntry.session_id)),
            func.coalesce(func.sum(SessionWeaponEntry.shot_count), 0),
            func.max(ShootingSession.date),
        )
        .join(ShootingSession, ShootingSession.id == SessionWeaponEntry.session_id)
        .where(ShootingSession.user_id == user_id)
        .group_by(SessionWeaponEntry.weapon_id)
    )
    if weapon_ids is not None:
        query = query.where(SessionWeaponEntry.weapon_id.in_(list(weapon_ids)))
    rows = await session.execute(query)
    return {
        weapon_id: WeaponStats(sessions=sessions, rounds=rounds, last_used=last_used)
        for weapon_id, sessions, rounds, last_used in rows
    }
