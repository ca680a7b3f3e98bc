"""/link: a one-time code that, sent to the bot on Matrix, opens this logbook there too."""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.ext import CommandHandler

from handlers.context import BotContext
from services import linking


async def send_link_code(update: Update, context: BotContext) -> None:
    settings = context.runtime.settings
    if not settings.matrix_enabled:
        await update.effective_message.reply_text(context.t("link.no_matrix"))
        return
    code = await linking.issue(context.uow, context.account.id, dt.datetime.now(dt.UTC))
    minutes = int(linking.LIFETIME.total_seconds() // 60)
    text = context.t("link.code", code=code, minutes=minutes, bot=settings.matrix_user_id)
    await update.effective_message.reply_text(text)


HANDLERS = [CommandHandler("link", send_link_code)]
