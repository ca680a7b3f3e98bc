"""/settings: language and time zone, as buttons that work at any time (no conversation needed).

callback_data: `set:menu`, `set:lang`, `set:lang:<code|auto>`, `set:tz`, `set:tz:<IANA name>`, `set:done`;
typing another zone is the conversation in `conversations.settings`.
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import i18n
from handlers.context import BotContext
from handlers.keyboards import grid, keyboard
from handlers.start import SETTINGS_CALLBACK
from services.preferences import COMMON_TIME_ZONES, DEFAULT_TIME_ZONE, local_now, parse_time_zone
from storage.users import set_language, set_time_zone

PREFIX = "set"
FOLLOW_TELEGRAM = "auto"
TYPE_ZONE = f"{PREFIX}:tzt"


def overview_text(context: BotContext) -> str:
    account = context.account
    if account and account.language in i18n.LANGUAGES:
        language = i18n.LANGUAGES[account.language]
    else:
        language = context.t("settings.follow_telegram_value", language=i18n.LANGUAGES[context.language])
    time_zone = (account.time_zone if account else None) or DEFAULT_TIME_ZONE
    return context.t("settings.overview", language=language, time_zone=html.escape(time_zone))


def overview_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [(context.t("settings.language_button"), f"{PREFIX}:lang")],
            [(context.t("settings.time_zone_button"), f"{PREFIX}:tz")],
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
    elif action == "done":
        await query.answer()
        await query.edit_message_text(context.t("settings.closed"))
        return
    else:  # a forged or outdated button
        await query.answer(context.t("common.expired_button"))
        return
    await query.answer(note)
    await query.edit_message_text(text, reply_markup=markup)


async def apply_time_zone(context: BotContext, zone: str) -> str:
    """Store the zone and return the confirmation, with the local time there so the user can check it."""
    async with context.db.session() as session:
        await set_time_zone(session, context.account.id, zone)
    context.account.time_zone = zone
    now = local_now(zone).strftime("%H:%M")
    return context.t("settings.time_zone_set", time_zone=html.escape(zone), now=now)


async def settings_button(update: Update, context: BotContext) -> None:
    await update.callback_query.answer()
    await show_settings(update, context)


HANDLERS = [
    CommandHandler("settings", show_settings),
    CallbackQueryHandler(settings_button, pattern=f"^{SETTINGS_CALLBACK}$"),
    CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:(?!tzt$)"),
]
