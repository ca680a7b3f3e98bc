"""/attendance: session days against the WM-4 minimum, the pace a renewal needs, and this year's matches.

callback_data: `at:show` (the main menu's entry: sends the overview as a new message). The texts are
built from a language rather than a chat, so the weekly reminder (bot/jobs.py) speaks the same way.
"""

from __future__ import annotations

from functools import partial

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import i18n
from handlers.context import BotContext
from handlers.keyboards import keyboard
from handlers.start import SETTINGS_CALLBACK
from services.attendance import (
    RECENT_WEEKS,
    REQUIRED_CLUB_MATCHES,
    REQUIRED_DAYS,
    REQUIRED_KNSA_MATCHES,
    AttendanceSummary,
    RenewalPlan,
    first_relevant_day,
    required_pace,
    summarize,
    time_left,
)
from services.preferences import format_day, today_in
from storage.attendance import session_facts

PREFIX = "at"
SHOW_CALLBACK = f"{PREFIX}:show"


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
    today = today_in(account.time_zone)
    async with context.db.session() as session:
        facts = await session_facts(session, account.id, first_relevant_day(today))
    return summarize(facts, today, account.renewal_date)


async def show_attendance(update: Update, context: BotContext) -> None:
    summary = await load_summary(context)
    markup = keyboard([[(context.t("attendance.settings_button"), SETTINGS_CALLBACK)]])
    await update.effective_message.reply_text(attendance_text(context.language, summary), reply_markup=markup)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query.data != SHOW_CALLBACK:
        await query.answer(context.t("common.expired_button"))
        return
    await query.answer()
    await show_attendance(update, context)


HANDLERS = [
    CommandHandler("attendance", show_attendance),
    CallbackQueryHandler(on_button, pattern=f"^{PREFIX}:"),
]
