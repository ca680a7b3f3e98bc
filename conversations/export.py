"""/export: period, weapons and format as buttons (custom dates typed), then the shooting log as documents.

callback_data: `ex:start` (the main menu's entry), `ex:p:<12m|year|last|custom>`, `ex:w:<weapon id>`
(toggle), `ex:w:ok`, `ex:f:<pdf|csv|both>`. The choices so far wait in user_data under `export`; the
flow's state is persisted, so it survives a restart.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from conversations.common import conversation
from core import i18n
from handlers.context import BotContext
from handlers.keyboards import grid, keyboard
from handlers.screens import show_next
from services.exports.export_flow import FORMATS, PERIODS, check_range, period_of, toggled
from services.exports.session_export import LogTexts, collect, file_name, log_csv, log_pdf
from services.preferences import format_day
from services.validation import InvalidInput, parse_date
from storage.exports import sessions_between
from storage.weapons import list_weapons

PREFIX = "ex"
START_CALLBACK = f"{PREFIX}:start"
DRAFT = "export"
PERIOD, FIRST_DAY, LAST_DAY, WEAPONS, FORMAT = "period", "first_day", "last_day", "weapons", "format"
MAX_WEAPON_BUTTONS = 90  # Telegram allows 100 buttons in one keyboard

LOG_COLUMNS = ("date", "club", "discipline", "weapons", "shots", "ammo", "distance", "score", "competition")
WEAPON_TYPES = ("pistol", "revolver", "rifle", "shotgun", "air_pistol", "air_rifle", "other")


def _draft(context: BotContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {})


def _period(draft: dict[str, Any]) -> tuple[dt.date, dt.date]:
    return dt.date.fromisoformat(draft["first"]), dt.date.fromisoformat(draft["last"])


def _days(context: BotContext, first: dt.date, last: dt.date) -> dict[str, str]:
    return {"first": format_day(first, context.language), "last": format_day(last, context.language)}


# --- period ------------------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> str:
    if update.callback_query:
        await update.callback_query.answer()
    context.user_data[DRAFT] = {}
    options = [(context.t(f"export.period_{choice}"), f"{PREFIX}:p:{choice}") for choice in PERIODS]
    markup = keyboard([*grid(options), [(context.t("export.period_custom"), f"{PREFIX}:p:custom")]])
    await update.effective_message.reply_text(context.t("export.ask_period"), reply_markup=markup)
    return PERIOD


async def choose_period(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    choice = query.data.removeprefix(f"{PREFIX}:p:")
    if choice == "custom":
        await query.answer()
        await show_next(update, context.t("export.ask_first"))
        return FIRST_DAY
    period = period_of(choice, context.today)
    if period is None:
        await query.answer(context.t("common.expired_button"))
        return PERIOD
    await query.answer()
    return await _period_chosen(update, context, *period)


async def receive_first(update: Update, context: BotContext) -> str:
    message = update.effective_message
    try:
        first = parse_date(message.text, context.today)
    except InvalidInput as error:
        await message.reply_text(context.explain(error))
        return FIRST_DAY
    _draft(context)["first"] = first.isoformat()
    await message.reply_text(context.t("export.ask_last", first=format_day(first, context.language)))
    return LAST_DAY


async def receive_last(update: Update, context: BotContext) -> str | int:
    message = update.effective_message
    first = dt.date.fromisoformat(_draft(context)["first"])
    try:
        last = parse_date(message.text, context.today, allow_future=True)
    except InvalidInput as error:
        await message.reply_text(context.explain(error))
        return LAST_DAY
    try:
        first, last = check_range(first, last)
    except InvalidInput as error:
        await message.reply_text(context.render([(error.key, error.values)]))
        return LAST_DAY
    return await _period_chosen(update, context, first, last)


async def _period_chosen(update: Update, context: BotContext, first: dt.date, last: dt.date) -> str | int:
    """Say so and stop when the period holds no session; otherwise ask for the weapons (or the format,
    when the user has no weapons)."""
    draft = _draft(context)
    draft.update(first=first.isoformat(), last=last.isoformat())
    async with context.db.session() as session:
        rows = await sessions_between(session, context.account.id, first, last)
        weapons = await list_weapons(session, context.account.id, include_retired=True)
    if not rows:
        context.user_data.pop(DRAFT, None)
        await show_next(update, context.t("export.empty", **_days(context, first, last)))
        return ConversationHandler.END
    draft["sessions"] = len(rows)
    draft["weapons"] = [[w.id, w.name, w.retired_at is not None] for w in weapons[:MAX_WEAPON_BUTTONS]]
    draft["selected"] = [w.id for w in weapons[:MAX_WEAPON_BUTTONS]]
    if not weapons:
        await show_next(update, *_format_screen(context))
        return FORMAT
    await show_next(update, *_weapons_screen(context))
    return WEAPONS


# --- weapons and format ------------------------------------------------------------------------------


def _weapons_screen(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    draft = _draft(context)
    selected = set(draft["selected"])
    options = []
    for weapon_id, name, retired in draft["weapons"]:
        mark = "✅" if weapon_id in selected else "⬜"
        retired_mark = context.t("export.retired_mark") if retired else ""
        options.append((f"{mark} {retired_mark}{name}"[:60], f"{PREFIX}:w:{weapon_id}"))
    rows = [*grid(options), [(context.t("export.weapons_next"), f"{PREFIX}:w:ok")]]
    text = context.t("export.ask_weapons", sessions=draft["sessions"], **_days(context, *_period(draft)))
    return text, keyboard(rows)


def _format_screen(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    options = [(context.t(f"export.format_{name}"), f"{PREFIX}:f:{name}") for name in FORMATS]
    return context.t("export.ask_format", **_days(context, *_period(_draft(context)))), keyboard([options])


async def toggle_weapon(update: Update, context: BotContext) -> str:
    query = update.callback_query
    draft = _draft(context)
    argument = query.data.removeprefix(f"{PREFIX}:w:")
    if argument == "ok":
        if not draft.get("selected"):
            await query.answer(context.t("export.weapons_none"))
            return WEAPONS
        await query.answer()
        await show_next(update, *_format_screen(context))
        return FORMAT
    known = [weapon_id for weapon_id, _, _ in draft.get("weapons", [])]
    if not re.fullmatch(r"[0-9]{1,18}", argument) or int(argument) not in known:  # isdigit() passes "²"
        await query.answer(context.t("common.expired_button"))
        return WEAPONS
    await query.answer()
    draft["selected"] = toggled(draft["selected"], int(argument), known)
    await show_next(update, *_weapons_screen(context))
    return WEAPONS


async def choose_format(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    kinds = FORMATS.get(query.data.removeprefix(f"{PREFIX}:f:"))
    if kinds is None:
        await query.answer(context.t("common.expired_button"))
        return FORMAT
    await query.answer()
    draft = context.user_data.pop(DRAFT, {})
    first, last = _period(draft)
    weapon_ids = set(draft["selected"]) if draft.get("weapons") else None
    await show_next(update, context.t("export.making"))
    await send_export(update, context, first, last, weapon_ids, kinds)
    return ConversationHandler.END


# --- the documents -----------------------------------------------------------------------------------


def log_texts(context: BotContext) -> LogTexts:
    """The PDF's words in the user's language; placeholders stay for the PDF code to fill."""
    return log_texts_in(context.language)


def log_texts_in(language: str) -> LogTexts:
    """The PDF's words in `language` (also what benchmarks/history.py renders)."""

    def t(key: str) -> str:
        return i18n.translate(language, f"export.pdf.{key}")

    return LogTexts(
        language=language,
        title=t("title"),
        shooter=t("shooter"),
        licence=t("licence"),
        licence_missing=t("licence_missing"),
        period=t("period"),
        columns=tuple(t(column) for column in LOG_COLUMNS),
        competition={value: t(f"competition_{value}") for value in ("none", "knsa", "club")},
        weapon_types={name: i18n.translate(language, f"weapons.type.{name}") for name in WEAPON_TYPES},
        serial=t("serial"),
        totals_title=t("totals_title"),
        totals_columns=(t("totals_weapon"), t("totals_sessions"), t("totals_shots")),
        totals_all=t("totals_all"),
        attendance_title=t("attendance_title"),
        attendance_days=t("attendance_days"),
        attendance_year=t("attendance_year"),
        met=t("met"),
        not_met=t("not_met"),
        disclaimer=t("disclaimer"),
        page=t("page"),
    )


