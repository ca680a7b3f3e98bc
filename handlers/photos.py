"""Photos and files sent outside a flow, and the Photos buttons of weapon and session cards.

A file is checked and stored the moment it arrives. Its description then waits in
`user_data["pending_files"]` (persisted, so a restart loses nothing) until the user says where it belongs;
one question covers every file waiting, so an album gets one question.

callback_data (parsed in `parse_callback`):
`ph:w:<weapon_id>`, `ph:s:<session_id>`: show the attachments of a weapon / a session (and its entries);
`ph:to:<s|w|e>:<id>`: attach the waiting files to that session, weapon or entry;
`ph:pick:<w|e>`: list the weapons / the entries of the latest sessions; `ph:ask`: back to the question;
`ph:new`: keep the files for a new session and hand over to /log (`log:new`); `ph:drop`: attach nothing.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from handlers.context import BotContext
from handlers.files import IncomingFile, receive_file
from handlers.keyboards import Option, keyboard
from handlers.screens import edit_in_place
from services.attachments import RefusedFile, read_bytes
from storage.attachments import add_attachment, list_attachments
from storage.attendance import get_entry
from storage.models import AttachableType, Attachment, SessionWeaponEntry, ShootingSession, Weapon
from storage.shooting_sessions import get_session, latest_sessions
from storage.weapons import get_weapon, list_weapons

logger = logging.getLogger(__name__)

PREFIX = "ph"
PENDING_FILES = "pending_files"  # list of dicts with the keys of `pending_entry`; /log takes them too
PENDING_QUESTION = "pending_question"  # {"message_id": int, "album": media_group_id or None}
LOG_NEW = "log:new"  # the /log conversation's entry point for a new session
ALBUM_SIZE = 10  # Telegram's limit for one media group
RECENT_SESSIONS = 5
MAX_CHOICES = 30
PHOTO_TYPES = {"image/jpeg", "image/png"}
_ID = re.compile(r"[0-9]{1,18}")
_KINDS = {"s": AttachableType.SESSION, "w": AttachableType.WEAPON, "e": AttachableType.ENTRY}


@dataclass(frozen=True)
class PhotoAction:
    verb: str  # show, to, pick, ask, new, drop
    kind: str = ""  # s, w or e
    target_id: int | None = None


def parse_callback(data: str) -> PhotoAction | None:
    match data.split(":"):
        case ["ph", ("s" | "w") as kind, number] if _ID.fullmatch(number):
            return PhotoAction("show", kind, int(number))
        case ["ph", "to", ("s" | "w" | "e") as kind, number] if _ID.fullmatch(number):
            return PhotoAction("to", kind, int(number))
        case ["ph", "pick", ("w" | "e") as kind]:
            return PhotoAction("pick", kind)
        case ["ph", ("ask" | "new" | "drop") as verb]:
            return PhotoAction(verb)
    return None


def pending_entry(incoming: IncomingFile) -> dict[str, Any]:
    """What `user_data` keeps of a stored file until it is attached (JSON, for the persistence)."""
    stored = incoming.stored
    return {
        "path": stored.path,
        "sha256": stored.sha256,
        "size": stored.size,
        "mime": stored.mime,
        "original_name": incoming.original_name,
        "telegram_file_id": incoming.telegram_file_id,
    }


# labels


def short_date(context: BotContext, shooting_session: ShootingSession) -> str:
    return shooting_session.date.strftime(context.t("photos.date_format"))


def session_label(context: BotContext, shooting_session: ShootingSession) -> str:
    parts = [short_date(context, shooting_session), shooting_session.club]
    return ", ".join(part for part in parts if part)


def entry_label(
    context: BotContext, entry: SessionWeaponEntry, shooting_session: ShootingSession, weapon: Weapon
) -> str:
    """`21-11 · CZ Shadow 2 · 25 m`"""
    return f"{short_date(context, shooting_session)} · {weapon.name[:30]} · {entry.distance_m} m"


# the question: where does it belong?


async def question(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    """The question for every waiting file, offering only targets that exist."""
    user_id = context.account.id
    async with context.db.session() as session:
        latest = await latest_sessions(session, user_id, limit=RECENT_SESSIONS)
        has_weapons = bool(await list_weapons(session, user_id, include_retired=True))
    rows: list[list[Option]] = []
    if latest:
        label = context.t("photos.latest_session", session=session_label(context, latest[0]))
        rows.append([(label, f"{PREFIX}:to:s:{latest[0].id}")])
    if has_weapons:
        rows.append([(context.t("photos.pick_weapon"), f"{PREFIX}:pick:w")])
    if any(shooting_session.entries for shooting_session in latest):
        rows.append([(context.t("photos.pick_entry"), f"{PREFIX}:pick:e")])
    rows.append(
        [(context.t("photos.new_session"), f"{PREFIX}:new"), (context.t("photos.discard"), f"{PREFIX}:drop")]
    )
    count = len(context.user_data.get(PENDING_FILES, []))
    text = context.t("photos.ask_one") if count == 1 else context.t("photos.ask_many", count=count)
    return text, keyboard(rows)


async def on_file(update: Update, context: BotContext) -> None:
    """A photo or document outside any flow: store it now, then ask where it belongs."""
    message = update.effective_message
    try:
        incoming = await receive_file(message, context)
    except RefusedFile as refused:
        values = {key: html.escape(str(value)) for key, value in refused.values.items()}
        await message.reply_text(context.t(refused.key, **values))
        return
    pending: list[dict[str, Any]] = context.user_data.setdefault(PENDING_FILES, [])
    if all(item["sha256"] != incoming.stored.sha256 for item in pending):
        pending.append(pending_entry(incoming))
    text, markup = await question(context)
    await _ask(message, context, text, markup)


async def _ask(message: Message, context: BotContext, text: str, markup: InlineKeyboardMarkup) -> None:
    """The next file of an album updates the album's question; anything else gets a new one."""
    album = message.media_group_id
    asked = context.user_data.get(PENDING_QUESTION)
    if album and asked and asked.get("album") == album:
        try:
            await context.bot.edit_message_text(
                text, chat_id=message.chat_id, message_id=asked["message_id"], reply_markup=markup
            )
            return
        except BadRequest:  # the question was deleted meanwhile
            logger.debug("Could not update the album's question; asking anew")
    sent = await message.reply_text(text, reply_markup=markup)
    context.user_data[PENDING_QUESTION] = {"message_id": sent.message_id, "album": album}


