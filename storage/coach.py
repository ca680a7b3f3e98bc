"""Queries for the AI side: the user's shooting history as flat rows, coach threads and messages, and the
`ai_reflections` / `ai_weapon_insights` rows with their job status.

Every query that reads or writes a user's data takes the user's id and filters on it. The only queries
across users are the start-up scans for pending AI rows, which return ids and owners, nothing else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import (
    AiReflection,
    AiStatus,
    AiWeaponInsight,
    CoachMessage,
    CoachRole,
    CoachThread,
    SessionWeaponEntry,
    ShootingSession,
    Weapon,
)

MAX_HISTORY_ROWS = 5000  # newest first; years of weekly sessions fit easily
# How long a bot process may work on a pending AI row before another may take it over: well above one
# attempt (AI_TIMEOUT_S times the SDK's tries, then sending the result).
CLAIM_LEASE = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class EntryRow:
    """One weapon × distance entry with its session's facts, as the coach reads them."""

    session_id: int
    date: dt.date
    club: str | None
    location: str | None
    manual_reflection: str | None
    weapon_id: int
    weapon_name: str
    caliber: str
    distance_m: int
    shot_count: int
    score: int | None
    grouping_note: str | None


@dataclass(frozen=True)
class WeaponRow:
    id: int
    name: str
    type: str
    caliber: str
    retired: bool


async def history(
    session: AsyncSession,
    user_id: int,
    *,
    weapon_ids: list[int] | None = None,
    distance_m: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = MAX_HISTORY_ROWS,
) -> list[EntryRow]:
    """The user's entries, newest session first, optionally filtered by weapons, distance and period."""
    # Plain columns, not ORM objects: years of entries load in a fraction of the time (benchmarks/history.py).
    query = (
        select(
            ShootingSession.id.label("session_id"),
            ShootingSession.date,
            ShootingSession.club,
            ShootingSession.location,
            ShootingSession.manual_reflection,
            Weapon.id.label("weapon_id"),
            Weapon.name.label("weapon_name"),
            func.coalesce(func.nullif(SessionWeaponEntry.ammo_caliber, ""), Weapon.caliber).label("caliber"),
            SessionWeaponEntry.distance_m,
            SessionWeaponEntry.shot_count,
            SessionWeaponEntry.score,
            SessionWeaponEntry.grouping_note,
        )
        .select_from(SessionWeaponEntry)
        .join(ShootingSession, ShootingSession.id == SessionWeaponEntry.session_id)
        .join(Weapon, Weapon.id == SessionWeaponEntry.weapon_id)
        .where(ShootingSession.user_id == user_id, Weapon.user_id == user_id)
    )
    if weapon_ids is not None:
        query = query.where(SessionWeaponEntry.weapon_id.in_(weapon_ids))
    if distance_m is not None:
        query = query.where(SessionWeaponEntry.distance_m == distance_m)
    if since is not None:
        query = query.where(ShootingSession.date >= since)
    if until is not None:
        query = query.where(ShootingSession.date <= until)
    query = query.order_by(
        ShootingSession.date.desc(), ShootingSession.id.desc(), SessionWeaponEntry.id
    ).limit(limit)
    rows = await session.execute(query)
    return [EntryRow(**row._mapping) for row in rows]


async def weapons(session: AsyncSession, user_id: int) -> list[WeaponRow]:
    result = await session.scalars(select(Weapon).where(Weapon.user_id == user_id).order_by(Weapon.name))
    return [WeaponRow(w.id, w.name, w.type, w.caliber, w.retired_at is not None) for w in result]


async def owns_session(session: AsyncSession, user_id: int, session_id: int) -> bool:
    found = await session.scalar(
        select(ShootingSession.id).where(ShootingSession.id == session_id, ShootingSession.user_id == user_id)
    )
    return found is not None


async def owns_weapon(session: AsyncSession, user_id: int, weapon_id: int) -> bool:
    found = await session.scalar(select(Weapon.id).where(Weapon.id == weapon_id, Weapon.user_id == user_id))
    return found is not None


# --- threads and messages --------------------------------------------------------------------------


async def current_thread(session: AsyncSession, user_id: int) -> CoachThread | None:
    """The user's latest thread (the one a new question continues)."""
    return await session.scalar(
        select(CoachThread).where(CoachThread.user_id == user_id).order_by(CoachThread.id.desc()).limit(1)
    )


async def new_thread(
    session: AsyncSession,
    user_id: int,
    *,
    topic: str | None = None,
    session_id: int | None = None,
    weapon_id: int | None = None,
) -> CoachThread | None:
    """Start a thread, optionally pinned to one of the user's sessions or weapons; None if not theirs."""
    if session_id is not None and not await owns_session(session, user_id, session_id):
        return None
    if weapon_id is not None and not await owns_weapon(session, user_id, weapon_id):
        return None
    thread = CoachThread(user_id=user_id, topic=topic, session_id=session_id, weapon_id=weapon_id)
    session.add(thread)
    await session.flush()
    return thread


async def recent_messages(
    session: AsyncSession, user_id: int, thread_id: int, limit: int
) -> list[CoachMessage]:
    """The last `limit` messages of the user's thread, oldest first."""
    result = await session.scalars(
        select(CoachMessage)
        .join(CoachThread)
        .where(CoachThread.id == thread_id, CoachThread.user_id == user_id)
        .order_by(CoachMessage.id.desc())
        .limit(limit)
    )
    return list(reversed(list(result)))


