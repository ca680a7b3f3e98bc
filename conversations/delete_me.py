"""/deleteme: say what will go, ask for a typed confirmation word, then erase every row and file of the user.

Only the word itself (en `DELETE`, nl `VERWIJDER`) erases. Anything else while the question is open —
other text, a photo, another command, a tap on any button — ends the question and changes nothing;
/cancel too. Afterwards nothing of the user is left in the database, the files dir or the running bot,
so their next /start is a new user's.

callback_data: `dm:keep` (the "Keep my data" button under the question).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from conversations.common import conversation
from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.keyboards import keyboard
from services import accounts, user_data

logger = logging.getLogger(__name__)

CONFIRMING = "confirming"


@dataclass(frozen=True)
class KeepMyData(cb.Payload, template="dm:keep"):
    """The button under the question; any tap while it is open keeps the data."""


# (catalog key, table) of the counts the question shows.
SUMMARY = (
    ("weapons", "weapons"),
    ("sessions", "shooting_sessions"),
    ("files", "attachments"),
    ("journeys", "gear_journeys"),
    ("gear", "gear_items"),
    ("coach", "coach_messages"),
)
_CANCEL = filters.Regex(r"^/cancel(?:@\w+)?(?:\s|$)")


async def ask(update: Update, context: BotContext) -> str:
    counts = await user_data.stored_counts(context.uow, context.account.id)
    summary = "\n".join(context.t(f"deleteme.{key}", count=counts[table]) for key, table in SUMMARY)
    parts = [context.t("deleteme.explain", summary=summary)]
    if context.account.claimed_at is not None:
        parts.append(context.t("deleteme.owner_note"))
    parts.append(context.t("deleteme.ask_word", word=context.t("deleteme.word")))
    await update.effective_message.reply_text(
        "\n\n".join(parts),
        reply_markup=keyboard([[(context.t("deleteme.keep_button"), KeepMyData().encode())]]),
    )
    return CONFIRMING


async def receive_word(update: Update, context: BotContext) -> int:
    message = update.effective_message
    if message.text.strip() != context.t("deleteme.word"):
        return await keep(update, context)
    user_id = context.account.id
    erased = await user_data.erase_user(context.uow, context.runtime.settings.aimtrack_data_dir, user_id)
    forget(context, user_id, update.effective_chat.id)
    await release_ownership(context, owned=context.account.claimed_at is not None)
    logger.info("Telegram user %s deleted their data (%s rows, %s files)", user_id, erased.rows, erased.files)
    await message.reply_text(context.t("deleteme.done", rows=erased.rows, files=erased.files))
    return ConversationHandler.END


async def keep(update: Update, context: BotContext) -> int:
    """Anything but the word: the question ends and nothing changes."""
    if update.callback_query:
        await update.callback_query.answer()
    await update.effective_message.reply_text(context.t("deleteme.kept"))
    return ConversationHandler.END


def forget(context: BotContext, user_id: int, chat_id: int) -> None:
    """Drop what the running bot holds of the user: their user data and their private chat's data (a
    group's is not theirs alone), their place in every conversation, and their pending (AI) jobs. Their
    rows are deleted already; the persistence writes this update's emptied values when it ends.

    The data are emptied rather than dropped with `Application.drop_user_data`: that also deletes the
    row again on PTB's next timed flush, which could be a new row of the same user by then."""
    context.user_data.clear()
    if chat_id == user_id:
        context.chat_data.clear()
    application = context.application
    for handlers in application.handlers.values():
        for handler in handlers:
            if isinstance(handler, ConversationHandler):
                _end_conversations(handler, user_id)
    for job in application.job_queue.jobs():
        if isinstance(job.data, dict) and job.data.get("user") == user_id:
            job.schedule_removal()


def _end_conversations(handler: ConversationHandler, user_id: int) -> None:
    # PTB has no public way to end another key's conversation; `_update_state(END)` is what the handler
    # does itself. Keys are (chat id, user id): the user's own chat and any group they talked in.
    for key in [key for key in handler._conversations if user_id in key]:
        handler._update_state(ConversationHandler.END, key)


async def release_ownership(context: BotContext, *, owned: bool) -> None:
    """An owner who deleted their data no longer owns the bot (their claim was their row): as at a start
    without an owner, the bot gets a new claim code in its log."""
    if not owned or not context.runtime.access.claimable:
        return
    code = await accounts.issue_claim_code(context.uow)
    if code is not None:
        logger.warning(
            "The owner deleted their data; the bot has no owner. Send this to @%s to claim it:  /start %s",
            context.bot.username,
            code,
        )


def build() -> ConversationHandler:
    return conversation(
        "delete_me",
        entry_points=[CommandHandler("deleteme", ask)],
        states={
            CONFIRMING: [
                MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, receive_word),
                CallbackQueryHandler(keep),
                MessageHandler(filters.UpdateType.MESSAGE & ~_CANCEL, keep),
            ]
        },
    )
