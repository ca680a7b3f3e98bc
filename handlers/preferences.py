"""/settings: language, time zone, WM-4 renewal date and attendance reminders, as buttons that work at
any time (no conversation needed).

callback_data: `set:menu`, `set:lang`, `set:lang:<code|auto>`, `set:tz`, `set:tz:<IANA name>`, `set:done`,
`set:ren:clear`, `set:rem:<on|off>`, `set:lic:clear`, `set:sep:<comma|semicolon>`; typing another zone
(`set:tzt`), a renewal date (`set:ren`) or the KNSA licence number (`set:lic`) is the conversation in
`conversations.preferences`.
"""

from __future__ import annotations

import datetime as dt
import html

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import i18n
from handlers.context import BotContext
from handlers.keyboards import grid, keyboard
from handlers.screens import edit_in_place
from handlers.start import SETTINGS_CALLBACK
from services.preferences import COMMON_TIME_ZONES, DEFAULT_TIME_ZONE, format_day, local_now, parse_time_zone
from storage.users import (
    set_attendance_reminders,
    set_csv_separator,
    set_language,
    set_licence_number,
    set_renewal_date,
    set_time_zone,
)

PREFIX = "set"
FOLLOW_TELEGRAM = "auto"
TYPE_ZONE = f"{PREFIX}:tzt"
TYPE_RENEWAL = f"{PREFIX}:ren"
CLEAR_RENEWAL = f"{PREFIX}:ren:clear"
TYPE_LICENCE = f"{PREFIX}:lic"
CLEAR_LICENCE = f"{PREFIX}:lic:clear"
SEPARATOR_TOKENS = {"comma": ",", "semicolon": ";"}


def overview_text(context: BotContext) -> str:
    account = context.account
    if account and account.language in i18n.LANGUAGES:
        language = i18n.LANGUAGES[account.language]
    else:
        language = context.t("settings.follow_telegram_value", language=i18n.LANGUAGES[context.language])
    time_zone = (account.time_zone if account else None) or DEFAULT_TIME_ZONE
    overview = context.t("settings.overview", language=language, time_zone=html.escape(time_zone))
    renewal = context.t("settings.renewal_line", date=renewal_value(context))
    reminders = context.t("settings.reminders_line", state=_reminders_state(context))
    licence = context.t("export.settings.licence_line", number=licence_value(context))
    separator = context.t("export.settings.separator_line", separator=_separator_name(context))
    return "\n".join([overview, renewal, reminders, licence, separator])


def licence_value(context: BotContext) -> str:
    number = context.account.licence_number if context.account else None
    return html.escape(number) if number else context.t("export.settings.licence_not_set")


def _separator(context: BotContext) -> str:
    return (context.account.csv_separator if context.account else None) or ","


def _separator_name(context: BotContext) -> str:
    return context.t("export.settings.semicolon" if _separator(context) == ";" else "export.settings.comma")


def renewal_value(context: BotContext) -> str:
    renewal = context.account.renewal_date if context.account else None
    return format_day(renewal, context.language) if renewal else context.t("settings.renewal_not_set")


def _reminders_on(context: BotContext) -> bool:
    return bool(context.account and context.account.attendance_reminders)


def _reminders_state(context: BotContext) -> str:
    return context.t("settings.on") if _reminders_on(context) else context.t("settings.off")


def overview_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    reminders = context.t("settings.reminders_button", state=_reminders_state(context))
    return keyboard(
        [
            [(context.t("settings.language_button"), f"{PREFIX}:lang")],
            [(context.t("settings.time_zone_button"), f"{PREFIX}:tz")],
            [(context.t("settings.renewal_button"), TYPE_RENEWAL)],
            [(reminders, f"{PREFIX}:rem:{'off' if _reminders_on(context) else 'on'}")],
            [(context.t("export.settings.licence_button"), TYPE_LICENCE)],
            [
                (
                    context.t("export.settings.separator_button", separator=_separator_name(context)),
                    f"{PREFIX}:sep:{'comma' if _separator(context) == ';' else 'semicolon'}",
                )
            ],
            [(context.t("settings.done_button"), f"{PREFIX}:done")],
        ]
    )


def _language_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    options = [(name, f"{PREFIX}:lang:{code}") for code, name in i18n.LANGUAGES.items()]
    rows = [*grid(options), [(context.t("settings.follow_telegram"), f"{PREFIX}:lang:{FOLLOW_TELEGRAM}")]]
    return keyboard([*rows, [(context.t("common.back"), f"{PREFIX}:menu")]])


def _time_zone_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    options = [(zone, f"{PREFIX}:tz:{zone}") for zone in COMMON_TIME_ZONES]
    rows = [*grid(options), [(context.t("settings.type_time_zone"), TYPE_ZONE)]]
    return keyboard([*rows, [(context.t("common.back"), f"{PREFIX}:menu")]])


