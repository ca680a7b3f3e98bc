"""/stats: charts of the user's own log, sent as photos. Buttons choose the chart, then (for scores) the
weapon and the distance.

Buttons (`handlers.callback_data` payloads): `st:menu` (the main menu's entry: a new message), `st:menu:edit`
(back to the choice), `st:sc` (choose a weapon), `st:sc:<weapon id>` (choose a distance, or the chart when
there is one), `st:sc:<weapon id>:<metres>`, `st:rd` (rounds per month), `st:at` (attendance). Everything is
read again on each tap, so a button still works after a restart, and one naming another user's weapon finds
nothing.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.keyboards import grid, keyboard
from handlers.screens import edit_in_place
from services import stats
from services.attendance import REQUIRED_DAYS
from services.charts import ROLLING_WINDOW, attendance_chart, rounds_chart, score_chart


@dataclass(frozen=True)
class StatsMenu(cb.Payload, template="st:menu"):
    """The choice of charts as a new message (the main menu's button)."""


@dataclass(frozen=True)
class BackToMenu(cb.Payload, template="st:menu:edit"):
    pass


@dataclass(frozen=True)
class ChooseWeapon(cb.Payload, template="st:sc"):
    pass


@dataclass(frozen=True)
class WeaponScores(cb.Payload, template="st:sc:{weapon_id}"):
    weapon_id: int


@dataclass(frozen=True)
class DistanceScores(cb.Payload, template="st:sc:{weapon_id}:{distance}"):
    weapon_id: int
    distance: int


@dataclass(frozen=True)
class RoundsChart(cb.Payload, template="st:rd"):
    pass


@dataclass(frozen=True)
class AttendanceChart(cb.Payload, template="st:at"):
    pass


MENU_CALLBACK = StatsMenu().encode()
ScoreButton = ChooseWeapon | WeaponScores | DistanceScores


def _menu_markup(context: BotContext) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [(context.t("stats.scores_button"), ChooseWeapon().encode())],
            [(context.t("stats.rounds_button"), RoundsChart().encode())],
            [(context.t("stats.attendance_button"), AttendanceChart().encode())],
        ]
    )


async def show_stats(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("stats.choose"), reply_markup=_menu_markup(context))


async def _send_chart(update: Update, context: BotContext, draw: Callable[[], bytes], caption: str) -> None:
    chat = update.effective_chat
    await chat.send_action(ChatAction.UPLOAD_PHOTO)
    await chat.send_photo(await asyncio.to_thread(draw), caption=caption)


async def _scores(update: Update, context: BotContext, payload: ScoreButton) -> None:
    query = update.callback_query
    book = await stats.score_book(context.uow, context.account.id, context.today)
    names = book.weapons
    back = (context.t("stats.back"), BackToMenu().encode())
    if isinstance(payload, ChooseWeapon):
        if not names:
            await query.answer(context.t("stats.no_scores"), show_alert=True)
            return
        await query.answer()
        options = [
            (name[:40], WeaponScores(wid).encode()) for wid, name in sorted(names.items(), key=lambda i: i[1])
        ]
        await edit_in_place(query, context.t("stats.choose_weapon"), keyboard([*grid(options[:90]), [back]]))
        return
    weapon_id = payload.weapon_id
    distances = book.distances(weapon_id)
    if weapon_id not in names or (isinstance(payload, DistanceScores) and payload.distance not in distances):
        await query.answer(context.t("stats.not_found"))
        return
    await query.answer()
    weapon = names[weapon_id]
    if isinstance(payload, WeaponScores) and len(distances) > 1:
        options = [
            (context.t("stats.distance", distance=d), DistanceScores(weapon_id, d).encode())
            for d in distances
        ]
        text = context.t("stats.choose_distance", weapon=html.escape(weapon))
        await edit_in_place(query, text, keyboard([*grid(options[:90], 3), [back]]))
        return
    distance = payload.distance if isinstance(payload, DistanceScores) else distances[0]
    points = book.series(weapon_id, distance)

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
    found = await stats.monthly_rounds(context.uow, context.account.id, context.today)
    rounds = found.rounds
    names = context.t("stats.months").split()
    labels = [f"{names[month - 1]} {year % 100:02d}" for year, month in found.months]

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
    points = await stats.session_days_curve(context.uow, context.account.id, today)

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
    """Every `st:` button; one naming nothing of the user's is answered and changes nothing."""
    query = update.callback_query
    payload = cb.decode(query.data)
    if isinstance(payload, StatsMenu):
        await query.answer()
        await show_stats(update, context)
    elif isinstance(payload, BackToMenu):
        await query.answer()
        await edit_in_place(query, context.t("stats.choose"), _menu_markup(context))
    elif isinstance(payload, ChooseWeapon | WeaponScores | DistanceScores):
        await _scores(update, context, payload)
    elif isinstance(payload, RoundsChart):
        await _rounds(update, context)
    else:
        await _attendance(update, context)


HANDLERS = [
    CommandHandler("stats", show_stats),
    CallbackQueryHandler(
        on_button,
        pattern=cb.matches(
            StatsMenu, BackToMenu, ChooseWeapon, WeaponScores, DistanceScores, RoundsChart, AttendanceChart
        ),
    ),
]
