"""The AI jobs in the chat: a session's reflection and a weapon's insight, run on PTB's JobQueue.

A request (the AI buttons, a newly logged session) puts the row to pending and schedules a job; the job
makes one attempt (`services.coach.reflections`), and sends the result, schedules the next attempt, or
tells the user it gave up, with a button to try again. Jobs run as tasks, so a slow provider never holds up
other updates. At start-up every pending row is scheduled again (in every process; the row's claim keeps
each attempt to one of them).

callback_data: `ai:ref:<session id>` (write the session's reflection again), `ai:wpn:<weapon id>` (the
weapon's trends); the coach (`handlers.coach`) answers them.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import Application

from core import i18n
from handlers import callback_data as cb
from handlers.context import RUNTIME, BotContext
from handlers.keyboards import keyboard
from services.coach import reflections
from services.coach.formatting import pack, to_messages
from services.coach.reflections import GaveUp, Job, Kind, Later, Written
from services.coach.types import Reflection, WeaponInsight
from services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

RESUME_JOB = "ai_resume_pending"


@dataclass(frozen=True)
class ReflectionButton(cb.Payload, template="ai:ref:{session_id}"):
    """(Re)write the AI reflection of a session."""

    session_id: int


@dataclass(frozen=True)
class InsightButton(cb.Payload, template="ai:wpn:{weapon_id}"):
    """Write the AI trends of a weapon."""

    weapon_id: int


def schedule(application: Application) -> None:
    """Pick up the rows left pending by the last run, once the job queue runs."""
    application.job_queue.run_once(_resume_pending, 0, name=RESUME_JOB)


async def enqueue_reflection(application: Application, user_id: int, session_id: int) -> bool:
    """Request the session's reflection; False if the session is not the user's."""
    return await _enqueue(application, Kind.REFLECTION, user_id, session_id)


async def enqueue_insight(application: Application, user_id: int, weapon_id: int) -> bool:
    """Request the weapon's trends; False if the weapon is not the user's."""
    return await _enqueue(application, Kind.INSIGHT, user_id, weapon_id)


def _uow(application: Application) -> UnitOfWork:
    return UnitOfWork(application.bot_data[RUNTIME].db)


async def _enqueue(application: Application, kind: Kind, user_id: int, target_id: int) -> bool:
    job = await reflections.request(_uow(application), kind, user_id, target_id)
    if job is None:
        return False
    _schedule(application, job)
    return True


def _schedule(application: Application, job: Job, delay: float = 0) -> None:
    application.job_queue.run_once(
        _run_job,
        delay,
        data={"kind": str(job.kind), "id": job.row_id, "user": job.user_id},
        name=f"ai:{job.kind}:{job.row_id}",
    )


async def _resume_pending(context: BotContext) -> None:
    audience = context.runtime.audience  # a row of the other transport's user is its to resume
    for job in await reflections.pending_jobs(context.uow):
        if audience.reaches(job.user_id):
            _schedule(context.application, job)


async def _run_job(context: BotContext) -> None:
    data = context.job.data
    job = Job(Kind(data["kind"]), data["id"], data["user"])
    outcome = await reflections.attempt(context.uow, context.runtime.coach, job)
    if isinstance(outcome, Later):
        _schedule(context.application, job, outcome.delay_s)
    elif isinstance(outcome, Written):
        await _send(
            context.application, job.user_id, result_messages(outcome.language, outcome.title, outcome.result)
        )
    elif isinstance(outcome, GaveUp):
        text, markup = _gave_up(outcome)
        await _send(context.application, job.user_id, [text], markup)


def _gave_up(outcome: GaveUp) -> tuple[str, InlineKeyboardMarkup]:
    language, error = outcome.language, html.escape(outcome.error[:300])
    if outcome.kind is Kind.REFLECTION:
        text = i18n.translate(
            language, "coach.reflection_failed", day=outcome.title, attempts=outcome.attempts, error=error
        )
        retry: cb.Payload = ReflectionButton(outcome.target_id)
    else:
        text = i18n.translate(
            language,
            "coach.insight_failed",
            name=html.escape(outcome.title),
            attempts=outcome.attempts,
            error=error,
        )
        retry = InsightButton(outcome.target_id)
    return text, keyboard([[(i18n.translate(language, "coach.retry"), retry.encode())]])


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


async def _send(
    application: Application, user_id: int, texts: list[str], markup: InlineKeyboardMarkup | None = None
) -> None:
    try:
        for index, text in enumerate(texts):
            last = index == len(texts) - 1
            await application.bot.send_message(user_id, text, reply_markup=markup if last else None)
    except TelegramError:  # e.g. the user blocked the bot; the row keeps the result
        logger.warning("Could not send an AI result to user %s", user_id)
