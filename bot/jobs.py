"""Scheduled work on the application's JobQueue: the weekly attendance reminder.

The job's body is a plain coroutine (`send_attendance_reminders`) so it can be called without a schedule.
Everything in it is per user: each user's own sessions, time zone and language.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import Application

from core import i18n
from core.audience import EVERYONE, Audience
from handlers.attendance import reminder_text
from handlers.context import BotContext
from services import job_runs
from services.attendance import RECENT_WEEKS, first_relevant_day, recent_pace, reminder_due
from services.preferences import DEFAULT_TIME_ZONE, local_now, zone_of
from storage.attendance import session_facts, users_with_reminders
from storage.db import Database

logger = logging.getLogger(__name__)

REMINDER_JOB = "attendance_reminders"
REMINDER_DAYS = (0,)  # Sunday (PTB numbers days from 0 = Sunday)
REMINDER_TIME = dt.time(18, 0, tzinfo=zone_of(DEFAULT_TIME_ZONE))


def schedule(application: Application) -> None:
    application.job_queue.run_daily(
        weekly_attendance_reminders, REMINDER_TIME, days=REMINDER_DAYS, name=REMINDER_JOB
    )
    if application.runtime.settings.aimtrack_jobs_at_start:
        application.job_queue.run_once(weekly_attendance_reminders, 0, name=f"{REMINDER_JOB}:at-start")


async def weekly_attendance_reminders(context: BotContext) -> None:
    """Once a week across every bot process (services/job_runs.py)."""
    runtime = context.runtime
    week = job_runs.week(local_now(DEFAULT_TIME_ZONE))
    if await job_runs.claim(runtime.db, runtime.audience.job(REMINDER_JOB), week):
        await send_attendance_reminders(runtime.db, context.bot, audience=runtime.audience)


async def send_attendance_reminders(
    db: Database, bot: Bot, *, now: dt.datetime | None = None, audience: Audience = EVERYONE
) -> list[int]:
    """Warn each user with reminders on whose pace falls behind their renewal date; returns who was warned."""
    async with db.session() as session:
        users = await users_with_reminders(session)
    warned = []
    for user in users:
        if not audience.reaches(user.id):
            continue
        today = local_now(user.time_zone, now=now).date()
        async with db.session() as session:
            facts = await session_facts(session, user.id, first_relevant_day(today))
        plan = reminder_due(facts, today, user.renewal_date)
        if plan is None:
            continue
        language = i18n.resolve_language(user.language, user.telegram_language)
        recent_days = round(recent_pace(facts, today) * RECENT_WEEKS)
        try:
            await bot.send_message(user.id, reminder_text(language, plan, recent_days))
        except TelegramError:  # e.g. the user blocked the bot; the others still get theirs
            logger.warning("Could not send the attendance reminder to user %s", user.id)
            continue
        warned.append(user.id)
    return warned
