"""/stats: charts of the user's own log, sent as photos. Buttons choose the chart, then (for scores) the
weapon and the distance.

callback_data: `st:menu` (the main menu's entry: a new message), `st:menu:edit` (back to the choice),
`st:sc` (choose a weapon), `st:sc:<weapon id>` (choose a distance, or the chart when there is one),
`st:sc:<weapon id>:<metres>`,
`st:rd` (rounds per month), `st:at` (attendance). Everything is read again on each tap, so a button
still works after a restart, and one naming another user's weapon finds nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from collections.abc import Callable

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers.context import BotContext
from handlers.keyboards import grid, keyboard
from handlers.screens import edit_in_place
from services.attendance import REQUIRED_DAYS, year_before
from services.charts import (
    ROLLING_WINDOW,
    attendance_chart,
    cumulative_days,
    last_months,
    rounds_chart,
    rounds_per_month,
    score_chart,
    score_series,
    scored_distances,
)
from services.exports.session_export import ExportSession, export_session
from storage.attendance import session_facts
from storage.exports import sessions_between

PREFIX = "st"
MENU_CALLBACK = f"{PREFIX}:menu"
_NUMBER = re.compile(r"[0-9]{1,18}")  # an id or a distance; `isdigit` would pass "²"


def _menu_markup(context: BotContext) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [(context.t("stats.scores_button"), f"{PREFIX}:sc")],
            [(context.t("stats.rounds_button"), f"{PREFIX}:rd")],
            [(context.t("stats.attendance_button"), f"{PREFIX}:at")],
        ]
    )


async def show_stats(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("stats.choose"), reply_markup=_menu_markup(context))


async def _sessions(context: BotContext, first: dt.date) -> list[ExportSession]:
    async with context.db.session() as session:
        rows = await sessions_between(session, context.account.id, first, context.today)
    return [s for row in rows if (s := export_session(row)) is not None]


def _weapon_names(sessions: list[ExportSession]) -> dict[int, str]:
    return {e.weapon_id: e.weapon for row in sessions for e in row.entries if e.score is not None}


async def _send_chart(update: Update, context: BotContext, draw: Callable[[], bytes], caption: str) -> None:
    chat = update.effective_chat
    await chat.send_action(ChatAction.UPLOAD_PHOTO)
    await chat.send_photo(await asyncio.to_thread(draw), caption=caption)


async def _scores(update: Update, context: BotContext, arguments: list[str]) -> None:
    query = update.callback_query
    sessions = await _sessions(context, dt.date.min)
    names = _weapon_names(sessions)
    back = (context.t("stats.back"), f"{PREFIX}:menu:edit")
    if not arguments:
        if not names:
            await query.answer(context.t("stats.no_scores"), show_alert=True)
            return
        await query.answer()
        options = [
            (name[:40], f"{PREFIX}:sc:{wid}") for wid, name in sorted(names.items(), key=lambda i: i[1])
        ]
        await edit_in_place(query, context.t("stats.choose_weapon"), keyboard([*grid(options[:90]), [back]]))
        return
    weapon_id = int(arguments[0])
    distances = scored_distances(sessions, weapon_id)
    if weapon_id not in names or (len(arguments) > 1 and int(arguments[1]) not in distances):
        await query.answer(context.t("stats.not_found"))
        return
    await query.answer()
    weapon = names[weapon_id]
    if len(arguments) == 1 and len(distances) > 1:
        options = [
            (context.t("stats.distance", distance=d), f"{PREFIX}:sc:{weapon_id}:{d}") for d in distances
        ]
        text = context.t("stats.choose_distance", weapon=html.escape(weapon))
        await edit_in_place(query, text, keyboard([*grid(options[:90], 3), [back]]))
        return
    distance = int(arguments[1]) if len(arguments) > 1 else distances[0]
    points = score_series(sessions, weapon_id, distance)

    def draw() -> bytes:
        return score_chart(
            points,
            title=context.t("stats.score_title", weapon=weapon, distance=distance),
            score_label=context.t("stats.score_label"),
            mean_label=context.t("stats.mean_label", window=ROLLING_WINDOW),
            month_names=context.t("stats.months").split(),
        )

    caption = context.t(
        "stats.score_caption", weapon=html.escape(weapon), distance=distance, count=len(points)
    )
    await _send_chart(update, context, draw, caption)


async def _rounds(update: Update, context: BotContext) -> None:
    await update.callback_query.answer()
    months = last_months(context.today)
    sessions = await _sessions(context, dt.date(*months[0], 1))
    rounds = rounds_per_month(sessions, months)
    names = context.t("stats.months").split()
    labels = [f"{names[month - 1]} {year % 100:02d}" for year, month in months]

    def draw() -> bytes:
        return rounds_chart(
            labels,
            rounds,
            title=context.t("stats.rounds_title"),
            rounds_label=context.t("stats.rounds_label"),
        )

    total = sum(sum(counts) for counts in rounds.values())
    await _send_chart(update, context, draw, context.t("stats.rounds_caption", total=total))


async def _attendance(update: Update, context: BotContext) -> None:
    await update.callback_query.answer()
    today = context.today
    async with context.db.session() as session:
        facts = await session_facts(session, context.account.id, year_before(today))
    points = cumulative_days((day for day, _ in facts), today)

    def draw() -> bytes:
        return attendance_chart(
            points,
            today,
            title=context.t("stats.attendance_title"),
            days_label=context.t("stats.attendance_label"),
            required_label=context.t("stats.required_label", required=REQUIRED_DAYS),
            month_names=context.t("stats.months").split(),
        )

    count = points[-1][1] if points else 0
    caption = context.t("stats.attendance_caption", count=count, required=REQUIRED_DAYS)
    await _send_chart(update, context, draw, caption)


async def on_button(update: Update, context: BotContext) -> None:
    """Every `st:` button, parsed here; a forged or outdated one is answered and changes nothing."""
    query = update.callback_query
    action, *arguments = query.data.split(":")[1:]
    if action == "menu" and arguments in ([], ["edit"]):
        await query.answer()
        if arguments:
            await edit_in_place(query, context.t("stats.choose"), _menu_markup(context))
        else:
            await show_stats(update, context)
    elif action == "sc" and len(arguments) <= 2 and all(_NUMBER.fullmatch(a) for a in arguments):
        await _scores(update, context, arguments)
    elif action == "rd" and not arguments:
        await _rounds(update, context)
    elif action == "at" and not arguments:
        await _attendance(update, context)
    else:
        await query.answer(context.t("common.expired_button"))


HANDLERS = [
    CommandHandler("stats", show_stats),
    CallbackQueryHandler(on_button, pattern=f"^{PREFIX}:"),
]
