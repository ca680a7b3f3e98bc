"""The AI jobs on PTB's JobQueue: a session's reflection and a weapon's insight (the seed's queue jobs).

A request puts the `ai_reflections` / `ai_weapon_insights` row to pending and schedules a job; the job claims
the row (one bot process at a time works on it: `storage.coach.claim`), asks the coach, stores the result
as succeeded and sends it to the user. A failed attempt is counted in `attempts`, and the job is scheduled
again after a growing delay; after the last attempt the row is failed with the error, and the user is told
so with a button to try again. Jobs run as tasks, so a slow provider never holds up other updates. At
start-up every pending row is scheduled again (in every process; the claim keeps it to one).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from dataclasses import dataclass
from typing import Literal

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from core import i18n
from core.settings import AiProvider, Settings
from handlers.keyboards import keyboard
from services.coach.coach import ShooterCoach
from services.coach.formatting import pack, to_messages
from services.coach.offline import OfflineProvider
from services.coach.types import CoachProvider, Reflection, WeaponInsight
from services.preferences import format_day
from storage import coach as store
from storage.db import Database
from storage.models import AiReflection, AiStatus, AiWeaponInsight, ShootingSession, Weapon
from storage.users import get_user

logger = logging.getLogger(__name__)

Kind = Literal["ref", "wpn"]
RETRY_DELAYS_S: tuple[float, ...] = (5.0, 30.0)  # before the 2nd and 3rd attempt
SDK_RETRIES = 2  # the SDK's own retries of one HTTP call (connection errors, 429, 5xx)
RESUME_JOB = "ai_resume_pending"
REFLECTION_CALLBACK = "ai:ref:{}"
INSIGHT_CALLBACK = "ai:wpn:{}"


def build_coach(settings: Settings, db: Database) -> ShooterCoach:
    provider: CoachProvider = OfflineProvider()
    if settings.ai_provider is AiProvider.ANTHROPIC and settings.anthropic_api_key:
        # The SDK takes over a second to import: only a bot that uses it pays for that.
        from services.coach.anthropic_provider import AnthropicProvider

        provider = AnthropicProvider(
            api_key=settings.anthropic_api_key.get_secret_value(),
            base_url=settings.anthropic_base_url,
            model=settings.ai_model,
            max_tokens=settings.ai_max_tokens,
            timeout_s=settings.ai_timeout_s,
            max_retries=SDK_RETRIES,
        )
    return ShooterCoach(provider, db)


def schedule(application: Application) -> None:
    """Pick up the rows left pending by the last run, once the job queue runs."""
    application.job_queue.run_once(_resume_pending, 0, name=RESUME_JOB)


async def enqueue_reflection(application: Application, user_id: int, session_id: int) -> bool:
    """Request the session's reflection; False if the session is not the user's."""
    return await _enqueue(application, "ref", user_id, session_id)


async def enqueue_insight(application: Application, user_id: int, weapon_id: int) -> bool:
    """Request the weapon's trends; False if the weapon is not the user's."""
    return await _enqueue(application, "wpn", user_id, weapon_id)


async def _enqueue(application: Application, kind: Kind, user_id: int, target_id: int) -> bool:
    request = store.request_reflection if kind == "ref" else store.request_insight
    async with application.runtime.db.session() as session:
        row = await request(session, user_id, target_id)
    if row is None:
        return False
    _schedule(application, kind, row.id, user_id)
    return True


def _schedule(application: Application, kind: Kind, row_id: int, user_id: int, delay: float = 0) -> None:
    application.job_queue.run_once(
        _run_job, delay, data={"kind": kind, "id": row_id, "user": user_id}, name=f"ai:{kind}:{row_id}"
    )


async def _resume_pending(context: ContextTypes.DEFAULT_TYPE) -> None:
    async with context.runtime.db.session() as session:
        reflections = await store.pending_reflections(session)
        insights = await store.pending_insights(session)
    audience = context.runtime.audience  # a row of the other transport's user is its to resume
    for row_id, user_id in reflections:
        if audience.reaches(user_id):
            _schedule(context.application, "ref", row_id, user_id)
    for row_id, user_id in insights:
        if audience.reaches(user_id):
            _schedule(context.application, "wpn", row_id, user_id)


async def _run_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    data = context.job.data
    await process(context.application, data["kind"], data["id"], data["user"])


@dataclass(frozen=True)
class _Target:
    row: AiReflection | AiWeaponInsight
    title: str  # the session's day or the weapon's name, for the messages
    language: str
    claimed: bool  # False: another bot process is working on the row


async def _load(application: Application, kind: Kind, row_id: int, user_id: int) -> _Target | None:
    async with application.runtime.db.session() as session:
        user = await get_user(session, user_id)
        if kind == "ref":
            row = await store.get_reflection(session, user_id, row_id)
        else:
            row = await store.get_insight(session, user_id, row_id)
        if user is None or row is None or row.status is not AiStatus.PENDING:
            return None
        claimed = await store.claim(session, row, dt.datetime.now(dt.UTC))
        language = i18n.resolve_language(user.language, user.telegram_language)
        if isinstance(row, AiReflection):
            run = await session.get_one(ShootingSession, row.session_id)
            title = format_day(run.date, language)
        else:
            title = (await session.get_one(Weapon, row.weapon_id)).name
    return _Target(row, title, language, claimed)


async def process(application: Application, kind: Kind, row_id: int, user_id: int) -> AiStatus | None:
    """One attempt at a pending row; returns the row's status after it (None: nothing to do)."""
    target = await _load(application, kind, row_id, user_id)
    if target is None:
        return None
    if not target.claimed:  # look again when that claim runs out, in case its process stopped
        _schedule(application, kind, row_id, user_id, store.CLAIM_LEASE.total_seconds())
        return None
    coach: ShooterCoach = application.runtime.coach
    provider = coach.provider
    row = target.row
    try:
        if isinstance(row, AiReflection):
            result: Reflection | WeaponInsight = await coach.reflect(user_id, row.session_id, target.language)
        else:
            result = await coach.weapon_insight(user_id, row.weapon_id, target.language)
    except Exception as error:  # any failure of the provider counts as a failed attempt
        logger.warning("AI %s %s: attempt failed: %s", kind, row_id, error)
        return await _failed(
            application,
            kind,
            target,
            user_id,
            f"{type(error).__name__}: {error}",
            provider.name,
            provider.model,
        )
    async with application.runtime.db.session() as session:
        fresh = await _reload(session, kind, row_id, user_id)
        if fresh is None:  # deleted with its session or weapon meanwhile
            return None
        store.mark_succeeded(fresh, result.columns(), result.provider, result.model)
    await _send(application, user_id, result_messages(target.language, target.title, result))
    return AiStatus.SUCCEEDED


