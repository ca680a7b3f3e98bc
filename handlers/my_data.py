"""/mydata: everything the user stored, as one zip document (see `services.user_data` for its format)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import CommandHandler

from handlers.context import BotContext
from services.user_data import ArchiveTooBig, build_archive
from storage.user_data import Row, collect_rows

UPLOAD_TIMEOUT_S = 120  # up to 50 MB on a slow uplink


def readme_text(context: BotContext, rows: Mapping[str, Sequence[Row]], now: dt.datetime) -> str:
    tables = "\n".join(
        context.t("mydata.readme_table", table=table, count=len(table_rows))
        for table, table_rows in rows.items()
    )
    files = len({row["path"] for row in rows.get("attachments", [])})
    return context.t(
        "mydata.readme",
        created=now.strftime("%Y-%m-%d %H:%M"),
        user_id=context.account.id,
        tables=tables,
        files=files,
    )


async def send_my_data(update: Update, context: BotContext) -> None:
    chat = update.effective_chat
    await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    async with context.db.session() as session:
        rows = await collect_rows(session, context.account.id)
    readme = readme_text(context, rows, dt.datetime.now(dt.UTC))
    data_dir = context.runtime.settings.aimtrack_data_dir
    try:
        archive = await asyncio.to_thread(build_archive, data_dir, rows, readme)
    except ArchiveTooBig as too_big:
        await update.effective_message.reply_text(
            context.t("mydata.too_big", size_mb=too_big.size_mb, limit_mb=too_big.limit_mb)
        )
        return
    caption = context.t("mydata.caption", rows=sum(map(len, rows.values())), files=archive.files)
    if archive.missing_files:
        caption += "\n" + context.t("mydata.missing", count=len(archive.missing_files))
    await chat.send_document(
        archive.data,
        filename=f"aimtrack-mydata-{context.today.isoformat()}.zip",
        caption=caption,
        write_timeout=UPLOAD_TIMEOUT_S,
    )


HANDLERS = [CommandHandler("mydata", send_my_data)]
