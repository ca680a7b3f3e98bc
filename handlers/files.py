"""Taking a photo or document out of a Telegram message: check it, download it, store it by hash."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import Message

from handlers.context import BotContext
from services import photos
from services.attachments import RefusedFile, StoredFile, check_acceptable, store_bytes

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingFile:
    stored: StoredFile
    original_name: str | None
    telegram_file_id: str


def has_file(message: Message) -> bool:
    return bool(message.photo or message.document)


async def receive_file(message: Message, context: BotContext) -> IncomingFile:
    """Download the message's photo (largest size) or document and store it. Raises `RefusedFile`."""
    if message.photo:
        source = message.photo[-1]
        mime, name = "image/jpeg", None
    elif message.document:
        source = message.document
        mime, name = message.document.mime_type, message.document.file_name
    else:
        raise RefusedFile("files.wrong_type", mime="?")
    mime = check_acceptable(mime, source.file_size)
    telegram_file = await source.get_file()
    data = bytes(await telegram_file.download_as_bytearray())
    stored = await asyncio.to_thread(store_bytes, context.runtime.settings.aimtrack_data_dir, data, mime)
    return IncomingFile(
        stored=stored, original_name=name[:255] if name else None, telegram_file_id=source.file_id
    )


async def let_go(context: BotContext, dropped: object) -> None:
    """The user let go of `dropped` (waiting files or a flow's draft, already taken out of their data):
    its files that nothing else references go from the disk. A file that cannot be removed now is left
    to the daily sweep; the user's step goes on."""
    held = [context.user_data, context.chat_data]
    data_dir = context.runtime.settings.aimtrack_data_dir
    try:
        await photos.discard_files(context.uow, data_dir, context.account.id, dropped, held)
    except OSError:
        logger.warning("Could not remove the files user %s let go of", context.account.id, exc_info=True)
