"""/export: period, weapons and format as buttons (custom dates typed), then the shooting log as documents.

Buttons (`handlers.callback_data` payloads): `ex:start` (the main menu's entry),
`ex:p:<12m|year|last|custom>`, `ex:w:<weapon id>` (toggle), `ex:w:ok`, `ex:f:<pdf|csv|both>`. The choices
so far wait in user_data under `export` (an `ExportDraft` in a `DraftSlot`); the flow's state is persisted,
so it survives a restart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from conversations.common import conversation
from core import i18n
from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.drafts import DraftSlot, fields_of
from handlers.keyboards import grid, keyboard
from handlers.screens import show_next
from services.exports import export_flow
from services.exports.export_flow import FORMATS, PERIODS, check_range, period_of, toggled
from services.exports.session_export import LogTexts, file_name, log_csv, log_pdf
from services.preferences import format_day
from services.validation import InvalidInput, parse_date

DRAFT = "export"
PERIOD, FIRST_DAY, LAST_DAY, WEAPONS, FORMAT = "period", "first_day", "last_day", "weapons", "format"
MAX_WEAPON_BUTTONS = 90  # Telegram allows 100 buttons in one keyboard

LOG_COLUMNS = ("date", "club", "discipline", "weapons", "shots", "ammo", "distance", "score", "competition")
WEAPON_TYPES = ("pistol", "revolver", "rifle", "shotgun", "air_pistol", "air_rifle", "other")


class Period(enum.StrEnum):
    TWELVE_MONTHS = "12m"
    THIS_YEAR = "year"
    LAST_YEAR = "last"
    CUSTOM = "custom"  # two typed days


class Format(enum.StrEnum):
    PDF = "pdf"
    CSV = "csv"
    BOTH = "both"


@dataclass(frozen=True)
class StartExport(cb.Payload, template="ex:start"):
    pass


@dataclass(frozen=True)
class ChoosePeriod(cb.Payload, template="ex:p:{period}"):
    period: Period


@dataclass(frozen=True)
class ToggleWeapon(cb.Payload, template="ex:w:{weapon_id}"):
    weapon_id: int


@dataclass(frozen=True)
class WeaponsChosen(cb.Payload, template="ex:w:ok"):
    pass


@dataclass(frozen=True)
class ChooseFormat(cb.Payload, template="ex:f:{kind}"):
    kind: Format


START_CALLBACK = StartExport().encode()


@dataclass
class ExportDraft:
    """The choices so far; days are ISO strings and weapons `[id, name, retired]`, so the draft is JSON."""

    first: str | None = None
    last: str | None = None
    sessions: int = 0  # in the period
    weapons: list[list[Any]] = field(default_factory=list)  # the user's, to choose from
    selected: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExportDraft:
        return cls(**fields_of(cls, data))

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        if self.first is None or self.last is None:
            raise LookupError("no period chosen")
        return dt.date.fromisoformat(self.first), dt.date.fromisoformat(self.last)


SLOT = DraftSlot(DRAFT, ExportDraft)


def _draft(context: BotContext) -> ExportDraft:
    return SLOT.load(context.user_data) or ExportDraft()


def _days(context: BotContext, first: dt.date, last: dt.date) -> dict[str, str]:
    return {"first": format_day(first, context.language), "last": format_day(last, context.language)}


# --- period ------------------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> str:
    if update.callback_query:
        await update.callback_query.answer()
    SLOT.save(context.user_data, ExportDraft())
    options = [
        (context.t(f"export.period_{choice}"), ChoosePeriod(Period(choice)).encode()) for choice in PERIODS
    ]
    custom = (context.t("export.period_custom"), ChoosePeriod(Period.CUSTOM).encode())
    markup = keyboard([*grid(options), [custom]])
    await update.effective_message.reply_text(context.t("export.ask_period"), reply_markup=markup)
    return PERIOD


async def choose_period(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    payload = cb.decode(query.data)
    assert isinstance(payload, ChoosePeriod)
    if payload.period is Period.CUSTOM:
        await query.answer()
        await show_next(update, context.t("export.ask_first"))
        return FIRST_DAY
    period = period_of(payload.period.value, context.today)
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
    draft = _draft(context)
    draft.first = first.isoformat()
    SLOT.save(context.user_data, draft)
    await message.reply_text(context.t("export.ask_last", first=format_day(first, context.language)))
    return LAST_DAY


async def receive_last(update: Update, context: BotContext) -> str | int:
    message = update.effective_message
    first = dt.date.fromisoformat(_draft(context).first or "")
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
    contents = await export_flow.period_contents(
        context.uow, context.account.id, first, last, MAX_WEAPON_BUTTONS
    )
    if not contents.sessions:
        SLOT.drop(context.user_data)
        await show_next(update, context.t("export.empty", **_days(context, first, last)))
        return ConversationHandler.END
    draft = ExportDraft(
        first=first.isoformat(),
        last=last.isoformat(),
        sessions=contents.sessions,
        weapons=[[w.id, w.name, w.retired] for w in contents.weapons],
        selected=[w.id for w in contents.weapons],
    )
    SLOT.save(context.user_data, draft)
    if not contents.weapons:
        await show_next(update, *_format_screen(context, draft))
        return FORMAT
    await show_next(update, *_weapons_screen(context, draft))
    return WEAPONS


# --- weapons and format ------------------------------------------------------------------------------


def _weapons_screen(context: BotContext, draft: ExportDraft) -> tuple[str, InlineKeyboardMarkup]:
    selected = set(draft.selected)
    options = []
    for weapon_id, name, retired in draft.weapons:
        mark = "✅" if weapon_id in selected else "⬜"
        retired_mark = context.t("export.retired_mark") if retired else ""
        options.append((f"{mark} {retired_mark}{name}"[:60], ToggleWeapon(weapon_id).encode()))
    rows = [*grid(options), [(context.t("export.weapons_next"), WeaponsChosen().encode())]]
    text = context.t("export.ask_weapons", sessions=draft.sessions, **_days(context, *draft.period))
    return text, keyboard(rows)


def _format_screen(context: BotContext, draft: ExportDraft) -> tuple[str, InlineKeyboardMarkup]:
    options = [(context.t(f"export.format_{name}"), ChooseFormat(Format(name)).encode()) for name in FORMATS]
    return context.t("export.ask_format", **_days(context, *draft.period)), keyboard([options])


async def toggle_weapon(update: Update, context: BotContext) -> str:
    query = update.callback_query
    payload = cb.decode(query.data)
    draft = _draft(context)
    if isinstance(payload, WeaponsChosen):
        if not draft.selected:
            await query.answer(context.t("export.weapons_none"))
            return WEAPONS
        await query.answer()
        await show_next(update, *_format_screen(context, draft))
        return FORMAT
    assert isinstance(payload, ToggleWeapon)
    known = [weapon_id for weapon_id, _, _ in draft.weapons]
    if payload.weapon_id not in known:
        await query.answer(context.t("common.expired_button"))
        return WEAPONS
    await query.answer()
    draft.selected = toggled(draft.selected, payload.weapon_id, known)
    SLOT.save(context.user_data, draft)
    await show_next(update, *_weapons_screen(context, draft))
    return WEAPONS


async def choose_format(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    payload = cb.decode(query.data)
    assert isinstance(payload, ChooseFormat)
    kinds = FORMATS[payload.kind.value]
    await query.answer()
    draft = _draft(context)
    SLOT.drop(context.user_data)
    first, last = draft.period
    weapon_ids = set(draft.selected) if draft.weapons else None
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
    data = await export_flow.export_log(context.uow, context.account, first, last, weapon_ids)
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


def _starts() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("export", start),
        CallbackQueryHandler(start, pattern=cb.matches(StartExport)),
    ]


def build() -> ConversationHandler:
    """/export or the menu's Export button start it, and start it over in the middle of it."""
    text = filters.TEXT & ~filters.COMMAND
    return conversation(
        "export",
        entry_points=_starts(),
        states={
            PERIOD: [CallbackQueryHandler(choose_period, pattern=cb.matches(ChoosePeriod))],
            FIRST_DAY: [MessageHandler(text, receive_first)],
            LAST_DAY: [MessageHandler(text, receive_last)],
            WEAPONS: [CallbackQueryHandler(toggle_weapon, pattern=cb.matches(ToggleWeapon, WeaponsChosen))],
            FORMAT: [CallbackQueryHandler(choose_format, pattern=cb.matches(ChooseFormat))],
        },
        fallbacks=_starts(),
        drafts=(DRAFT,),
    )
