"""/settings: the user's preferences (language, time zone, WM-4 renewal date, attendance reminders, the
licence number and CSV separator of exports), as buttons that work at any time (no conversation needed).

callback_data: `set:menu`, `set:lang`, `set:lang:<code|auto>`, `set:tz`, `set:tz:<IANA name>`, `set:done`,
`set:ren:clear`, `set:rem:<on|off>`, `set:lic:clear`, `set:sep:<comma|semicolon>`; typing another zone
(`set:tzt`), a renewal date (`set:ren`) or the KNSA licence number (`set:lic`) is the conversation in
`conversations.preferences`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import html
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core import i18n
from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.keyboards import grid, keyboard
from handlers.screens import edit_in_place
from services import preferences
from services.preferences import COMMON_TIME_ZONES, DEFAULT_TIME_ZONE, Preferences, format_day, local_now

FOLLOW_TELEGRAM = "auto"


@dataclass(frozen=True)
class OpenPreferences(cb.Payload, template="menu:settings"):
    """The main menu's Settings button (and the attendance screen's)."""


@dataclass(frozen=True)
class Overview(cb.Payload, template="set:menu"):
    pass


@dataclass(frozen=True)
class ChooseLanguage(cb.Payload, template="set:lang"):
    pass


@dataclass(frozen=True)
class SetLanguage(cb.Payload, template="set:lang:{code}"):
    code: str  # a catalog language, or FOLLOW_TELEGRAM


@dataclass(frozen=True)
class ChooseTimeZone(cb.Payload, template="set:tz"):
    pass


@dataclass(frozen=True)
class SetTimeZone(cb.Payload, template="set:tz:{zone}"):
    zone: str  # an IANA name


@dataclass(frozen=True)
class TypeTimeZone(cb.Payload, template="set:tzt"):
    """Asks for a zone to type (`conversations.preferences`)."""


@dataclass(frozen=True)
class TypeRenewal(cb.Payload, template="set:ren"):
    """Asks for the renewal date (`conversations.preferences`)."""


@dataclass(frozen=True)
class ClearRenewal(cb.Payload, template="set:ren:clear"):
    pass


class Switch(enum.StrEnum):
    ON = "on"
    OFF = "off"


@dataclass(frozen=True)
class SetReminders(cb.Payload, template="set:rem:{state}"):
    state: Switch


@dataclass(frozen=True)
class TypeLicence(cb.Payload, template="set:lic"):
    """Asks for the licence number (`conversations.preferences`)."""


@dataclass(frozen=True)
class ClearLicence(cb.Payload, template="set:lic:clear"):
    pass


class Separator(enum.StrEnum):
    COMMA = "comma"
    SEMICOLON = "semicolon"


SEPARATORS = {Separator.COMMA: ",", Separator.SEMICOLON: ";"}


@dataclass(frozen=True)
class SetSeparator(cb.Payload, template="set:sep:{separator}"):
    separator: Separator


@dataclass(frozen=True)
class Close(cb.Payload, template="set:done"):
    pass


def remember(context: BotContext, chosen: Preferences) -> None:
    """This update's account takes the preferences as they are stored now."""
    for name, value in dataclasses.asdict(chosen).items():
        setattr(context.account, name, value)


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
    switch = Switch.OFF if _reminders_on(context) else Switch.ON
    other_separator = Separator.COMMA if _separator(context) == ";" else Separator.SEMICOLON
    return keyboard(
        [
            [(context.t("settings.language_button"), ChooseLanguage().encode())],
            [(context.t("settings.time_zone_button"), ChooseTimeZone().encode())],
            [(context.t("settings.renewal_button"), TypeRenewal().encode())],
            [(reminders, SetReminders(switch).encode())],
            [(context.t("export.settings.licence_button"), TypeLicence().encode())],
            [
                (
                    context.t("export.settings.separator_button", separator=_separator_name(context)),
                    SetSeparator(other_separator).encode(),
                )
            ],
            [(context.t("settings.done_button"), Close().encode())],
        ]
    )


def _language_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    options = [(name, SetLanguage(code).encode()) for code, name in i18n.LANGUAGES.items()]
    rows = [*grid(options), [(context.t("settings.follow_telegram"), SetLanguage(FOLLOW_TELEGRAM).encode())]]
    return keyboard([*rows, [(context.t("common.back"), Overview().encode())]])


def _time_zone_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    options = [(zone, SetTimeZone(zone).encode()) for zone in COMMON_TIME_ZONES]
    rows = [*grid(options), [(context.t("settings.type_time_zone"), TypeTimeZone().encode())]]
    return keyboard([*rows, [(context.t("common.back"), Overview().encode())]])


