"""/sessions (the list, a session's card, deleting) and the quick log (`log 25m glock 50 shots 471`).

Buttons (`handlers.callback_data` payloads): `ss:list` (a new message with the first page), `ss:page:<n>`
(edit to page n), `ss:card:<id>`, `ss:del:<id>` (ask), `ss:delok:<id>` (delete); `ss:edit:<id>` opens the
/log conversation (conversations.log_session); the card's Photos button is the photos feature's and its
PDF button handlers.session_pdf's. `ql:s:<token>` / `ql:c:<token>` save / cancel a quick log; the
understood session waits in user_data under the token, so the button works after a restart and only once.
Saving a quick log attaches the files waiting in `pending_files` (sent outside a flow, as /log takes them),
and its confirmation says how many; cancelling leaves them waiting.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import callback_data as cb
from handlers import reflections
from handlers.context import BotContext
from handlers.keyboards import keyboard
from handlers.photos import SessionPhotos, forget_waiting, waiting_files
from handlers.screens import edit_in_place
from handlers.session_pdf import SessionPdf
from services import shooting_sessions
from services.preferences import format_day
from services.session_log import QUICK_LOG_TEXT, SessionDraft, summary_lines
from services.shooting_sessions import SavedSession, SessionCard, SessionLine
from services.validation import InvalidInput

QUICK_LOGS = (
    "quick_logs"  # user_data: token -> the understood session (SessionDraft.to_dict), waiting for Save
)
MAX_WAITING_QUICK_LOGS = 5


@dataclass(frozen=True)
class SessionsList(cb.Payload, template="ss:list"):
    """The first page, as a new message (the main menu's button)."""


@dataclass(frozen=True)
class SessionsPageButton(cb.Payload, template="ss:page:{page}"):
    page: int


@dataclass(frozen=True)
class OpenCard(cb.Payload, template="ss:card:{session_id}"):
    session_id: int


@dataclass(frozen=True)
class AskDelete(cb.Payload, template="ss:del:{session_id}"):
    session_id: int


@dataclass(frozen=True)
class ConfirmDelete(cb.Payload, template="ss:delok:{session_id}"):
    session_id: int


@dataclass(frozen=True)
class EditSession(cb.Payload, template="ss:edit:{session_id}"):
    """Answered by the /log conversation (conversations.log_session)."""

    session_id: int


@dataclass(frozen=True)
class QuickSave(cb.Payload, template="ql:s:{token}"):
    token: str


@dataclass(frozen=True)
class QuickCancel(cb.Payload, template="ql:c:{token}"):
    token: str


LIST_CALLBACK = SessionsList().encode()


# --- saving a draft (the /log conversation and the quick log) -------------------------------------------


async def save(context: BotContext, draft: SessionDraft) -> SavedSession | None:
    """Save the draft (None: nothing written, the session or a weapon is no longer the user's); a new
    session gets its AI reflection."""
    user_id = context.account.id
    data_dir = context.runtime.settings.aimtrack_data_dir
    saved = await shooting_sessions.save_draft(context.uow, user_id, draft, data_dir=data_dir)
    if saved is not None and saved.created:
        await reflections.enqueue_reflection(context.application, user_id, saved.id)
    return saved


# --- the quick log ------------------------------------------------------------------------------------


async def quick_log(update: Update, context: BotContext) -> None:
    """Understand a one-line log and ask for one tap to save it."""
    message = update.effective_message
    try:
        draft = await shooting_sessions.understand_quick_log(
            context.uow, context.account.id, message.text, context.today
        )
    except InvalidInput as error:
        await message.reply_text(context.explain(error))
        return
    waiting: dict[str, Any] = context.user_data.setdefault(QUICK_LOGS, {})
    token = secrets.token_hex(4)
    waiting[token] = draft.to_dict()
    for old in list(waiting)[:-MAX_WAITING_QUICK_LOGS]:
        del waiting[old]
    lines = [context.t("log.quick_title"), context.render(summary_lines(draft))]
    if count := len(waiting_files(context.user_data)):
        lines.append(context.t("log.files_waiting", count=count))
    text = "\n".join(lines)
    buttons = [
        (context.t("log.save"), QuickSave(token).encode()),
        (context.t("log.cancel"), QuickCancel(token).encode()),
    ]
    await message.reply_text(text, reply_markup=keyboard([buttons]))


async def on_quick_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    payload = cb.decode(query.data)
    assert isinstance(payload, QuickSave | QuickCancel)
    waiting: dict[str, Any] = context.user_data.get(QUICK_LOGS, {})
    data = waiting.pop(payload.token, None)
    if not waiting:
        context.user_data.pop(QUICK_LOGS, None)
    if data is None:
        await query.answer(context.t("common.expired_button"))
        return
    await query.answer()
    draft = SessionDraft.from_dict(data)
    if isinstance(payload, QuickCancel):
        summary = context.render(summary_lines(draft))
        await edit_in_place(query, f"{summary}\n\n{context.t('log.cancelled')}")
        return
    for description in waiting_files(context.user_data):
        draft.add_file(description)
    saved = await save(context, draft)
    if saved is None:
        draft.files.clear()  # nothing was attached: they wait still
        note = context.t("log.not_saved_quick")
    elif draft.files:
        forget_waiting(context.user_data)  # attached now: they no longer wait
        note = context.t("sessions.quick_saved_files", count=len(draft.files))
    else:
        note = context.t("log.saved")
    summary = context.render(summary_lines(draft))
    await edit_in_place(
        query, f"{summary}\n\n{note}", keyboard([[(context.t("sessions.menu"), LIST_CALLBACK)]])
    )


# --- /sessions ----------------------------------------------------------------------------------------


async def page_view(context: BotContext, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    found = await shooting_sessions.sessions_page(context.uow, context.account.id, page)
    if not found.sessions:
        return context.t("sessions.empty"), None
    title = context.t("sessions.title", page=found.page, pages=found.pages, total=found.total)
    text = "\n".join([title, "", context.render([row.line for row in found.sessions])])
    buttons = [[(_button_label(context, row), OpenCard(row.id).encode())] for row in found.sessions]
    navigation = []
    if found.page > 1:
        navigation.append((context.t("sessions.previous"), SessionsPageButton(found.page - 1).encode()))
    if found.page < found.pages:
        navigation.append((context.t("sessions.next"), SessionsPageButton(found.page + 1).encode()))
    return text, keyboard([*buttons, navigation] if navigation else buttons)


def _button_label(context: BotContext, row: SessionLine) -> str:
    club = row.club or context.t("sessions.no_club")
    return context.t("sessions.button", date=format_day(row.date, context.language), club=club[:40])


async def show_sessions(update: Update, context: BotContext) -> None:
    text, markup = await page_view(context, 1)
    await update.effective_message.reply_text(text, reply_markup=markup)


def card_view(context: BotContext, card: SessionCard) -> tuple[str, InlineKeyboardMarkup]:
    title = context.t("sessions.card_title", date=format_day(card.date, context.language))
    markup = keyboard(
        [
            [
                (context.t("sessions.edit"), EditSession(card.id).encode()),
                (context.t("sessions.delete"), AskDelete(card.id).encode()),
            ],
            [
                (context.t("sessions.photos", count=card.files), SessionPhotos(card.id).encode()),
                (context.t("export.session.button"), SessionPdf(card.id).encode()),
            ],
            [(context.t("coach.reflection_button"), reflections.ReflectionButton(card.id).encode())],
            [(context.t("sessions.back"), SessionsPageButton(1).encode())],
        ]
    )
    return "\n".join([title, context.render(summary_lines(card.draft))]), markup


async def on_button(update: Update, context: BotContext) -> None:
    """The list's and the card's buttons (edit is the /log conversation's): answered, then edited."""
    query = update.callback_query
    payload = cb.decode(query.data)
    if isinstance(payload, SessionsList):
        await query.answer()
        await show_sessions(update, context)
    elif isinstance(payload, SessionsPageButton):
        await query.answer()
        await edit_in_place(query, *await page_view(context, payload.page))
    elif isinstance(payload, ConfirmDelete):
        await _delete(query, context, payload.session_id)
    elif isinstance(payload, OpenCard | AskDelete):
        card = await shooting_sessions.open_session(context.uow, context.account.id, payload.session_id)
        if card is None:
            await query.answer(context.t("sessions.not_found"))
            return
        await query.answer()
        if isinstance(payload, OpenCard):
            await edit_in_place(query, *card_view(context, card))
        else:
            await _confirm_delete(query, context, card)


async def _confirm_delete(query: CallbackQuery, context: BotContext, card: SessionCard) -> None:
    text = context.t(
        "sessions.confirm_delete",
        date=format_day(card.date, context.language),
        entries=card.entries,
        files=card.files,
    )
    markup = keyboard(
        [
            [
                (context.t("sessions.delete_yes"), ConfirmDelete(card.id).encode()),
                (context.t("sessions.delete_no"), OpenCard(card.id).encode()),
            ]
        ]
    )
    await edit_in_place(query, text, markup)


async def _delete(query: CallbackQuery, context: BotContext, session_id: int) -> None:
    data_dir = context.runtime.settings.aimtrack_data_dir
    day = await shooting_sessions.delete_session(
        context.uow, context.account.id, session_id, data_dir=data_dir
    )
    if day is None:
        await query.answer(context.t("sessions.not_found"))
        return
    await query.answer()
    back = keyboard([[(context.t("sessions.back"), SessionsPageButton(1).encode())]])
    await edit_in_place(query, context.t("sessions.deleted", date=format_day(day, context.language)), back)


HANDLERS = [
    CommandHandler("sessions", show_sessions),
    CallbackQueryHandler(
        on_button, pattern=cb.matches(SessionsList, SessionsPageButton, OpenCard, AskDelete, ConfirmDelete)
    ),
    CallbackQueryHandler(on_quick_button, pattern=cb.matches(QuickSave, QuickCancel)),
    MessageHandler(filters.TEXT & ~filters.COMMAND & filters.Regex(QUICK_LOG_TEXT), quick_log),
]
