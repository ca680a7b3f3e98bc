"""Pieces every conversation shares: /cancel as a fallback that always ends the flow."""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from handlers.context import BotContext
from handlers.files import let_go


def cancel_handlers(drafts: tuple[str, ...] = ()) -> list[CommandHandler]:
    """`/cancel`: end the flow and forget its draft (`drafts`: the flow's user_data keys), so nothing
    half-typed — a serial number, say — stays stored, nor a file only the draft held."""

    async def cancel(update: Update, context: BotContext) -> int:
        dropped = [context.user_data.pop(key, None) for key in drafts]
        await let_go(context, dropped)
        if update.callback_query:
            await update.callback_query.answer()
        await update.effective_message.reply_text(context.t("common.cancelled"))
        return ConversationHandler.END

    return [CommandHandler("cancel", cancel)]


def conversation(
    name: str,
    entry_points: list[BaseHandler[Any, Any, Any]],
    states: dict[object, list[BaseHandler[Any, Any, Any]]],
    fallbacks: list[BaseHandler[Any, Any, Any]] | None = None,
    drafts: tuple[str, ...] = (),
) -> ConversationHandler:
    """A persistent conversation (it survives a restart) that `/cancel` always ends.

    Our flows mix message and button steps and are keyed per chat and user, which PTB warns about
    (`per_message=False`); that is the intended behaviour here, so the warning is silenced.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=entry_points,
            states=states,
            fallbacks=[*cancel_handlers(drafts), *(fallbacks or [])],
            name=name,
            persistent=True,
        )
