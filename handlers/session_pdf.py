"""The session card's "📄 PDF" button: the session on one page, with its photos.

Button: `ss:pdf:<session id>` (`SessionPdf`). Another user's session is answered like a missing one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler

from handlers import callback_data as cb
from handlers.context import BotContext
from services import photos
from services.exports.session_export import session_pdf
from services.preferences import format_day
from services.session_log import summary_lines


@dataclass(frozen=True)
class SessionPdf(cb.Payload, template="ss:pdf:{session_id}"):
    session_id: int


async def send_session_pdf(update: Update, context: BotContext) -> None:
    query = update.callback_query
    payload = cb.decode(query.data)
    assert isinstance(payload, SessionPdf)
    data_dir = context.runtime.settings.aimtrack_data_dir
    sheet = await photos.session_sheet(context.uow, context.account.id, payload.session_id, data_dir)
    if sheet is None:
        await query.answer(context.t("export.session.not_found"))
        return
    await query.answer()
    chat = update.effective_chat
    await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    day = format_day(sheet.date, context.language)
    title = context.t("export.pdf.session_title", date=day)
    lines = context.render(summary_lines(sheet.draft), markup=False).splitlines()
    data = await asyncio.to_thread(session_pdf, title, lines, sheet.images, context.t("export.pdf.page"))
    await chat.send_document(
        data,
        filename=f"aimtrack-sessie-{sheet.date.isoformat()}-{sheet.id}.pdf",
        caption=context.t("export.session.caption", date=day),
    )


HANDLERS = [CallbackQueryHandler(send_session_pdf, pattern=cb.matches(SessionPdf))]
