"""/log: logging a range session step by step, and editing a saved one with the same steps.

The steps (questions, options, checking answers) are `services.session_log`; this module turns a step's
options into buttons (`lg:<step>:<token>`), taps and typed text into answers, and keeps the draft in
user_data (persisted, so a restart resumes the flow). Photos and documents sent at any step attach to
the session. Entry points: `/log` (with text after it: the quick log instead), `log:new` (the main menu,
and "photo sent outside a flow → new session", which leaves `pending_files` in user_data) and
`ss:edit:<id>` (a session's card).
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from conversations.common import conversation
from handlers.context import BotContext
from handlers.files import receive_file
from handlers.keyboards import grid, keyboard
from handlers.sessions import LIST_CALLBACK, load_session, quick_log, save_draft
from services.attachments import RefusedFile
from services.preferences import format_day, local_now
from services.session_log import (
    FILE_KEYS,
    Action,
    Facts,
    Option,
    Outcome,
    SessionDraft,
    StaleChoice,
    Step,
    WeaponChoice,
    answer_choice,
    answer_text,
    draft_from_session,
    prompt,
)
from services.validation import InvalidInput
from storage.shooting_sessions import (
    recent_ammo_brands,
    recent_clubs,
    recent_disciplines,
    recent_locations,
)
from storage.weapons import list_weapons

NAME = "log_session"
PREFIX = "lg"
NEW_CALLBACK = "log:new"
EDIT_PATTERN = r"^ss:edit:([0-9]{1,18})$"
DRAFT = "log_draft"  # user_data key of the draft
PENDING_FILES = "pending_files"  # user_data key where another feature leaves files for a new session

MAX_MESSAGE_LENGTH = MessageLimit.MAX_TEXT_LENGTH
State = str | int | None


def load_draft(context: BotContext) -> SessionDraft:
    return SessionDraft.from_dict(context.user_data.get(DRAFT) or {})


def keep(context: BotContext, draft: SessionDraft) -> None:
    context.user_data[DRAFT] = draft.to_dict()


async def load_facts(context: BotContext) -> Facts:
    user_id = context.account.id
    async with context.db.session() as session:
        weapons = await list_weapons(session, user_id)
        clubs = await recent_clubs(session, user_id)
        locations = await recent_locations(session, user_id)
        brands = await recent_ammo_brands(session, user_id)
        disciplines = await recent_disciplines(session, user_id)
    return Facts(
        today=local_now(context.account.time_zone).date(),
        weapons=tuple(WeaponChoice(weapon.id, weapon.name, weapon.caliber) for weapon in weapons),
        clubs=tuple(clubs),
        locations=tuple(locations),
        ammo_brands=tuple(brands),
        disciplines=tuple(disciplines),
        common_weather=tuple(context.t("log.common_weather").split("|")),
        common_disciplines=tuple(context.t("log.common_disciplines").split("|")),
    )


def option_label(context: BotContext, option: Option) -> str:
    return option.text if option.text is not None else context.t(option.key or "", **option.values)


async def ask(
    message: Message,
    context: BotContext,
    step: Step,
    draft: SessionDraft,
    facts: Facts,
    intro: str | None = None,
) -> str:
    """Send the question of `step` (after `intro`), remember it as the draft's step; returns the state."""
    question = prompt(step, draft, facts)
    parts = [intro] if intro else []
    if question.summary:
        title = "log.summary_title_saved" if draft.session_id else "log.summary_title"
        parts.append("\n".join([context.t(title), context.render(question.summary)]))
    parts.append(context.render([(question.key, question.values)]))
    options = [
        (option_label(context, option), f"{PREFIX}:{step.value}:{option.value}")
        for option in question.options
    ]
    markup = keyboard(grid(options, question.columns)) if options else None
    draft.step = step.value
    keep(context, draft)
    await message.reply_text("\n\n".join(parts), reply_markup=markup)
    return step.value


async def follow(
    message: Message, context: BotContext, draft: SessionDraft, facts: Facts, outcome: Outcome
) -> State:
    """Do what an answer led to: save, cancel, or ask the next question."""
    if outcome.action is Action.SAVE:
        return await _save(message, context, draft)
    if outcome.action is Action.CANCEL:
        context.user_data.pop(DRAFT, None)
        await message.reply_text(context.t("log.cancelled"))
        return ConversationHandler.END
    note = context.t(outcome.note) if outcome.note else None
    if not outcome.ask:
        keep(context, draft)
        await message.reply_text(note or "")
        return outcome.step.value
    return await ask(message, context, outcome.step, draft, facts, intro=note)


async def _save(message: Message, context: BotContext, draft: SessionDraft) -> State:
    row = await save_draft(context, draft)
    if row is None:
        await message.reply_text(context.t("log.not_saved"))
        return Step.SUMMARY.value
    context.user_data.pop(DRAFT, None)
    key = "log.updated" if draft.session_id else "log.saved_session"
    text = context.t(
        key,
        date=format_day(row.date, context.language),
        shots=draft.total_shots,
        files=draft.existing_files + len(draft.files),
    )
    await message.reply_text(text, reply_markup=keyboard([[(context.t("sessions.menu"), LIST_CALLBACK)]]))
    return ConversationHandler.END


