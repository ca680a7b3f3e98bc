"""What answers when nothing else did: /cancel outside a flow, stale buttons, stray text.

Registered last in the same group as the features, so they only see what no feature took.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import callback_data as cb
from handlers.context import BotContext


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("common.nothing_to_cancel"))


async def label_only(update: Update, context: BotContext) -> None:
    """A tap on a heading or a counter: nothing to do, but Telegram's spinner must stop."""
    await update.callback_query.answer()


async def stale_button(update: Update, context: BotContext) -> None:
    await update.callback_query.answer(context.t("common.expired_button"), show_alert=False)


async def unknown_message(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("common.unknown_text"))


HANDLERS = [
    CommandHandler("cancel", nothing_to_cancel),
    CallbackQueryHandler(label_only, pattern=cb.is_label),
    CallbackQueryHandler(stale_button),
    MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, unknown_message),
]
