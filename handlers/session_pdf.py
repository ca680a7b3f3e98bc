"""The session card's "📄 PDF" button: the session on one page, with its photos.

callback_data: `ss:pdf:<session id>` (registered before `handlers.sessions`, whose `ss:` pattern would
otherwise answer it as an outdated button). Another user's session is answered like a missing one.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler

from handlers.context import BotContext
from services.attachments import read_bytes
from services.exports.session_export import session_pdf
from services.preferences import format_day
from services.session_log import draft_from_session, summary_lines
from storage.attachments import list_attachments
from storage.models import AttachableType, Attachment
from storage.shooting_sessions import get_session

PATTERN = r"^ss:pdf:"
_ID = re.compile(r"[0-9]{1,18}")


async def _read_images(data_dir: Path, attachments: list[Attachment]) -> list[bytes]:
    """The bytes of the image attachments; a file gone from disk is left out."""
    images = []
    for attachment in attachments:
        if not attachment.mime.startswith("image/"):
            continue
        try:
            images.append(await asyncio.to_thread(read_bytes, data_dir, attachment.path))
        except (OSError, ValueError):
            continue
    return images


async def send_session_pdf(update: Update, context: BotContext) -> None:
    query = update.callback_query
    argument = query.data.removeprefix("ss:pdf:")
    user_id = context.account.id
    row = None
    if _ID.fullmatch(argument):
        async with context.db.session() as session:
            row = await get_session(session, user_id, int(argument))
            if row is not None:
                files = await list_attachments(session, user_id, AttachableType.SESSION, row.id)
                for entry in row.entries:
                    files += await list_attachments(session, user_id, AttachableType.ENTRY, entry.id)
    if row is None:
        await query.answer(context.t("export.session.not_found"))
        return
    await query.answer()
    chat = update.effective_chat
    await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    day = format_day(row.date, context.language)
    title = context.t("export.pdf.session_title", date=day)
    lines = context.render(summary_lines(draft_from_session(row, len(files))), markup=False).splitlines()
    images = await _read_images(context.runtime.settings.aimtrack_data_dir, files)
    data = await asyncio.to_thread(session_pdf, title, lines, images, context.t("export.pdf.page"))
    await chat.send_document(
        data,
        filename=f"aimtrack-sessie-{row.date.isoformat()}-{row.id}.pdf",
        caption=context.t("export.session.caption", date=day),
    )


HANDLERS = [CallbackQueryHandler(send_session_pdf, pattern=PATTERN)]
