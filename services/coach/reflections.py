"""A session's AI reflection and a weapon's AI insight: requested, attempted, retried, given up on.

A request puts the `ai_reflections` / `ai_weapon_insights` row to pending (only for the user's own session
or weapon). An attempt claims the row, so that one bot process at a time works on it, asks the coach,
and stores the result as succeeded. A failed attempt is counted in `attempts` and tried again after a
growing delay (`RETRY_DELAYS_S`); after the last one the row is failed with the error. An attempt cut
short by the bot stopping is no attempt: the row stays pending, unclaimed, for the next start. Scheduling the
attempts and telling the user is the chat's (`handlers.reflections`); the outcome says what to do.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core import i18n
from services.coach.coach import ShooterCoach
from services.coach.types import CoachStopped, Reflection, WeaponInsight
from services.preferences import format_day
from services.unit_of_work import UnitOfWork
from storage import coach as store
from storage.models import AiReflection, AiStatus, AiWeaponInsight, ShootingSession, Weapon
from storage.users import get_user

logger = logging.getLogger(__name__)

RETRY_DELAYS_S: tuple[float, ...] = (5.0, 30.0)  # before the 2nd and 3rd attempt


class Kind(enum.StrEnum):
    REFLECTION = "ref"  # of a session
    INSIGHT = "wpn"  # of a weapon


@dataclass(frozen=True)
class Job:
    """One pending row to attempt: its kind, its id and its owner."""

    kind: Kind
    row_id: int
    user_id: int


@dataclass(frozen=True)
class Later:
    """Attempt the row again after `delay_s`: a retry, or another process holds the claim for now."""

    delay_s: float


@dataclass(frozen=True)
class Written:
    """The result, stored; `title` is the session's day or the weapon's name, in the owner's language."""

    language: str
    title: str
    result: Reflection | WeaponInsight


@dataclass(frozen=True)
class GaveUp:
    """The last attempt failed: the row is failed with `error`; `target_id` is the session or weapon."""

    kind: Kind
    target_id: int
    language: str
    title: str
    attempts: int
    error: str


Outcome = Later | Written | GaveUp


async def request(uow: UnitOfWork, kind: Kind, user_id: int, target_id: int) -> Job | None:
    """(Re)request the reflection of the user's session or the insight of their weapon, from pending and no
    attempts; None when that session or weapon is not theirs."""
    ask = store.request_reflection if kind is Kind.REFLECTION else store.request_insight
    async with uow.transaction() as session:
        row = await ask(session, user_id, target_id)
        return None if row is None else Job(kind, row.id, user_id)


async def reflection_pending(uow: UnitOfWork, user_id: int, session_id: int) -> bool:
    """Whether the reflection of the user's session is requested and not written yet."""
    async with uow.transaction() as session:
        row = await store.reflection_of_session(session, user_id, session_id)
        return row is not None and row.status is AiStatus.PENDING


async def pending_jobs(uow: UnitOfWork) -> list[Job]:
    """Every pending row, of every user (the start-up scan picks up what the last run left)."""
    async with uow.transaction() as session:
        reflections = await store.pending_reflections(session)
        insights = await store.pending_insights(session)
    return [Job(Kind.REFLECTION, row_id, user_id) for row_id, user_id in reflections] + [
        Job(Kind.INSIGHT, row_id, user_id) for row_id, user_id in insights
    ]


@dataclass(frozen=True)
class _Target:
    target_id: int  # the session's or the weapon's id
    title: str
    language: str
    claimed: bool  # False: another bot process is working on the row


async def _row(session: AsyncSession, job: Job) -> AiReflection | AiWeaponInsight | None:
    if job.kind is Kind.REFLECTION:
        return await store.get_reflection(session, job.user_id, job.row_id)
    return await store.get_insight(session, job.user_id, job.row_id)


async def _load(uow: UnitOfWork, job: Job) -> _Target | None:
    async with uow.transaction() as session:
        user = await get_user(session, job.user_id)
        row = await _row(session, job)
        if user is None or row is None or row.status is not AiStatus.PENDING:
            return None
        claimed = await store.claim(session, row, dt.datetime.now(dt.UTC))
        language = i18n.resolve_language(user.language, user.telegram_language)
        if isinstance(row, AiReflection):
            run = await session.get_one(ShootingSession, row.session_id)
            return _Target(row.session_id, format_day(run.date, language), language, claimed)
        weapon = await session.get_one(Weapon, row.weapon_id)
        return _Target(row.weapon_id, weapon.name, language, claimed)


async def attempt(uow: UnitOfWork, coach: ShooterCoach, job: Job) -> Outcome | None:
    """One attempt at the pending row; None when there is nothing (more) to do: the row is not pending any
    more, or it went with its session or weapon meanwhile."""
    target = await _load(uow, job)
    if target is None:
        return None
    if not target.claimed:  # look again when that claim runs out, in case its process stopped
        return Later(store.CLAIM_LEASE.total_seconds())
    provider = coach.provider
    try:
        if job.kind is Kind.REFLECTION:
            result: Reflection | WeaponInsight = await coach.reflect(
                job.user_id, target.target_id, target.language
            )
        else:
            result = await coach.weapon_insight(job.user_id, target.target_id, target.language)
    except CoachStopped:
        logger.info("AI %s %s: left pending, the bot is stopping", job.kind, job.row_id)
        await _release(uow, job)
        return None
    except Exception as error:  # any other failure of the provider counts as a failed attempt
        logger.warning("AI %s %s: attempt failed: %s", job.kind, job.row_id, error)
        return await _failed(
            uow, job, target, f"{type(error).__name__}: {error}", provider.name, provider.model
        )
    async with uow.transaction() as session:
        fresh = await _row(session, job)
        if fresh is None:  # deleted with its session or weapon meanwhile
            return None
        store.mark_succeeded(fresh, result.columns(), result.provider, result.model)
    return Written(target.language, target.title, result)


async def _release(uow: UnitOfWork, job: Job) -> None:
    async with uow.transaction() as session:
        fresh = await _row(session, job)
        if fresh is not None:
            store.release_claim(fresh)


async def _failed(
    uow: UnitOfWork, job: Job, target: _Target, error: str, provider: str, model: str
) -> Outcome | None:
    async with uow.transaction() as session:
        fresh = await _row(session, job)
        if fresh is None:
            return None
        final = fresh.attempts + 1 > len(RETRY_DELAYS_S)
        store.mark_attempt_failed(fresh, error, final=final, provider=provider, model=model)
        attempts = fresh.attempts
    if not final:
        return Later(RETRY_DELAYS_S[attempts - 1])
    return GaveUp(job.kind, target.target_id, target.language, target.title, attempts, error)
