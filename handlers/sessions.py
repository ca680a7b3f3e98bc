"""/sessions (the list, a session's card, deleting) and the quick log (`log 25m glock 50 shots 471`).

callback_data:
- `ss:list` (a new message with the first page), `ss:page:<n>` (edit to page n), `ss:card:<id>`,
  `ss:del:<id>` (ask), `ss:delok:<id>` (delete); `ss:edit:<id>` opens the /log conversation
  (conversations.log_session); the card's Photos button is `ph:s:<id>` (the photos feature) and its PDF
  button `ss:pdf:<id>` (handlers.session_pdf, registered before these handlers).
- `ql:s:<token>` / `ql:c:<token>`: save / cancel a quick log; the understood session waits in user_data
  under the token, so the button works after a restart and only once.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import ai_jobs
from handlers.context import BotContext
from handlers.keyboards import keyboard
from handlers.screens import edit_in_place
from services.preferences import format_day, local_now
from services.session_log import (
    QUICK_LOG_TEXT,
    SessionDraft,
    WeaponChoice,
    draft_from_quick,
    draft_from_session,
    entry_values,
    overview_line,
    parse_quick_log,
    session_values,
    summary_lines,
)
from services.validation import InvalidInput
from storage.attachments import add_attachment, list_attachments
from storage.models import AttachableType, ShootingSession
from storage.shooting_sessions import (
    count_sessions,
    create_session,
    delete_session,
    get_session,
    last_club,
    latest_sessions,
    update_session,
)
from storage.weapons import list_weapons

PREFIX = "ss"
LIST_CALLBACK = f"{PREFIX}:list"
QUICK_PREFIX = "ql"
QUICK_LOGS = "quick_logs"  # user_data: token -> the understood session, waiting for Save
MAX_WAITING_QUICK_LOGS = 5
PER_PAGE = 5
_ID = re.compile(r"[0-9]{1,18}")  # fits a database integer; `isdigit` would pass "²" and 30 digits


# --- showing plain data --------------------------------------------------------------------------------


# --- saving a draft (the /log conversation and the quick log) -------------------------------------------


async def save_draft(context: BotContext, draft: SessionDraft) -> ShootingSession | None:
    """Write the session, its entries and its new files in one transaction. None (nothing written) when
    the session or one of its weapons is no longer the user's."""
    user_id = context.account.id
    values, entries = session_values(draft), entry_values(draft)
    async with context.db.session() as session:
        if draft.session_id is None:
            row = await create_session(session, user_id, values, entries)
        else:
            row = await update_session(session, user_id, draft.session_id, values, entries)
        if row is not None:
            for description in draft.files:
                await add_attachment(session, user_id, AttachableType.SESSION, row.id, **description)
    if row is not None and draft.session_id is None:  # a new session gets its AI reflection
        await ai_jobs.enqueue_reflection(context.application, user_id, row.id)
    return row


# --- the quick log ------------------------------------------------------------------------------------


async def quick_log(update: Update, context: BotContext) -> None:
    """Understand a one-line log and ask for one tap to save it."""
    message = update.effective_message
    user_id = context.account.id
    async with context.db.session() as session:
        weapons = [WeaponChoice(w.id, w.name, w.caliber) for w in await list_weapons(session, user_id)]
        club = await last_club(session, user_id)
    try:
        quick = parse_quick_log(message.text, weapons)
    except InvalidInput as error:
        await message.reply_text(context.explain(error))
        return
    draft = draft_from_quick(quick, local_now(context.account.time_zone).date(), club)
    waiting: dict[str, Any] = context.user_data.setdefault(QUICK_LOGS, {})
    token = secrets.token_hex(4)
    waiting[token] = draft.to_dict()
    for old in list(waiting)[:-MAX_WAITING_QUICK_LOGS]:
        del waiting[old]
    text = "\n".join([context.t("log.quick_title"), context.render(summary_lines(draft))])
    buttons = [
        (context.t("log.save"), f"{QUICK_PREFIX}:s:{token}"),
        (context.t("log.cancel"), f"{QUICK_PREFIX}:c:{token}"),
    ]
    await message.reply_text(text, reply_markup=keyboard([buttons]))


async def on_quick_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    _, action, token, *_ = [*query.data.split(":", 2), "", ""]
    waiting: dict[str, Any] = context.user_data.get(QUICK_LOGS, {})
    data = waiting.pop(token, None) if action in ("s", "c") else None
    if not waiting:
        context.user_data.pop(QUICK_LOGS, None)
    if data is None:
        await query.answer(context.t("common.expired_button"))
        return
    await query.answer()
    draft = SessionDraft.from_dict(data)
    summary = context.render(summary_lines(draft))
    if action == "c":
        await edit_in_place(query, f"{summary}\n\n{context.t('log.cancelled')}")
        return
    row = await save_draft(context, draft)
    note = context.t("log.saved") if row else context.t("log.not_saved_quick")
    await edit_in_place(
        query, f"{summary}\n\n{note}", keyboard([[(context.t("sessions.menu"), LIST_CALLBACK)]])
    )


