"""Typing a time zone that is not among the buttons: one question, answered until it is a real zone."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from conversations.common import conversation
from handlers.context import BotContext
from handlers.settings import TYPE_ZONE, apply_time_zone, overview_keyboard, overview_text
from services.preferences import parse_time_zone

TYPING_ZONE = "typing_zone"


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


def build() -> ConversationHandler:
    return conversation(
        "settings_time_zone",
        entry_points=[CallbackQueryHandler(ask_zone, pattern=f"^{TYPE_ZONE}$")],
        states={TYPING_ZONE: [MessageHandler(filters.TEXT & ~filters.COMMAND, receive_zone)]},
    )
