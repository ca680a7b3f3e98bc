"""Who may talk to the bot: the configured user ids, or else the owner who claimed it with a one-time code."""

from __future__ import annotations

import html
import logging
import secrets
from collections import OrderedDict
from collections.abc import Iterable

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot import i18n
from handlers.context import BotContext
from storage.users import claim, ensure_user

logger = logging.getLogger(__name__)

_REFUSED_MEMORY = 10_000


class AccessControl:
    """Decides per Telegram user id; keeps nothing about strangers but a bounded in-memory "already told" set.

    With `allowed_users` configured, exactly those ids may use the bot. Without it, the bot can be claimed
    once: whoever sends `/start <claim_code>` first becomes its owner (stored in the database by the caller).
    """

    def __init__(
        self, allowed_users: Iterable[int], owners: Iterable[int] = (), extra: Iterable[int] = ()
    ) -> None:
        self.allowed_users = frozenset(allowed_users)
        self.owners = set(owners)
        self.extra = frozenset(extra)
        self.claim_code: str | None = None
        self._refused: OrderedDict[int, None] = OrderedDict()
        if not self.allowed_users and not self.owners and not self.extra:
            self.claim_code = secrets.token_urlsafe(9)

    def is_allowed(self, user_id: int) -> bool:
        if user_id in self.extra:
            return True
        if self.allowed_users:
            return user_id in self.allowed_users
        return user_id in self.owners

    @property
    def claimable(self) -> bool:
        return self.claim_code is not None

    def claim(self, user_id: int, code: str) -> bool:
        """True if `code` is the claim code; the bot then belongs to `user_id` and the code is spent."""
        if self.claim_code is None or not secrets.compare_digest(code.encode(), self.claim_code.encode()):
            return False
        self.claim_code = None
        self.owners.add(user_id)
        return True

    def first_refusal(self, user_id: int) -> bool:
        """True the first time a stranger is refused: they get one polite answer, later messages get none."""
        if user_id in self._refused:
            return False
        self._refused[user_id] = None
        if len(self._refused) > _REFUSED_MEMORY:
            self._refused.popitem(last=False)
        return True


async def gate(update: object, context: BotContext) -> None:
    """Runs before every handler: lets allowed users through with their row loaded, stops everyone else."""
    if not isinstance(update, Update) or update.effective_user is None:
        raise ApplicationHandlerStop
    user = update.effective_user
    access = context.app.runtime.access
    context.telegram_language = user.language_code
    if not access.is_allowed(user.id) and not await _try_claim(update, context, access):
        await _refuse(update, context, access)
        raise ApplicationHandlerStop
    async with context.db.session() as session:
        context.account = await ensure_user(session, user.id, user.full_name, user.language_code)


async def _try_claim(update: Update, context: BotContext, access: AccessControl) -> bool:
    message = update.message
    if not access.claimable or message is None or not message.text:
        return False
    command, _, code = message.text.strip().partition(" ")
    if command.split("@")[0] != "/start" or not code.strip():
        return False
    user = update.effective_user
    if not access.claim(user.id, code.strip()):
        logger.warning("A wrong claim code was sent by Telegram user %s", user.id)
        await message.reply_text(
            i18n.translate(i18n.resolve_language(None, user.language_code), "access.bad_code")
        )
        return False
    async with context.db.session() as session:
        await claim(session, user.id, user.full_name)
    logger.warning("The bot was claimed by Telegram user %s; the claim code is spent", user.id)
    name = html.escape(user.first_name)
    await message.reply_text(context.t("access.claimed", name=name))
    return True


async def _refuse(update: Update, context: BotContext, access: AccessControl) -> None:
    user_id = update.effective_user.id
    if update.callback_query:
        await update.callback_query.answer()
    if update.effective_chat and update.effective_chat.type == "private" and access.first_refusal(user_id):
        await context.bot.send_message(update.effective_chat.id, context.t("access.refused"))
