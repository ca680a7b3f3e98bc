"""/log: logging a range session step by step, and editing a saved one with the same steps.

The steps (questions, options, checking answers) are `services.session_log`; this module turns a step's
options into buttons (`lg:<step>:<token>`, `LogChoice`), taps and typed text into answers, and keeps the
draft in user_data through a `DraftSlot` (persisted, so a restart resumes the flow). Photos and documents
sent at any step attach to the session. Entry points: `/log` (with text after it: the quick log instead),
`log:new` (the main menu, and "photo sent outside a flow → new session", which leaves `pending_files` in
user_data) and `ss:edit:<id>` (a session's card).
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from conversations.common import conversation
from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.drafts import DraftSlot
from handlers.entry_points import LogNew
from handlers.files import let_go, receive_file
from handlers.keyboards import grid, keyboard
from handlers.photos import take_waiting_files
from handlers.sessions import LIST_CALLBACK, EditSession, quick_log, save
from services import shooting_sessions
from services.attachments import RefusedFile
from services.preferences import format_day
from services.session_log import (
    Action,
    Facts,
    Option,
    Outcome,
    SessionDraft,
    StaleChoice,
    Step,
    answer_choice,
    answer_text,
    prompt,
)
from services.validation import InvalidInput

NAME = "log_session"
DRAFT = "log_draft"  # user_data key of the draft

MAX_MESSAGE_LENGTH = MessageLimit.MAX_TEXT_LENGTH
State = str | int | None


@dataclass(frozen=True)
class LogChoice(cb.Payload, template="lg:{step}:{token}"):
    """An option of the question at `step`; `token` is the option's value."""

    step: Step
    token: str


NEW_CALLBACK = LogNew().encode()
SLOT = DraftSlot(DRAFT, SessionDraft)


def choice_at(step: Step) -> Callable[[object], bool]:
    """The pattern of the buttons of `step`'s question (an older question's button is not an answer)."""

    def check(data: object) -> bool:
        payload = LogChoice.parse(data) if isinstance(data, str) else None
        return payload is not None and payload.step is step

    return check


def load_draft(context: BotContext) -> SessionDraft:
    return SLOT.load(context.user_data) or SessionDraft()


def keep(context: BotContext, draft: SessionDraft) -> None:
    SLOT.save(context.user_data, draft)


async def load_facts(context: BotContext) -> Facts:
    return await shooting_sessions.log_facts(
        context.uow,
        context.account.id,
        context.today,
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
    if question.current:
        parts[-1] += "\n" + context.render([question.current])
    options = [
        (option_label(context, option), LogChoice(step, option.value).encode()) for option in question.options
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
        dropped = context.user_data.get(SLOT.key)
        SLOT.drop(context.user_data)
        await let_go(context, dropped)
        await message.reply_text(context.t("log.cancelled"))
        return ConversationHandler.END
    note = context.t(outcome.note) if outcome.note else None
    if not outcome.ask:
        keep(context, draft)
        await message.reply_text(note or "")
        return outcome.step.value
    return await ask(message, context, outcome.step, draft, facts, intro=note)


async def _save(message: Message, context: BotContext, draft: SessionDraft) -> State:
    saved = await save(context, draft)
    if saved is None:
        await message.reply_text(context.t("log.not_saved"))
        return Step.SUMMARY.value
    SLOT.drop(context.user_data)
    key = "log.updated" if draft.session_id else "log.saved_session"
    text = context.t(
        key,
        date=format_day(saved.date, context.language),
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
    for description in take_waiting_files(context.user_data):
        draft.add_file(description)
    intro = context.t("log.started")
    if draft.files:
        intro += "\n" + context.t("log.files_waiting", count=len(draft.files))
    return await ask(message, context, Step.DATE, draft, facts, intro=intro)


async def start_edit(update: Update, context: BotContext) -> State:
    """A session card's Edit: the saved session becomes the draft, and the edit menu is shown."""
    query = update.callback_query
    payload = cb.decode(query.data)
    assert isinstance(payload, EditSession)
    card = await shooting_sessions.open_session(context.uow, context.account.id, payload.session_id)
    if card is None:
        await query.answer(context.t("sessions.not_found"))
        return ConversationHandler.END
    await query.answer()
    return await ask(update.effective_message, context, Step.EDIT, card.draft, await load_facts(context))


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
        draft = SLOT.load(context.user_data)
        if draft is None:
            await query.answer()
            return await lost(update.effective_message, context)
        payload = cb.decode(query.data)
        assert isinstance(payload, LogChoice)
        token = payload.token
        facts = await load_facts(context)
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
        draft = SLOT.load(context.user_data)
        if draft is None:
            return await lost(message, context)
        facts = await load_facts(context)
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
    draft = SLOT.load(context.user_data)
    if draft is None:
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
            CallbackQueryHandler(start, pattern=cb.matches(LogNew)),
            CallbackQueryHandler(start_edit, pattern=cb.matches(EditSession)),
        ],
        states={
            step.value: [
                CallbackQueryHandler(on_choice(step), pattern=choice_at(step)),
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_text(step)),
            ]
            for step in Step
        },
        fallbacks=[
            MessageHandler(filters.PHOTO | filters.Document.ALL, on_file),
            CommandHandler("log", busy),
            CallbackQueryHandler(busy, pattern=cb.matches(LogNew, EditSession)),
        ],
        drafts=(DRAFT,),
    )
