"""The coach in chat: any free text outside a flow is a question; /newtopic, /coach (pin the context to a
session or weapon), and the AI buttons of the session and weapon cards.

callback_data:
- `ai:ref:<session id>`: (re)write the session's AI reflection; `ai:wpn:<weapon id>`: the weapon's AI trends.
- `co:menu` (the main menu's entry: the /coach screen), `co:all` (no pin), `co:s:<session id>`,
  `co:w:<weapon id>`: start a new topic pinned to that context.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re

from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import ai_jobs
from handlers.context import BotContext
from handlers.keyboards import keyboard
from handlers.screens import edit_in_place
from services.coach.coach import ShooterCoach
from services.coach.formatting import to_messages
from services.coach.types import CoachUnavailable
from services.preferences import format_day
from storage.coach import reflection_of_session
from storage.models import AiStatus
from storage.shooting_sessions import get_session, latest_sessions
from storage.weapons import get_weapon, list_weapons

AI_PREFIX = "ai"
PREFIX = "co"
MENU_CALLBACK = f"{PREFIX}:menu"
PIN_SESSIONS = 5
TYPING_EVERY_S = 4.0  # Telegram shows "typing…" for about five seconds
_AI_BUTTON = re.compile(rf"^{AI_PREFIX}:(ref|wpn):(\d{{1,12}})$")
_PIN_BUTTON = re.compile(rf"^{PREFIX}:(?:(all|menu)|([sw]):(\d{{1,12}}))$")


def _coach(context: BotContext) -> ShooterCoach:
    return context.runtime.coach


# --- questions ----------------------------------------------------------------------------------------


async def _keep_typing(bot: Bot, chat_id: int) -> None:
    while True:
        with contextlib.suppress(Exception):
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
        await asyncio.sleep(TYPING_EVERY_S)


async def ask_coach(update: Update, context: BotContext) -> None:
    """Answer a question (runs as its own task: `block=False`); one user's questions are taken in turn."""
    message = update.effective_message
    coach = _coach(context)
    async with coach.lock(context.account.id):
        typing = asyncio.create_task(_keep_typing(context.bot, message.chat_id))
        try:
            answer = await coach.ask(context.account.id, message.text, context.language)
        except CoachUnavailable as error:
            await message.reply_text(context.t("coach.unavailable", error=html.escape(str(error)[:300])))
            return
        finally:
            typing.cancel()
        for part in to_messages(answer.text):
            await message.reply_text(part)


async def new_topic(update: Update, context: BotContext) -> None:
    await _coach(context).new_topic(context.account.id)
    await update.effective_message.reply_text(context.t("coach.new_topic"))


# --- /coach: pinning ------------------------------------------------------------------------------------


async def pin_menu(context: BotContext) -> InlineKeyboardMarkup:
    user_id = context.account.id
    async with context.db.session() as session:
        sessions = await latest_sessions(session, user_id, limit=PIN_SESSIONS)
        weapons = await list_weapons(session, user_id)
    rows = [[(context.t("coach.pin_none"), f"{PREFIX}:all")]]
    rows += [
        [
            (
                context.t(
                    "coach.pin_session", day=format_day(s.date, context.language), club=(s.club or "")[:30]
                ),
                f"{PREFIX}:s:{s.id}",
            )
        ]
        for s in sessions
    ]
    rows += [[(context.t("coach.pin_weapon", name=w.name[:40]), f"{PREFIX}:w:{w.id}")] for w in weapons]
    return keyboard(rows)


async def coach_command(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(
        context.t("coach.pin_title"), reply_markup=await pin_menu(context)
    )


async def on_pin(update: Update, context: BotContext) -> None:
    query = update.callback_query
    found = _PIN_BUTTON.match(query.data)
    if found is None:
        await query.answer(context.t("common.expired_button"))
        return
    plain, kind, number = found.groups()
    if plain == "menu":
        await query.answer()
        await coach_command(update, context)
        return
    user_id = context.account.id
    coach = _coach(context)
    if plain == "all":
        await coach.new_topic(user_id)
        text = context.t("coach.pinned_none")
    elif kind == "s":
        async with context.db.session() as session:
            row = await get_session(session, user_id, int(number))
        if row is None or await coach.new_topic(user_id, session_id=row.id) is None:
            await query.answer(context.t("coach.session_missing"))
            return
        text = context.t("coach.pinned_session", day=format_day(row.date, context.language))
    else:
        async with context.db.session() as session:
            weapon = await get_weapon(session, user_id, int(number))
        if weapon is None or await coach.new_topic(user_id, weapon_id=weapon.id) is None:
            await query.answer(context.t("coach.weapon_missing"))
            return
        text = context.t("coach.pinned_weapon", name=html.escape(weapon.name))
    await query.answer()
    await edit_in_place(query, text)


# --- the AI buttons on the cards --------------------------------------------------------------------------


async def on_ai_button(update: Update, context: BotContext) -> None:
    """Request a reflection or trends; the result (or the failure) arrives later as a message."""
    query = update.callback_query
    found = _AI_BUTTON.match(query.data)
    if found is None:
        await query.answer(context.t("common.expired_button"))
        return
    kind, number = found.group(1), int(found.group(2))
    user_id = context.account.id
    if kind == "ref":
        async with context.db.session() as session:
            existing = await reflection_of_session(session, user_id, number)
        if existing is not None and existing.status is AiStatus.PENDING:
            await query.answer(context.t("coach.already_queued"))
            return
        queued = await ai_jobs.enqueue_reflection(context.application, user_id, number)
        missing = "coach.session_missing"
    else:
        queued = await ai_jobs.enqueue_insight(context.application, user_id, number)
        missing = "coach.weapon_missing"
    await query.answer(context.t("coach.queued" if queued else missing))


HANDLERS = [
    CommandHandler("coach", coach_command),
    CommandHandler("newtopic", new_topic),
    CallbackQueryHandler(on_pin, pattern=f"^{PREFIX}:"),
    CallbackQueryHandler(on_ai_button, pattern=f"^{AI_PREFIX}:"),
]

# Registered after every feature, just before the fallbacks: text nobody else took is a question.
QUESTION_HANDLERS = [
    MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, ask_coach, block=False)
]
