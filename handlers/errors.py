"""The error handler: log the failure with its traceback and tell the user, in their language."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from core import i18n
from handlers.context import BotContext
from services import preferences

logger = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    logger.error("Unhandled error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None or update.effective_user is None:
        return
    user = update.effective_user
    try:
        chosen = await preferences.preferences_of(context.uow, user.id)
        if chosen is None:  # never tell strangers anything beyond the refusal
            return
        language = i18n.resolve_language(chosen.language, user.language_code)
        if update.callback_query:
            with contextlib.suppress(TelegramError):  # answered already, before the error
                await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, i18n.translate(language, "common.error"))
    except Exception:  # the error handler itself must never raise
        logger.exception("Could not tell the user about the error")