# --- /sessions ----------------------------------------------------------------------------------------


async def page_view(context: BotContext, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    user_id = context.account.id
    async with context.db.session() as session:
        total = await count_sessions(session, user_id)
        pages = max(1, -(-total // PER_PAGE))
        page = min(max(page, 1), pages)
        rows = await latest_sessions(session, user_id, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    if not rows:
        return context.t("sessions.empty"), None
    title = context.t("sessions.title", page=page, pages=pages, total=total)
    text = "\n".join([title, "", context.render([overview_line(row) for row in rows])])
    buttons = [[(_button_label(context, row), f"{PREFIX}:card:{row.id}")] for row in rows]
    navigation = []
    if page > 1:
        navigation.append((context.t("sessions.previous"), f"{PREFIX}:page:{page - 1}"))
    if page < pages:
        navigation.append((context.t("sessions.next"), f"{PREFIX}:page:{page + 1}"))
    return text, keyboard([*buttons, navigation] if navigation else buttons)


def _button_label(context: BotContext, row: ShootingSession) -> str:
    club = row.club or context.t("sessions.no_club")
    return context.t("sessions.button", date=format_day(row.date, context.language), club=club[:40])


async def show_sessions(update: Update, context: BotContext) -> None:
    text, markup = await page_view(context, 1)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def load_session(context: BotContext, session_id: int) -> tuple[ShootingSession, int] | None:
    """One of the user's sessions (entries and weapons loaded) and its number of attachments."""
    user_id = context.account.id
    async with context.db.session() as session:
        row = await get_session(session, user_id, session_id)
        if row is None:
            return None
        files = await list_attachments(session, user_id, AttachableType.SESSION, session_id)
    return row, len(files)


def card_view(context: BotContext, row: ShootingSession, files: int) -> tuple[str, InlineKeyboardMarkup]:
    title = context.t("sessions.card_title", date=format_day(row.date, context.language))
    lines = summary_lines(draft_from_session(row, files))
    markup = keyboard(
        [
            [
                (context.t("sessions.edit"), f"{PREFIX}:edit:{row.id}"),
                (context.t("sessions.delete"), f"{PREFIX}:del:{row.id}"),
            ],
            [
                (context.t("sessions.photos", count=files), f"ph:s:{row.id}"),
                (context.t("export.session.button"), f"{PREFIX}:pdf:{row.id}"),
            ],
            [(context.t("coach.reflection_button"), f"ai:ref:{row.id}")],
            [(context.t("sessions.back"), f"{PREFIX}:page:1")],
        ]
    )
    return "\n".join([title, context.render(lines)]), markup


async def on_button(update: Update, context: BotContext) -> None:
    """Every `ss:` button but edit (the /log conversation's): answered at once, then the message edited."""
    query = update.callback_query
    _, action, argument, *_ = [*query.data.split(":", 2), "", ""]
    if action == "list":
        await query.answer()
        await show_sessions(update, context)
        return
    if not _ID.fullmatch(argument) or action not in ("page", "card", "del", "delok"):
        await query.answer(context.t("common.expired_button"))
        return
    number = int(argument)
    if action == "page":
        await query.answer()
        await edit_in_place(query, *await page_view(context, number))
        return
    found = await load_session(context, number)
    if found is None:
        await query.answer(context.t("sessions.not_found"))
        return
    row, files = found
    await query.answer()
    if action == "card":
        await edit_in_place(query, *card_view(context, row, files))
    elif action == "del":
        await _confirm_delete(query, context, row, files)
    else:
        await _delete(query, context, row)


async def _confirm_delete(
    query: CallbackQuery, context: BotContext, row: ShootingSession, files: int
) -> None:
    text = context.t(
        "sessions.confirm_delete",
        date=format_day(row.date, context.language),
        entries=len(row.entries),
        files=files,
    )
    markup = keyboard(
        [
            [
                (context.t("sessions.delete_yes"), f"{PREFIX}:delok:{row.id}"),
                (context.t("sessions.delete_no"), f"{PREFIX}:card:{row.id}"),
            ]
        ]
    )
    await edit_in_place(query, text, markup)


async def _delete(query: CallbackQuery, context: BotContext, row: ShootingSession) -> None:
    async with context.db.session() as session:
        deleted = await delete_session(session, context.account.id, row.id)
    key = "sessions.deleted" if deleted else "sessions.not_found"
    back = keyboard([[(context.t("sessions.back"), f"{PREFIX}:page:1")]])
    await edit_in_place(query, context.t(key, date=format_day(row.date, context.language)), back)


HANDLERS = [
    CommandHandler("sessions", show_sessions),
    CallbackQueryHandler(on_button, pattern=f"^{PREFIX}:"),
    CallbackQueryHandler(on_quick_button, pattern=f"^{QUICK_PREFIX}:"),
    MessageHandler(filters.TEXT & ~filters.COMMAND & filters.Regex(QUICK_LOG_TEXT), quick_log),
]