# --- entering ---------------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> State:
    """/log, or the `log:new` button: a new draft (with files left for it), then the first question."""
    message = update.effective_message
    if update.callback_query:
        await update.callback_query.answer()
    elif context.args:
        await quick_log(update, context)
        return ConversationHandler.END
    facts = await load_facts(context)
    if not facts.weapons:
        await message.reply_text(context.t("log.no_weapons"))
        return ConversationHandler.END
    draft = SessionDraft()
    pending = context.user_data.pop(PENDING_FILES, [])
    for description in pending if isinstance(pending, list) else []:
        if isinstance(description, dict) and set(FILE_KEYS) <= description.keys():
            draft.add_file(description)
    intro = context.t("log.started")
    if draft.files:
        intro += "\n" + context.t("log.files_waiting", count=len(draft.files))
    return await ask(message, context, Step.DATE, draft, facts, intro=intro)


async def start_edit(update: Update, context: BotContext) -> State:
    """A session card's Edit: the saved session becomes the draft, and the edit menu is shown."""
    query = update.callback_query
    found = await load_session(context, int(context.match.group(1)))
    if found is None:
        await query.answer(context.t("sessions.not_found"))
        return ConversationHandler.END
    await query.answer()
    draft = draft_from_session(*found)
    return await ask(update.effective_message, context, Step.EDIT, draft, await load_facts(context))


async def busy(update: Update, context: BotContext) -> State:
    """/log, `log:new` or an Edit button while a session is being logged: carry on with that one."""
    if update.callback_query:
        await update.callback_query.answer()
    draft = load_draft(context)
    facts = await load_facts(context)
    return await ask(
        update.effective_message, context, Step(draft.step), draft, facts, intro=context.t("log.busy")
    )


# --- answering --------------------------------------------------------------------------------------


async def lost(message: Message, context: BotContext) -> int:
    """The conversation is open but its draft is gone (user data dropped): start over rather than guess."""
    await message.reply_text(context.t("log.lost"))
    return ConversationHandler.END


async def mark_chosen(query: CallbackQuery, label: str) -> None:
    """Show the tapped answer under its question, and take the buttons away."""
    message = query.message
    if not isinstance(message, Message) or not message.text:
        return
    text = f"{message.text_html}\n» <b>{html.escape(label)}</b>"
    try:
        if len(text) <= MAX_MESSAGE_LENGTH:
            await query.edit_message_text(text)
        else:
            await query.edit_message_reply_markup(None)
    except BadRequest as error:  # a double tap: the first one marked it already
        if "not modified" not in error.message:
            raise


def on_choice(step: Step) -> Callable[[Update, BotContext], Awaitable[State]]:
    async def handle(update: Update, context: BotContext) -> State:
        query = update.callback_query
        if DRAFT not in context.user_data:
            await query.answer()
            return await lost(update.effective_message, context)
        token = query.data.split(":", 2)[2]
        draft, facts = load_draft(context), await load_facts(context)
        chosen = next(
            (option for option in prompt(step, draft, facts).options if option.value == token), None
        )
        try:
            outcome = answer_choice(step, draft, token, facts)
        except StaleChoice:  # forged, or a button of an older question
            await query.answer(context.t("common.expired_button"))
            return None
        await query.answer()
        if chosen is not None:
            await mark_chosen(query, option_label(context, chosen))
        return await follow(update.effective_message, context, draft, facts, outcome)

    return handle


def on_text(step: Step) -> Callable[[Update, BotContext], Awaitable[State]]:
    async def handle(update: Update, context: BotContext) -> State:
        message = update.effective_message
        if DRAFT not in context.user_data:
            return await lost(message, context)
        draft, facts = load_draft(context), await load_facts(context)
        try:
            outcome = answer_text(step, draft, message.text, facts)
        except InvalidInput as error:
            await message.reply_text(context.explain(error))
            return None
        return await follow(message, context, draft, facts, outcome)

    return handle


async def on_file(update: Update, context: BotContext) -> State:
    """A photo or document at any step: stored, and kept in the draft for the session."""
    message = update.effective_message
    if DRAFT not in context.user_data:
        return await lost(message, context)
    try:
        incoming = await receive_file(message, context)
    except RefusedFile as refusal:
        values: dict[str, Any] = {
            key: html.escape(value) if isinstance(value, str) else value
            for key, value in refusal.values.items()
        }
        await message.reply_text(context.t(refusal.key, **values))
        return None
    stored = incoming.stored
    draft = load_draft(context)
    count = draft.add_file(
        {
            "path": stored.path,
            "sha256": stored.sha256,
            "size": stored.size,
            "mime": stored.mime,
            "original_name": incoming.original_name,
            "telegram_file_id": incoming.telegram_file_id,
        }
    )
    keep(context, draft)
    await message.reply_text(
        context.t("log.photo_attached" if message.photo else "log.file_attached", count=count)
    )
    return None


def build() -> ConversationHandler:
    return conversation(
        NAME,
        entry_points=[
            CommandHandler("log", start),
            CallbackQueryHandler(start, pattern=f"^{NEW_CALLBACK}$"),
            CallbackQueryHandler(start_edit, pattern=EDIT_PATTERN),
        ],
        states={
            step.value: [
                CallbackQueryHandler(on_choice(step), pattern=f"^{PREFIX}:{step.value}:"),
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_text(step)),
            ]
            for step in Step
        },
        fallbacks=[
            MessageHandler(filters.PHOTO | filters.Document.ALL, on_file),
            CommandHandler("log", busy),
            CallbackQueryHandler(busy, pattern=f"^{NEW_CALLBACK}$|{EDIT_PATTERN}"),
        ],
        drafts=(DRAFT,),
    )
