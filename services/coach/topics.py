"""The coach's topics: a new topic forgets the thread so far; it may be pinned to one of the user's own
sessions or weapons (a session or weapon of another user is refused like a missing one)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.unit_of_work import UnitOfWork
from storage import coach as store
from storage.shooting_sessions import get_session, latest_sessions
from storage.weapons import get_weapon, list_weapons

PIN_SESSIONS = 5  # the latest sessions offered to pin


@dataclass(frozen=True)
class SessionChoice:
    id: int
    day: dt.date
    club: str | None


@dataclass(frozen=True)
class WeaponChoice:
    id: int
    name: str


@dataclass(frozen=True)
class PinChoices:
    """What a topic can be pinned to: the latest sessions and the weapons in use."""

    sessions: tuple[SessionChoice, ...]
    weapons: tuple[WeaponChoice, ...]


async def pin_choices(uow: UnitOfWork, user_id: int) -> PinChoices:
    async with uow.transaction() as session:
        sessions = await latest_sessions(session, user_id, limit=PIN_SESSIONS)
        weapons = await list_weapons(session, user_id)
        return PinChoices(
            tuple(SessionChoice(s.id, s.date, s.club) for s in sessions),
            tuple(WeaponChoice(w.id, w.name) for w in weapons),
        )


async def new_topic(uow: UnitOfWork, user_id: int) -> None:
    """A fresh thread, pinned to nothing: the next question starts without the earlier ones."""
    async with uow.transaction() as session:
        await store.new_thread(session, user_id)


async def pin_session(uow: UnitOfWork, user_id: int, session_id: int) -> dt.date | None:
    """A fresh thread about the user's session; its day, or None (nothing changed) if it is not theirs."""
    async with uow.transaction() as session:
        row = await get_session(session, user_id, session_id)
        if row is None or await store.new_thread(session, user_id, session_id=row.id) is None:
            return None
        return row.date


async def pin_weapon(uow: UnitOfWork, user_id: int, weapon_id: int) -> str | None:
    """A fresh thread about the user's weapon; its name, or None (nothing changed) if it is not theirs."""
    async with uow.transaction() as session:
        weapon = await get_weapon(session, user_id, weapon_id)
        if weapon is None or await store.new_thread(session, user_id, weapon_id=weapon.id) is None:
            return None
        return weapon.name