# buttons


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    action = parse_callback(query.data)
    if action is None:
        await query.answer(context.t("common.expired_button"))
    elif action.verb == "show":
        await show_attachments(update, context, action.kind, action.target_id)
    elif not context.user_data.get(PENDING_FILES):
        await query.answer(context.t("photos.nothing_pending"))
    elif action.verb == "to":
        await attach_pending(update, context, action.kind, action.target_id)
    elif action.verb == "pick":
        await _pick(update, context, action.kind)
    elif action.verb == "ask":
        await query.answer()
        text, markup = await question(context)
        await edit_in_place(query, text, markup)
    elif action.verb == "new":
        context.user_data.pop(PENDING_QUESTION, None)
        await query.answer()
        markup = keyboard([[(context.t("photos.log_new"), LOG_NEW)]])
        await edit_in_place(query, context.t("photos.handed_over"), markup)
    else:  # drop
        context.user_data.pop(PENDING_FILES, None)
        context.user_data.pop(PENDING_QUESTION, None)
        await query.answer()
        await edit_in_place(query, context.t("photos.discarded"))


async def _pick(update: Update, context: BotContext, kind: str) -> None:
    user_id = context.account.id
    async with context.db.session() as session:
        if kind == "w":
            weapons = await list_weapons(session, user_id, include_retired=True)
            options = [(weapon.name[:40], f"{PREFIX}:to:w:{weapon.id}") for weapon in weapons[:MAX_CHOICES]]
            text = context.t("photos.choose_weapon")
        else:
            latest = await latest_sessions(session, user_id, limit=RECENT_SESSIONS)
            entries = [
                (entry, shooting_session) for shooting_session in latest for entry in shooting_session.entries
            ]
            options = [
                (entry_label(context, entry, shooting_session, entry.weapon), f"{PREFIX}:to:e:{entry.id}")
                for entry, shooting_session in entries[:MAX_CHOICES]
            ]
            text = context.t("photos.choose_entry")
    await update.callback_query.answer()
    rows = [[option] for option in options]
    await edit_in_place(
        update.callback_query, text, keyboard([*rows, [(context.t("common.back"), f"{PREFIX}:ask")]])
    )


async def _target(
    context: BotContext, session: AsyncSession, kind: str, target_id: int
) -> tuple[str, str] | None:
    """(what the confirmation calls it, the callback that shows its photos), or None if not the user's."""
    user_id = context.account.id
    if kind == "w":
        weapon = await get_weapon(session, user_id, target_id)
        return (html.escape(weapon.name), f"{PREFIX}:w:{weapon.id}") if weapon else None
    if kind == "s":
        shooting_session = await get_session(session, user_id, target_id)
        if shooting_session is None:
            return None
        label = html.escape(session_label(context, shooting_session))
        return context.t("photos.session_target", session=label), f"{PREFIX}:s:{shooting_session.id}"
    row = await get_entry(session, user_id, target_id)
    if row is None:
        return None
    label = html.escape(entry_label(context, *row))
    return context.t("photos.entry_target", entry=label), f"{PREFIX}:s:{row[1].id}"


