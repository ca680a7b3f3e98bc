"""/mydata: everything the user stored, as one zip document (see `services.user_data` for its format)."""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import CommandHandler

from handlers.context import BotContext
from services import user_data
from services.user_data import ArchiveTooBig, Contents

UPLOAD_TIMEOUT_S = 120  # up to 50 MB on a slow uplink


def readme_text(context: BotContext, contents: Contents, now: dt.datetime) -> str:
    tables = "\n".join(
        context.t("mydata.readme_table", table=table, count=count) for table, count in contents.tables.items()
    )
    return context.t(
        "mydata.readme",
        created=now.strftime("%Y-%m-%d %H:%M"),
        user_id=contents.user_id,
        tables=tables,
        files=contents.files,
    )


async def send_my_data(update: Update, context: BotContext) -> None:
    chat = update.effective_chat
    await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    now = dt.datetime.now(dt.UTC)
    try:
        archive = await user_data.archive_of(
            context.uow,
            context.account.id,
            context.runtime.settings.aimtrack_data_dir,
            lambda contents: readme_text(context, contents, now),
        )
    except ArchiveTooBig as too_big:
        await update.effective_message.reply_text(
            context.t("mydata.too_big", size_mb=too_big.size_mb, limit_mb=too_big.limit_mb)
        )
        return
    caption = context.t("mydata.caption", rows=archive.rows, files=archive.files)
    if archive.missing_files:
        caption += "\n" + context.t("mydata.missing", count=len(archive.missing_files))
    await chat.send_document(
        archive.data,
        filename=f"aimtrack-mydata-{context.today.isoformat()}.zip",
        caption=caption,
        write_timeout=UPLOAD_TIMEOUT_S,
    )


HANDLERS = [CommandHandler("mydata", send_my_data)]