async def send_export(
    update: Update,
    context: BotContext,
    first: dt.date,
    last: dt.date,
    weapon_ids: set[int] | None,
    kinds: tuple[str, ...],
) -> None:
    """Make the chosen files in a thread, with "sending a file…" in the chat, and send them; an empty
    selection gets a sentence instead of an empty file."""
    chat = update.effective_chat
    await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    async with context.db.session() as session:
        data = await collect(session, context.account, first, last, weapon_ids)
    days = _days(context, first, last)
    if data.empty:
        await chat.send_message(context.t("export.empty_weapons", **days))
        return
    separator = context.account.csv_separator or ","
    for kind in kinds:
        if kind == "pdf":
            content = await asyncio.to_thread(log_pdf, data, log_texts(context))
        else:
            content = await asyncio.to_thread(log_csv, data, separator)
        caption = context.t(f"export.caption_{kind}", separator=separator, **days)
        await chat.send_document(content, filename=file_name(first, last, kind), caption=caption)


def build() -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    return conversation(
        "export",
        entry_points=[
            CommandHandler("export", start),
            CallbackQueryHandler(start, pattern=f"^{START_CALLBACK}$"),
        ],
        states={
            PERIOD: [CallbackQueryHandler(choose_period, pattern=f"^{PREFIX}:p:")],
            FIRST_DAY: [MessageHandler(text, receive_first)],
            LAST_DAY: [MessageHandler(text, receive_last)],
            WEAPONS: [CallbackQueryHandler(toggle_weapon, pattern=f"^{PREFIX}:w:")],
            FORMAT: [CallbackQueryHandler(choose_format, pattern=f"^{PREFIX}:f:")],
        },
        drafts=(DRAFT,),
    )