async def show_settings(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(overview_text(context), reply_markup=overview_keyboard(context))


async def on_button(update: Update, context: BotContext) -> None:
    """Every `set:` button except those that ask for typing: answer at once, then edit the message."""
    query = update.callback_query
    payload = cb.decode(query.data)
    note: str | None = None
    if isinstance(payload, Close):
        await query.answer()
        await edit_in_place(query, context.t("settings.closed"))
        return
    if isinstance(payload, ChooseLanguage):
        text, markup = context.t("settings.choose_language"), _language_keyboard(context)
    elif isinstance(payload, ChooseTimeZone):
        text, markup = context.t("settings.choose_time_zone"), _time_zone_keyboard(context)
    elif isinstance(payload, Overview):
        text, markup = overview_text(context), overview_keyboard(context)
    else:
        note = await _change(context, payload)
        if note is None:  # a forged or outdated button
            await query.answer(context.t("common.expired_button"))
            return
        text, markup = f"{note}\n\n{overview_text(context)}", overview_keyboard(context)
    await query.answer(note)
    await edit_in_place(query, text, markup)


async def _change(context: BotContext, payload: cb.Payload | None) -> str | None:
    """Change the preference the button names; its confirmation, or None if the button offers nothing."""
    if isinstance(payload, SetLanguage) and (
        payload.code in i18n.LANGUAGES or payload.code == FOLLOW_TELEGRAM
    ):
        chosen = None if payload.code == FOLLOW_TELEGRAM else payload.code
        remember(context, await preferences.set_language(context.uow, context.account.id, chosen))
        return context.t("settings.language_set")
    if isinstance(payload, SetTimeZone) and (zone := preferences.parse_time_zone(payload.zone)):
        return await apply_time_zone(context, zone)
    if isinstance(payload, ClearRenewal):
        return await apply_renewal_date(context, None)
    if isinstance(payload, SetReminders):
        return await apply_reminders(context, payload.state is Switch.ON)
    if isinstance(payload, ClearLicence):
        return await apply_licence_number(context, None)
    if isinstance(payload, SetSeparator):
        return await apply_separator(context, SEPARATORS[payload.separator])
    return None


async def apply_time_zone(context: BotContext, zone: str) -> str:
    """Store the zone and return the confirmation, with the local time there so the user can check it."""
    remember(context, await preferences.set_time_zone(context.uow, context.account.id, zone))
    now = local_now(zone).strftime("%H:%M")
    return context.t("settings.time_zone_set", time_zone=html.escape(zone), now=now)


async def apply_renewal_date(context: BotContext, renewal_date: dt.date | None) -> str:
    """Store (or clear) the WM-4 renewal date and return the confirmation."""
    remember(context, await preferences.set_renewal_date(context.uow, context.account.id, renewal_date))
    if renewal_date is None:
        return context.t("settings.renewal_cleared")
    return context.t("settings.renewal_set", date=format_day(renewal_date, context.language))


async def apply_reminders(context: BotContext, enabled: bool) -> str:
    chosen = await preferences.set_attendance_reminders(context.uow, context.account.id, enabled)
    remember(context, chosen)
    if not enabled:
        return context.t("settings.reminders_off")
    if chosen.renewal_date is None:
        return context.t("settings.reminders_need_date")
    return context.t("settings.reminders_on")


async def apply_licence_number(context: BotContext, number: str | None) -> str:
    """Store (or clear) the KNSA licence number printed on exports and return the confirmation."""
    remember(context, await preferences.set_licence_number(context.uow, context.account.id, number))
    if number is None:
        return context.t("export.settings.licence_cleared")
    return context.t("export.settings.licence_set", number=html.escape(number))


async def apply_separator(context: BotContext, separator: str) -> str:
    remember(context, await preferences.set_csv_separator(context.uow, context.account.id, separator))
    return context.t("export.settings.separator_set", separator=_separator_name(context))


async def settings_button(update: Update, context: BotContext) -> None:
    await update.callback_query.answer()
    await show_settings(update, context)


HANDLERS = [
    CommandHandler("settings", show_settings),
    CallbackQueryHandler(settings_button, pattern=cb.matches(OpenPreferences)),
    CallbackQueryHandler(
        on_button,
        pattern=cb.matches(
            Overview,
            ChooseLanguage,
            SetLanguage,
            ChooseTimeZone,
            SetTimeZone,
            ClearRenewal,
            SetReminders,
            ClearLicence,
            SetSeparator,
            Close,
        ),
    ),
]
