"""The access gate: runs before every handler, lets allowed users through with their account loaded.

It serves private chats only: in a group, a supergroup or a channel it says once that the bot works in
private chats, and stops every update there, an allowed user's too. It fails closed: an update the gate
could not finish deciding on (the refusal could not be sent, the user's row could not be read or written)
goes no further, as if refused; the failure is logged once here, not again by the error handler.

Without configured users the bot answers its owner, whom the database knows (so every process does), and
`/start <code>` with the code the database holds makes its sender that owner (services/accounts.py).
"""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from core import i18n
from core.access import AccessControl
from handlers.context import BotContext
from services import accounts
from services.accounts import Account, ClaimOutcome

logger = logging.getLogger(__name__)


async def gate(update: object, context: BotContext) -> None:
    """Runs before every handler: lets allowed users through with their row loaded, stops everyone else,
    and stops the update whatever goes wrong while deciding."""
    if not isinstance(update, Update):
        raise ApplicationHandlerStop
    try:
        await _admit(update, context)
    except ApplicationHandlerStop:
        raise
    except Exception:
        context.account = None
        user, chat = update.effective_user, update.effective_chat
        logger.exception(
            "The access gate failed; update %s (user %s, chat %s) is not handled",
            update.update_id,
            user.id if user else None,
            chat.id if chat else None,
        )
        raise ApplicationHandlerStop from None


async def _admit(update: Update, context: BotContext) -> None:
    """Loads the account of an allowed user (or the one who claims the bot now) in a private chat; stops
    everything else."""
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        await _private_only(update, context, chat.id)
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None:
        raise ApplicationHandlerStop
    access = context.runtime.access
    context.telegram_language = user.language_code
    if access.is_allowed(user.id):
        context.account = await accounts.enter(context.uow, user.id, user.full_name, user.language_code)
        return
    if access.claimable:
        account = await accounts.enter_as_owner(context.uow, user.id, user.full_name, user.language_code)
        if account is None:
            account = await _try_claim(update, context)
        if account is not None:
            context.account = account
            return
    await _refuse(update, context, access)
    raise ApplicationHandlerStop


def _sent_code(update: Update) -> str | None:
    """The code of a `/start <code>` message, if this is one."""
    message = update.message
    if message is None or not message.text:
        return None
    command, _, code = message.text.strip().partition(" ")
    if command.split("@")[0] != "/start" or not code.strip():
        return None
    return code.strip()


async def _try_claim(update: Update, context: BotContext) -> Account | None:
    """The new owner's account if this is `/start <the code out>`; a wrong code is answered (once a minute
    per user) and logged (once per burst), and stops the update."""
    code = _sent_code(update)
    user = update.effective_user
    if code is None or user is None or update.message is None:
        return None
    claim = await accounts.claim(context.uow, user.id, user.full_name, user.language_code, code)
    if claim.outcome is ClaimOutcome.NOT_CLAIMABLE:
        return None
    if claim.outcome is ClaimOutcome.WRONG_CODE:
        wrong = context.runtime.access.wrong_code(user.id)
        if wrong.log:
            logger.warning(
                "A wrong claim code was sent by Telegram user %s (%s more since the last such line)",
                user.id,
                wrong.unlogged,
            )
        if wrong.answer:
            language = i18n.resolve_language(None, user.language_code)
            await update.message.reply_text(i18n.translate(language, "access.bad_code"))
        raise ApplicationHandlerStop
    logger.warning("The bot was claimed by Telegram user %s; the claim code is spent", user.id)
    await update.message.reply_text(context.t("access.claimed", name=html.escape(user.first_name)))
    return claim.account


async def _private_only(update: Update, context: BotContext, chat_id: int) -> None:
    if update.callback_query:
        await update.callback_query.answer()
    if context.runtime.access.first_in_group(chat_id):
        user = update.effective_user
        language = i18n.resolve_language(None, user.language_code if user else None)
        await context.bot.send_message(chat_id, i18n.translate(language, "access.private_only"))


async def _refuse(update: Update, context: BotContext, access: AccessControl) -> None:
    user_id = update.effective_user.id
    if update.callback_query:
        await update.callback_query.answer()
    if update.effective_chat and update.effective_chat.type == "private" and access.first_refusal(user_id):
        await context.bot.send_message(update.effective_chat.id, context.t("access.refused"))
