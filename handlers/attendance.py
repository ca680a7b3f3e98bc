"""/attendance: session days against the WM-4 minimum, the pace a renewal needs, and this year's matches;
and the weekly reminder to those who fall behind.

Button: `at:show` (`ShowAttendance`, the main menu's entry: sends the overview as a new message). The
texts are built from a language rather than a chat, so the weekly reminder speaks the same way. The
reminder's body is a plain coroutine (`send_attendance_reminders`), so it can be called without a schedule;
everything in it is per user: each user's own sessions, time zone and language.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core import i18n
from core.audience import EVERYONE, Audience
from handlers import callback_data as cb
from handlers.context import RUNTIME, BotContext
from handlers.keyboards import keyboard
from handlers.preferences import OpenPreferences
from services import attendance, job_runs
from services.attendance import (
    RECENT_WEEKS,
    REQUIRED_CLUB_MATCHES,
    REQUIRED_DAYS,
    REQUIRED_KNSA_MATCHES,
    AttendanceSummary,
    RenewalPlan,
    required_pace,
    time_left,
)
from services.preferences import DEFAULT_TIME_ZONE, format_day, local_now, today_in, zone_of
from services.runtime import Runtime
from services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

REMINDER_JOB = "attendance_reminders"
REMINDER_DAYS = (0,)  # Sunday (PTB numbers days from 0 = Sunday)
REMINDER_TIME = dt.time(18, 0, tzinfo=zone_of(DEFAULT_TIME_ZONE))


@dataclass(frozen=True)
class ShowAttendance(cb.Payload, template="at:show"):
    """The overview as a new message."""


SHOW_CALLBACK = ShowAttendance().encode()


def renewal_text(language: str, plan: RenewalPlan) -> str:
    t = partial(i18n.translate, language)
    day = format_day(plan.renewal_date, language)
    if plan.passed:
        return t("attendance.renewal_passed", date=day)
    if plan.needed == 0:
        return t("attendance.renewal_done", date=day, counted=plan.counted)
    pace = required_pace(plan)
    if pace is None:
        return t("attendance.renewal_unreachable", date=day, needed=plan.needed, days=plan.days_left)
    (left_key, left_values), (pace_key, pace_values) = time_left(plan), pace
    return t(
        "attendance.renewal_ahead",
        date=day,
        needed=plan.needed,
        time_left=t(left_key, **left_values),
        pace=t(pace_key, **pace_values),
    )


def attendance_text(language: str, summary: AttendanceSummary) -> str:
    t = partial(i18n.translate, language)
    since = format_day(summary.since, language)
    days = t("attendance.days", since=since, count=summary.session_days, required=REQUIRED_DAYS)
    short = summary.days_short
    year = summary.today.year
    competition = t(
        "attendance.competition",
        year=year,
        knsa=summary.knsa_matches,
        knsa_required=REQUIRED_KNSA_MATCHES,
        club=summary.club_matches,
        club_required=REQUIRED_CLUB_MATCHES,
    )
    lines = [
        t("attendance.title"),
        days,
        t("attendance.days_short", count=short) if short else t("attendance.days_met"),
        "",
        renewal_text(language, summary.renewal) if summary.renewal else t("attendance.renewal_unset"),
        "",
        competition,
        *([t("attendance.competition_met", year=year)] if summary.competition_met else []),
        "",
        t("attendance.disclaimer"),
    ]
    return "\n".join(lines)


def reminder_text(language: str, plan: RenewalPlan, recent_days: int) -> str:
    return i18n.translate(
        language,
        "attendance.reminder",
        renewal=renewal_text(language, plan),
        weeks=RECENT_WEEKS,
        recent=recent_days,
    )


async def load_summary(context: BotContext) -> AttendanceSummary:
    account = context.account
    return await attendance.attendance_summary(
        context.uow, account.id, today_in(account.time_zone), account.renewal_date
    )


async def show_attendance(update: Update, context: BotContext) -> None:
    summary = await load_summary(context)
    markup = keyboard([[(context.t("attendance.settings_button"), OpenPreferences().encode())]])
    await update.effective_message.reply_text(attendance_text(context.language, summary), reply_markup=markup)


async def on_button(update: Update, context: BotContext) -> None:
    await update.callback_query.answer()
    await show_attendance(update, context)


# --- the weekly reminder -----------------------------------------------------------------------------


def schedule(application: Application) -> None:
    runtime: Runtime = application.bot_data[RUNTIME]
    application.job_queue.run_daily(
        weekly_attendance_reminders, REMINDER_TIME, days=REMINDER_DAYS, name=REMINDER_JOB
    )
    if runtime.settings.aimtrack_jobs_at_start:
        application.job_queue.run_once(weekly_attendance_reminders, 0, name=f"{REMINDER_JOB}:at-start")


async def weekly_attendance_reminders(context: BotContext) -> None:
    """Once a week across every bot process (services/job_runs.py)."""
    runtime = context.runtime
    week = job_runs.week(local_now(DEFAULT_TIME_ZONE))
    if await job_runs.claim(context.uow, runtime.audience.job(REMINDER_JOB), week):
        await send_attendance_reminders(context.uow, context.bot, audience=runtime.audience)


async def send_attendance_reminders(
    uow: UnitOfWork, bot: Bot, *, now: dt.datetime | None = None, audience: Audience = EVERYONE
) -> list[int]:
    """Warn each user with reminders on whose pace falls behind their renewal date; returns who was warned."""
    warned = []
    for due in await attendance.due_reminders(uow, now=now, audience=audience):
        try:
            await bot.send_message(due.user_id, reminder_text(due.language, due.plan, due.recent_days))
        except TelegramError:  # e.g. the user blocked the bot; the others still get theirs
            logger.warning("Could not send the attendance reminder to user %s", due.user_id)
            continue
        warned.append(due.user_id)
    return warned


HANDLERS = [
    CommandHandler("attendance", show_attendance),
    CallbackQueryHandler(on_button, pattern=cb.matches(ShowAttendance)),
]