async def show_settings(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(overview_text(context), reply_markup=overview_keyboard(context))


async def on_button(update: Update, context: BotContext) -> None:
    """Every `set:` button except typing a zone: answer at once, then edit the settings message."""
    query = update.callback_query
    _, _, rest = query.data.partition(":")
    action, _, value = rest.partition(":")
    note = None
    if action == "menu":
        text, markup = overview_text(context), overview_keyboard(context)
    elif action == "lang" and not value:
        text, markup = context.t("settings.choose_language"), _language_keyboard(context)
    elif action == "lang" and (value in i18n.LANGUAGES or value == FOLLOW_TELEGRAM):
        chosen = None if value == FOLLOW_TELEGRAM else value
        async with context.db.session() as session:
            await set_language(session, context.account.id, chosen)
        context.account.language = chosen
        note = context.t("settings.language_set")
        text, markup = f"{note}\n\n{overview_text(context)}", overview_keyboard(context)
    elif action == "tz" and not value:
        text, markup = context.t("settings.choose_time_zone"), _time_zone_keyboard(context)
    elif action == "tz" and (zone := parse_time_zone(value)):
        note = await apply_time_zone(context, zone)
        text, markup = f"{note}\n\n{overview_text(context)}", overview_keyboard(context)
    elif action == "ren" and value == "clear":
        note = await apply_renewal_date(context, None)
        text, markup = f"{note}\n\n{overview_text(context)}", overview_keyboard(context)
    elif action == "rem" and value in ("on", "off"):
        note = await apply_reminders(context, value == "on")
        text, markup = f"{note}\n\n{overview_text(context)}", overview_keyboard(context)
    elif action == "lic" and value == "clear":
        note = await apply_licence_number(context, None)
        text, markup = f"{note}\n\n{overview_text(context)}", overview_keyboard(context)
    elif action == "sep" and value in SEPARATOR_TOKENS:
        note = await apply_separator(context, SEPARATOR_TOKENS[value])
        text, markup = f"{note}\n\n{overview_text(context)}", overview_keyboard(context)
    elif action == "done":
        await query.answer()
        await edit_in_place(query, context.t("settings.closed"))
        return
    else:  # a forged or outdated button
        await query.answer(context.t("common.expired_button"))
        return
    await query.answer(note)
    await edit_in_place(query, text, markup)


async def apply_time_zone(context: BotContext, zone: str) -> str:
    """Store the zone and return the confirmation, with the local time there so the user can check it."""
    async with context.db.session() as session:
        await set_time_zone(session, context.account.id, zone)
    context.account.time_zone = zone
    now = local_now(zone).strftime("%H:%M")
    return context.t("settings.time_zone_set", time_zone=html.escape(zone), now=now)


async def apply_renewal_date(context: BotContext, renewal_date: dt.date | None) -> str:
    """Store (or clear) the WM-4 renewal date and return the confirmation."""
    async with context.db.session() as session:
        await set_renewal_date(session, context.account.id, renewal_date)
    context.account.renewal_date = renewal_date
    if renewal_date is None:
        return context.t("settings.renewal_cleared")
    return context.t("settings.renewal_set", date=format_day(renewal_date, context.language))


async def apply_reminders(context: BotContext, enabled: bool) -> str:
    async with context.db.session() as session:
        await set_attendance_reminders(session, context.account.id, enabled)
    context.account.attendance_reminders = enabled
    if not enabled:
        return context.t("settings.reminders_off")
    if context.account.renewal_date is None:
        return context.t("settings.reminders_need_date")
    return context.t("settings.reminders_on")


async def apply_licence_number(context: BotContext, number: str | None) -> str:
    """Store (or clear) the KNSA licence number printed on exports and return the confirmation."""
    async with context.db.session() as session:
        await set_licence_number(session, context.account.id, number)
    context.account.licence_number = number
    if number is None:
        return context.t("export.settings.licence_cleared")
    return context.t("export.settings.licence_set", number=html.escape(number))


async def apply_separator(context: BotContext, separator: str) -> str:
    async with context.db.session() as session:
        await set_csv_separator(session, context.account.id, separator)
    context.account.csv_separator = separator
    return context.t("export.settings.separator_set", separator=_separator_name(context))


async def settings_button(update: Update, context: BotContext) -> None:
    await update.callback_query.answer()
    await show_settings(update, context)


HANDLERS = [
    CommandHandler("settings", show_settings),
    CallbackQueryHandler(settings_button, pattern=f"^{SETTINGS_CALLBACK}$"),
    CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:(?!tzt$|ren$|lic$)"),
]
