"""Typing in /settings (the preferences): a time zone that is not among the buttons, the WM-4 renewal date
or the KNSA licence number. Each is one question, asked again until the answer can be used."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from conversations.common import conversation
from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.keyboards import keyboard
from handlers.preferences import (
    ClearLicence,
    ClearRenewal,
    TypeLicence,
    TypeRenewal,
    TypeTimeZone,
    apply_licence_number,
    apply_renewal_date,
    apply_time_zone,
    licence_value,
    overview_keyboard,
    overview_text,
    renewal_value,
)
from handlers.screens import edit_in_place
from services.exports.session_export import parse_licence_number
from services.preferences import format_day, parse_time_zone
from services.validation import InvalidInput, parse_date

TYPING_ZONE = "typing_zone"
TYPING_RENEWAL = "typing_renewal"
TYPING_LICENCE = "typing_licence"


async def ask_zone(update: Update, context: BotContext) -> str:
    await update.callback_query.answer()
    await update.effective_message.reply_text(context.t("settings.ask_time_zone"))
    return TYPING_ZONE


async def receive_zone(update: Update, context: BotContext) -> str | int:
    text = update.effective_message.text
    zone = parse_time_zone(text)
    if zone is None:
        await update.effective_message.reply_text(
            context.t("settings.bad_time_zone", value=html.escape(text[:64]))
        )
        return TYPING_ZONE
    note = await apply_time_zone(context, zone)
    await update.effective_message.reply_text(
        f"{note}\n\n{overview_text(context)}", reply_markup=overview_keyboard(context)
    )
    return ConversationHandler.END


async def ask_renewal(update: Update, context: BotContext) -> str:
    await update.callback_query.answer()
    clear = keyboard([[(context.t("settings.renewal_clear"), ClearRenewal().encode())]])
    await update.effective_message.reply_text(
        context.t("settings.ask_renewal", date=renewal_value(context)),
        reply_markup=clear if context.account.renewal_date else None,
    )
    return TYPING_RENEWAL


async def receive_renewal(update: Update, context: BotContext) -> str | int:
    message = update.effective_message
    today = context.today
    try:
        renewal_date = parse_date(message.text, today, allow_future=True)
    except InvalidInput as error:
        await message.reply_text(context.explain(error))
        return TYPING_RENEWAL
    if renewal_date < today:
        await message.reply_text(
            context.t("settings.renewal_past", date=format_day(renewal_date, context.language))
        )
        return TYPING_RENEWAL
    note = await apply_renewal_date(context, renewal_date)
    await message.reply_text(f"{note}\n\n{overview_text(context)}", reply_markup=overview_keyboard(context))
    return ConversationHandler.END


async def clear_renewal(update: Update, context: BotContext) -> int:
    """The Clear button under the question: clear the date and end the question."""
    query = update.callback_query
    note = await apply_renewal_date(context, None)
    await query.answer(note)
    await edit_in_place(query, f"{note}\n\n{overview_text(context)}", overview_keyboard(context))
    return ConversationHandler.END


async def ask_licence(update: Update, context: BotContext) -> str:
    await update.callback_query.answer()
    clear = keyboard([[(context.t("settings.renewal_clear"), ClearLicence().encode())]])
    await update.effective_message.reply_text(
        context.t("export.settings.ask_licence", number=licence_value(context)),
        reply_markup=clear if context.account.licence_number else None,
    )
    return TYPING_LICENCE


async def receive_licence(update: Update, context: BotContext) -> str | int:
    message = update.effective_message
    try:
        number = parse_licence_number(message.text)
    except InvalidInput as error:
        await message.reply_text(context.explain(error))
        return TYPING_LICENCE
    note = await apply_licence_number(context, number)
    await message.reply_text(f"{note}\n\n{overview_text(context)}", reply_markup=overview_keyboard(context))
    return ConversationHandler.END


async def clear_licence(update: Update, context: BotContext) -> int:
    query = update.callback_query
    note = await apply_licence_number(context, None)
    await query.answer()
    await edit_in_place(query, f"{note}\n\n{overview_text(context)}", overview_keyboard(context))
    return ConversationHandler.END


def build() -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    return conversation(
        "settings_time_zone",  # the name persisted states are stored under; it now covers the renewal too
        entry_points=[
            CallbackQueryHandler(ask_zone, pattern=cb.matches(TypeTimeZone)),
            CallbackQueryHandler(ask_renewal, pattern=cb.matches(TypeRenewal)),
            CallbackQueryHandler(ask_licence, pattern=cb.matches(TypeLicence)),
        ],
        states={
            TYPING_ZONE: [MessageHandler(text, receive_zone)],
            TYPING_RENEWAL: [
                MessageHandler(text, receive_renewal),
                CallbackQueryHandler(clear_renewal, pattern=cb.matches(ClearRenewal)),
            ],
            TYPING_LICENCE: [
                MessageHandler(text, receive_licence),
                CallbackQueryHandler(clear_licence, pattern=cb.matches(ClearLicence)),
            ],
        },
    )