async def add_message(
    session: AsyncSession,
    user_id: int,
    thread_id: int,
    role: CoachRole,
    content: str,
    tokens: int | None = None,
) -> CoachMessage | None:
    thread = await session.scalar(
        select(CoachThread).where(CoachThread.id == thread_id, CoachThread.user_id == user_id)
    )
    if thread is None:
        return None
    if thread.topic is None and role is CoachRole.USER:
        thread.topic = content[:255]
    message = CoachMessage(coach_thread_id=thread_id, role=role, content=content, tokens=tokens)
    session.add(message)
    await session.flush()
    return message


# --- AI rows -----------------------------------------------------------------------------------------

AiRow = AiReflection | AiWeaponInsight
Row = TypeVar("Row", AiReflection, AiWeaponInsight)


async def request_reflection(session: AsyncSession, user_id: int, session_id: int) -> AiReflection | None:
    """Put the session's reflection (new or existing) back to pending; None if the session is not theirs."""
    if not await owns_session(session, user_id, session_id):
        return None
    return await _pending_row(session, AiReflection, AiReflection.session_id, session_id)


async def request_insight(session: AsyncSession, user_id: int, weapon_id: int) -> AiWeaponInsight | None:
    """Put the weapon's insight (new or existing) back to pending; None if the weapon is not theirs."""
    if not await owns_weapon(session, user_id, weapon_id):
        return None
    return await _pending_row(session, AiWeaponInsight, AiWeaponInsight.weapon_id, weapon_id)


async def _pending_row(
    session: AsyncSession, model: type[Row], key: InstrumentedAttribute[int], target_id: int
) -> Row:
    row = await session.scalar(select(model).where(key == target_id))
    if row is None:
        row = model(**{key.key: target_id})
        session.add(row)
    _reset(row)
    await session.flush()
    return row


def _reset(row: AiRow) -> None:
    row.status = AiStatus.PENDING
    row.attempts = 0
    row.error = None


async def get_reflection(session: AsyncSession, user_id: int, reflection_id: int) -> AiReflection | None:
    return await session.scalar(
        select(AiReflection)
        .join(ShootingSession, ShootingSession.id == AiReflection.session_id)
        .where(AiReflection.id == reflection_id, ShootingSession.user_id == user_id)
    )


async def get_insight(session: AsyncSession, user_id: int, insight_id: int) -> AiWeaponInsight | None:
    return await session.scalar(
        select(AiWeaponInsight)
        .join(Weapon, Weapon.id == AiWeaponInsight.weapon_id)
        .where(AiWeaponInsight.id == insight_id, Weapon.user_id == user_id)
    )


async def reflection_of_session(session: AsyncSession, user_id: int, session_id: int) -> AiReflection | None:
    return await session.scalar(
        select(AiReflection)
        .join(ShootingSession, ShootingSession.id == AiReflection.session_id)
        .where(AiReflection.session_id == session_id, ShootingSession.user_id == user_id)
    )


async def pending_reflections(session: AsyncSession) -> list[tuple[int, int]]:
    """(reflection id, owner's user id) of every pending reflection: the start-up scan."""
    rows = await session.execute(
        select(AiReflection.id, ShootingSession.user_id)
        .join(ShootingSession, ShootingSession.id == AiReflection.session_id)
        .where(AiReflection.status == AiStatus.PENDING)
        .order_by(AiReflection.id)
    )
    return [(row_id, user_id) for row_id, user_id in rows]


async def pending_insights(session: AsyncSession) -> list[tuple[int, int]]:
    rows = await session.execute(
        select(AiWeaponInsight.id, Weapon.user_id)
        .join(Weapon, Weapon.id == AiWeaponInsight.weapon_id)
        .where(AiWeaponInsight.status == AiStatus.PENDING)
        .order_by(AiWeaponInsight.id)
    )
    return [(row_id, user_id) for row_id, user_id in rows]


async def claim(session: AsyncSession, row: AiRow, now: dt.datetime) -> bool:
    """Take the pending row for one attempt, so that one bot process works on it at a time: an atomic
    `UPDATE … WHERE pending and unclaimed … RETURNING` (on PostgreSQL a concurrent claim waits for this one
    and then finds the row claimed). False when another process holds it; a claim older than CLAIM_LEASE
    is a stopped process's, and is taken over. `mark_*` release the claim."""
    model = type(row)
    taken = await session.scalar(
        update(model)
        .where(
            model.id == row.id,
            model.status == AiStatus.PENDING,
            or_(model.claimed_at.is_(None), model.claimed_at < now - CLAIM_LEASE),
        )
        .values(claimed_at=now)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    return taken is not None


def release_claim(row: AiRow) -> None:
    """Give the claim back without counting an attempt (the attempt was not made: the bot stopped)."""
    row.claimed_at = None


def mark_succeeded(row: AiRow, values: dict[str, str], provider: str, model: str) -> None:
    for column, value in values.items():
        setattr(row, column, value)
    row.provider, row.model = provider, model
    row.status = AiStatus.SUCCEEDED
    row.attempts += 1
    row.error = None
    row.generated_at = dt.datetime.now(dt.UTC)
    row.claimed_at = None


def mark_attempt_failed(row: AiRow, error: str, *, final: bool, provider: str, model: str) -> None:
    row.attempts += 1
    row.error = error[:2000]
    row.provider, row.model = provider, model
    row.claimed_at = None
    if final:
        row.status = AiStatus.FAILED


async def count_messages(session: AsyncSession, user_id: int) -> int:
    total = await session.scalar(
        select(func.count()).select_from(CoachMessage).join(CoachThread).where(CoachThread.user_id == user_id)
    )
    return total or 0
