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
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import callback_data as cb
from handlers import reflections
from handlers.context import BotContext
from handlers.keyboards import keyboard
from handlers.reflections import InsightButton, ReflectionButton
from handlers.screens import edit_in_place
from services.coach import topics
from services.coach.coach import ShooterCoach
from services.coach.formatting import to_messages
from services.coach.reflections import reflection_pending
from services.coach.types import CoachStopped, CoachUnavailable
from services.preferences import format_day

TYPING_EVERY_S = 4.0  # Telegram shows "typing…" for about five seconds


@dataclass(frozen=True)
class CoachMenu(cb.Payload, template="co:menu"):
    """The main menu's entry: the /coach screen."""


@dataclass(frozen=True)
class PinNothing(cb.Payload, template="co:all"):
    """A new topic about everything."""


@dataclass(frozen=True)
class PinSession(cb.Payload, template="co:s:{session_id}"):
    session_id: int


@dataclass(frozen=True)
class PinWeapon(cb.Payload, template="co:w:{weapon_id}"):
    weapon_id: int


MENU_CALLBACK = CoachMenu().encode()


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
        except CoachStopped:
            await message.reply_text(context.t("coach.stopping"))
            return
        except CoachUnavailable as error:
            await message.reply_text(context.t("coach.unavailable", error=html.escape(str(error)[:300])))
            return
        finally:
            typing.cancel()
        for part in to_messages(answer.text):
            await message.reply_text(part)


async def new_topic(update: Update, context: BotContext) -> None:
    await topics.new_topic(context.uow, context.account.id)
    await update.effective_message.reply_text(context.t("coach.new_topic"))


# --- /coach: pinning ------------------------------------------------------------------------------------


async def pin_menu(context: BotContext) -> InlineKeyboardMarkup:
    choices = await topics.pin_choices(context.uow, context.account.id)
    rows = [[(context.t("coach.pin_none"), PinNothing().encode())]]
    rows += [
        [
            (
                context.t(
                    "coach.pin_session", day=format_day(s.day, context.language), club=(s.club or "")[:30]
                ),
                PinSession(s.id).encode(),
            )
        ]
        for s in choices.sessions
    ]
    rows += [
        [(context.t("coach.pin_weapon", name=w.name[:40]), PinWeapon(w.id).encode())] for w in choices.weapons
    ]
    return keyboard(rows)


async def coach_command(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(
        context.t("coach.pin_title"), reply_markup=await pin_menu(context)
    )


async def on_pin(update: Update, context: BotContext) -> None:
    query = update.callback_query
    payload = cb.decode(query.data)
    if isinstance(payload, CoachMenu):
        await query.answer()
        await coach_command(update, context)
        return
    uow, user_id = context.uow, context.account.id
    if isinstance(payload, PinNothing):
        await topics.new_topic(uow, user_id)
        text = context.t("coach.pinned_none")
    elif isinstance(payload, PinSession):
        day = await topics.pin_session(uow, user_id, payload.session_id)
        if day is None:
            await query.answer(context.t("coach.session_missing"))
            return
        text = context.t("coach.pinned_session", day=format_day(day, context.language))
    elif isinstance(payload, PinWeapon):
        name = await topics.pin_weapon(uow, user_id, payload.weapon_id)
        if name is None:
            await query.answer(context.t("coach.weapon_missing"))
            return
        text = context.t("coach.pinned_weapon", name=html.escape(name))
    else:
        await query.answer(context.t("common.expired_button"))
        return
    await query.answer()
    await edit_in_place(query, text)


# --- the AI buttons on the cards --------------------------------------------------------------------------


async def on_ai_button(update: Update, context: BotContext) -> None:
    """Request a reflection or trends; the result (or the failure) arrives later as a message."""
    query = update.callback_query
    payload = cb.decode(query.data)
    user_id = context.account.id
    if isinstance(payload, ReflectionButton):
        if await reflection_pending(context.uow, user_id, payload.session_id):
            await query.answer(context.t("coach.already_queued"))
            return
        queued = await reflections.enqueue_reflection(context.application, user_id, payload.session_id)
        missing = "coach.session_missing"
    elif isinstance(payload, InsightButton):
        queued = await reflections.enqueue_insight(context.application, user_id, payload.weapon_id)
        missing = "coach.weapon_missing"
    else:
        await query.answer(context.t("common.expired_button"))
        return
    await query.answer(context.t("coach.queued" if queued else missing))


HANDLERS = [
    CommandHandler("coach", coach_command),
    CommandHandler("newtopic", new_topic),
    CallbackQueryHandler(on_pin, pattern=cb.matches(CoachMenu, PinNothing, PinSession, PinWeapon)),
    CallbackQueryHandler(on_ai_button, pattern=cb.matches(ReflectionButton, InsightButton)),
]

# Registered after every feature, just before the fallbacks: text nobody else took is a question.
QUESTION_HANDLERS = [
    MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, ask_coach, block=False)
]