async def attach_pending(update: Update, context: BotContext, kind: str, target_id: int) -> None:
    """Attach every waiting file to the chosen target, once it is known to be the user's."""
    query = update.callback_query
    pending: list[dict[str, Any]] = context.user_data[PENDING_FILES]
    async with context.db.session() as session:
        target = await _target(context, session, kind, target_id)
        if target is not None:
            for item in pending:
                await add_attachment(
                    session,
                    context.account.id,
                    _KINDS[kind],
                    target_id,
                    path=item["path"],
                    sha256=item["sha256"],
                    mime=item["mime"],
                    size=item["size"],
                    original_name=item["original_name"],
                    telegram_file_id=item["telegram_file_id"],
                )
    if target is None:
        await query.answer(context.t("photos.not_found"))
        return
    count = len(pending)
    context.user_data.pop(PENDING_FILES, None)
    context.user_data.pop(PENDING_QUESTION, None)
    await query.answer()
    name, show = target
    text = (
        context.t("photos.attached_one", target=name)
        if count == 1
        else context.t("photos.attached_many", count=count, target=name)
    )
    await edit_in_place(query, text, keyboard([[(context.t("photos.show"), show)]]))


# showing what is attached


async def show_attachments(update: Update, context: BotContext, kind: str, owner_id: int) -> None:
    query = update.callback_query
    user_id = context.account.id
    async with context.db.session() as session:
        if kind == "w":
            owner = await get_weapon(session, user_id, owner_id)
            attachments = await list_attachments(session, user_id, AttachableType.WEAPON, owner_id)
        else:
            owner = await get_session(session, user_id, owner_id)
            attachments = await list_attachments(session, user_id, AttachableType.SESSION, owner_id)
            for entry in owner.entries if owner else []:
                attachments += await list_attachments(session, user_id, AttachableType.ENTRY, entry.id)
    if owner is None:
        await query.answer(context.t("photos.not_found"))
        return
    await query.answer()
    chat_id = update.effective_chat.id
    if not attachments:
        empty = "photos.none_weapon" if kind == "w" else "photos.none_session"
        await context.bot.send_message(chat_id, context.t(empty))
        return
    await send_attachments(context, chat_id, attachments)


def shows_as_photo(attachment: Attachment) -> bool:
    """A photo that was sent as a photo is shown as one (by its file_id); files stay documents, as sent."""
    return attachment.mime in PHOTO_TYPES and not (attachment.original_name and attachment.telegram_file_id)


async def send_attachments(context: BotContext, chat_id: int, attachments: Sequence[Attachment]) -> None:
    """Photos, then documents, in albums of at most ten; by file_id, re-uploading only what has none
    (or whose file_id Telegram no longer knows)."""
    photos = [attachment for attachment in attachments if shows_as_photo(attachment)]
    documents = [attachment for attachment in attachments if not shows_as_photo(attachment)]
    for as_photo, group in ((True, photos), (False, documents)):
        for start in range(0, len(group), ALBUM_SIZE):
            chunk = group[start : start + ALBUM_SIZE]
            try:
                await _send_chunk(context, chat_id, chunk, as_photo=as_photo, by_id=True)
            except BadRequest:
                logger.info("A stored file_id was refused; sending the stored bytes instead")
                await _send_chunk(context, chat_id, chunk, as_photo=as_photo, by_id=False)


async def _media(context: BotContext, attachment: Attachment, *, by_id: bool) -> str | InputFile | None:
    """The file_id, or the stored bytes; None when those are gone or their path leaves the attachments."""
    if by_id and attachment.telegram_file_id:
        return attachment.telegram_file_id
    data_dir = context.runtime.settings.aimtrack_data_dir
    try:
        data = await asyncio.to_thread(read_bytes, data_dir, attachment.path)
    except (OSError, ValueError) as error:
        logger.warning("Attachment %s is not sent: %s", attachment.id, error)
        return None
    name = attachment.original_name or PurePosixPath(attachment.path).name
    return InputFile(data, filename=name, attach=True)  # attach: it may be one of an album's files


async def _send_chunk(
    context: BotContext, chat_id: int, chunk: Sequence[Attachment], *, as_photo: bool, by_id: bool
) -> None:
    media = [item for attachment in chunk if (item := await _media(context, attachment, by_id=by_id))]
    if not media:
        return
    if len(media) == 1:
        send = context.bot.send_photo if as_photo else context.bot.send_document
        await send(chat_id, media[0])
        return
    wrap = InputMediaPhoto if as_photo else InputMediaDocument
    await context.bot.send_media_group(chat_id, [wrap(item) for item in media])


HANDLERS = [
    CallbackQueryHandler(on_button, pattern=f"^{PREFIX}:"),
    MessageHandler(filters.UpdateType.MESSAGE & (filters.PHOTO | filters.Document.ALL), on_file),
]