async def _reload(
    session: object, kind: Kind, row_id: int, user_id: int
) -> AiReflection | AiWeaponInsight | None:
    if kind == "ref":
        return await store.get_reflection(session, user_id, row_id)  # type: ignore[arg-type]
    return await store.get_insight(session, user_id, row_id)  # type: ignore[arg-type]


async def _failed(
    application: Application, kind: Kind, target: _Target, user_id: int, error: str, provider: str, model: str
) -> AiStatus | None:
    async with application.runtime.db.session() as session:
        fresh = await _reload(session, kind, target.row.id, user_id)
        if fresh is None:
            return None
        final = fresh.attempts + 1 > len(RETRY_DELAYS_S)
        store.mark_attempt_failed(fresh, error, final=final, provider=provider, model=model)
        attempts = fresh.attempts
    if not final:
        _schedule(application, kind, target.row.id, user_id, RETRY_DELAYS_S[attempts - 1])
        return AiStatus.PENDING
    language = target.language
    if isinstance(target.row, AiReflection):
        text = i18n.translate(
            language,
            "coach.reflection_failed",
            day=target.title,
            attempts=attempts,
            error=html.escape(error[:300]),
        )
        retry = REFLECTION_CALLBACK.format(target.row.session_id)
    else:
        text = i18n.translate(
            language,
            "coach.insight_failed",
            name=html.escape(target.title),
            attempts=attempts,
            error=html.escape(error[:300]),
        )
        retry = INSIGHT_CALLBACK.format(target.row.weapon_id)
    markup = keyboard([[(i18n.translate(language, "coach.retry"), retry)]])
    await _send(application, user_id, [text], markup)
    return AiStatus.FAILED


def result_messages(language: str, title: str, result: Reflection | WeaponInsight) -> list[str]:
    """The result as HTML messages: the title, then each section under its heading."""
    if isinstance(result, Reflection):
        parts = [i18n.translate(language, "coach.reflection_title", day=title), *to_messages(result.summary)]
        sections = [
            ("went_well", result.went_well),
            ("needs_improvement", result.needs_improvement),
            ("next_focus", result.next_focus),
        ]
    else:
        parts = [i18n.translate(language, "coach.insight_title", name=html.escape(title))]
        sections = [
            ("trends", result.trends),
            ("typical_issues", result.typical_issues),
            ("recommendations", result.recommendations),
        ]
    for key, text in sections:
        parts += ["", i18n.translate(language, f"coach.{key}"), *to_messages(text)]
    made_by = i18n.translate(
        language, "coach.made_by", provider=html.escape(result.provider), model=html.escape(result.model)
    )
    return pack([*parts, "", made_by])


async def _send(application: Application, user_id: int, texts: list[str], markup: object = None) -> None:
    try:
        for index, text in enumerate(texts):
            last = index == len(texts) - 1
            await application.bot.send_message(user_id, text, reply_markup=markup if last else None)
    except TelegramError:  # e.g. the user blocked the bot; the row keeps the result
        logger.warning("Could not send an AI result to user %s", user_id)
