"""Photos and files sent outside a flow, and the Photos buttons of weapon and session cards.

A file is checked and stored the moment it arrives. Its description then waits in
`user_data["pending_files"]` (persisted, so a restart loses nothing) until the user says where it belongs;
one question covers every file waiting, so an album gets one question.

Buttons (`handlers.callback_data` payloads): `ph:w:<weapon_id>`, `ph:s:<session_id>`: show the attachments
of a weapon / a session (and its entries); `ph:to:<s|w|e>:<id>`: attach the waiting files to that session,
weapon or entry; `ph:pick:<w|e>`: list the weapons / the entries of the latest sessions; `ph:ask`: back to
the question; `ph:new`: keep the files for a new session and hand over to /log (`log:new`); `ph:drop`:
attach nothing.
"""

from __future__ import annotations

import asyncio
import enum
import html
import logging
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

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

from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.entry_points import LogNew
from handlers.files import IncomingFile, let_go, receive_file
from handlers.keyboards import Option, keyboard
from handlers.screens import edit_in_place
from services import photos
from services.attachments import RefusedFile, read_bytes
from services.photos import EntryRef, Place, SessionRef, StoredAttachment, Target, WeaponRef
from services.session_log import FILE_KEYS

logger = logging.getLogger(__name__)

PENDING_FILES = "pending_files"  # list of dicts with the keys of `pending_entry`; /log takes them too
PENDING_QUESTION = "pending_question"  # {"message_id": int, "album": media_group_id or None}


def waiting_files(user_data: MutableMapping[str, Any]) -> list[dict[str, Any]]:
    """The files sent outside a flow that wait for a place (well-formed descriptions only): what the /log
    flow and the quick log attach to the session they save."""
    pending = user_data.get(PENDING_FILES)
    return [
        item
        for item in (pending if isinstance(pending, list) else [])
        if isinstance(item, dict) and set(FILE_KEYS) <= item.keys()
    ]


def take_waiting_files(user_data: MutableMapping[str, Any]) -> list[dict[str, Any]]:
    """The waiting files, no longer waiting (a new /log draft holds them now)."""
    files = waiting_files(user_data)
    user_data.pop(PENDING_FILES, None)
    return files


def forget_waiting(user_data: MutableMapping[str, Any]) -> None:
    """The waiting files found their place: forget them and the question that asked where."""
    user_data.pop(PENDING_FILES, None)
    user_data.pop(PENDING_QUESTION, None)
ALBUM_SIZE = 10  # Telegram's limit for one media group
MAX_CHOICES = 30
PHOTO_TYPES = {"image/jpeg", "image/png"}


class Picked(enum.StrEnum):
    WEAPON = "w"
    ENTRY = "e"


@dataclass(frozen=True)
class WeaponPhotos(cb.Payload, template="ph:w:{weapon_id}"):
    weapon_id: int


@dataclass(frozen=True)
class SessionPhotos(cb.Payload, template="ph:s:{session_id}"):
    session_id: int


@dataclass(frozen=True)
class AttachTo(cb.Payload, template="ph:to:{target}:{target_id}"):
    target: Target
    target_id: int


@dataclass(frozen=True)
class Pick(cb.Payload, template="ph:pick:{kind}"):
    kind: Picked


@dataclass(frozen=True)
class AskAgain(cb.Payload, template="ph:ask"):
    pass


@dataclass(frozen=True)
class ForNewSession(cb.Payload, template="ph:new"):
    pass


@dataclass(frozen=True)
class Discard(cb.Payload, template="ph:drop"):
    pass


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


def short_date(context: BotContext, session: SessionRef) -> str:
    return session.date.strftime(context.t("photos.date_format"))


def session_label(context: BotContext, session: SessionRef) -> str:
    parts = [short_date(context, session), session.club]
    return ", ".join(part for part in parts if part)


def entry_label(context: BotContext, entry: EntryRef) -> str:
    """`21-11 · CZ Shadow 2 · 25 m`"""
    return f"{short_date(context, entry.session)} · {entry.weapon[:30]} · {entry.distance_m} m"


# the question: where does it belong?


async def question(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    """The question for every waiting file, offering only places that exist."""
    found = await photos.places(context.uow, context.account.id)
    rows: list[list[Option]] = []
    if found.latest:
        label = context.t("photos.latest_session", session=session_label(context, found.latest))
        rows.append([(label, AttachTo(Target.SESSION, found.latest.id).encode())])
    if found.has_weapons:
        rows.append([(context.t("photos.pick_weapon"), Pick(Picked.WEAPON).encode())])
    if found.has_entries:
        rows.append([(context.t("photos.pick_entry"), Pick(Picked.ENTRY).encode())])
    rows.append(
        [
            (context.t("photos.new_session"), ForNewSession().encode()),
            (context.t("photos.discard"), Discard().encode()),
        ]
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
    payload = cb.decode(query.data)
    if isinstance(payload, WeaponPhotos | SessionPhotos):
        await show_attachments(update, context, payload)
    elif not context.user_data.get(PENDING_FILES):
        await query.answer(context.t("photos.nothing_pending"))
    elif isinstance(payload, AttachTo):
        await attach_pending(update, context, payload.target, payload.target_id)
    elif isinstance(payload, Pick):
        await _pick(update, context, payload.kind)
    elif isinstance(payload, AskAgain):
        await query.answer()
        text, markup = await question(context)
        await edit_in_place(query, text, markup)
    elif isinstance(payload, ForNewSession):
        context.user_data.pop(PENDING_QUESTION, None)
        await query.answer()
        markup = keyboard([[(context.t("photos.log_new"), LogNew().encode())]])
        await edit_in_place(query, context.t("photos.handed_over"), markup)
    else:  # Discard
        dropped = context.user_data.pop(PENDING_FILES, None)
        context.user_data.pop(PENDING_QUESTION, None)
        await let_go(context, dropped)
        await query.answer()
        await edit_in_place(query, context.t("photos.discarded"))


async def _pick(update: Update, context: BotContext, kind: Picked) -> None:
    user_id = context.account.id
    if kind is Picked.WEAPON:
        weapons = await photos.weapon_places(context.uow, user_id, MAX_CHOICES)
        options = [(weapon.name[:40], AttachTo(Target.WEAPON, weapon.id).encode()) for weapon in weapons]
        text = context.t("photos.choose_weapon")
    else:
        entries = await photos.entry_places(context.uow, user_id, MAX_CHOICES)
        options = [
            (entry_label(context, entry), AttachTo(Target.ENTRY, entry.id).encode()) for entry in entries
        ]
        text = context.t("photos.choose_entry")
    await update.callback_query.answer()
    rows = [[option] for option in options]
    await edit_in_place(
        update.callback_query, text, keyboard([*rows, [(context.t("common.back"), AskAgain().encode())]])
    )


def _described(context: BotContext, place: Place) -> tuple[str, str]:
    """(what the confirmation calls the place, the callback that shows its photos)."""
    if isinstance(place, WeaponRef):
        return html.escape(place.name), WeaponPhotos(place.id).encode()
    if isinstance(place, SessionRef):
        label = html.escape(session_label(context, place))
        return context.t("photos.session_target", session=label), SessionPhotos(place.id).encode()
    label = html.escape(entry_label(context, place))
    return context.t("photos.entry_target", entry=label), SessionPhotos(place.session.id).encode()


async def attach_pending(update: Update, context: BotContext, target: Target, target_id: int) -> None:
    """Attach every waiting file to the chosen place, once it is known to be the user's."""
    query = update.callback_query
    pending: list[dict[str, Any]] = context.user_data[PENDING_FILES]
    place = await photos.attach_files(context.uow, context.account.id, target, target_id, pending)
    if place is None:
        await query.answer(context.t("photos.not_found"))
        return
    count = len(pending)
    context.user_data.pop(PENDING_FILES, None)
    context.user_data.pop(PENDING_QUESTION, None)
    await query.answer()
    name, show = _described(context, place)
    text = (
        context.t("photos.attached_one", target=name)
        if count == 1
        else context.t("photos.attached_many", count=count, target=name)
    )
    await edit_in_place(query, text, keyboard([[(context.t("photos.show"), show)]]))


# showing what is attached


async def show_attachments(
    update: Update, context: BotContext, payload: WeaponPhotos | SessionPhotos
) -> None:
    query = update.callback_query
    user_id = context.account.id
    if isinstance(payload, WeaponPhotos):
        files = await photos.weapon_files(context.uow, user_id, payload.weapon_id)
    else:
        files = await photos.session_files(context.uow, user_id, payload.session_id)
    if files is None:
        await query.answer(context.t("photos.not_found"))
        return
    await query.answer()
    chat_id = update.effective_chat.id
    if not files:
        empty = "photos.none_weapon" if isinstance(payload, WeaponPhotos) else "photos.none_session"
        await context.bot.send_message(chat_id, context.t(empty))
        return
    await send_attachments(context, chat_id, files)


def shows_as_photo(attachment: StoredAttachment) -> bool:
    """A photo that was sent as a photo is shown as one (by its file_id); files stay documents, as sent."""
    return attachment.mime in PHOTO_TYPES and not (attachment.original_name and attachment.telegram_file_id)


async def send_attachments(
    context: BotContext, chat_id: int, attachments: Sequence[StoredAttachment]
) -> None:
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


async def _media(context: BotContext, attachment: StoredAttachment, *, by_id: bool) -> str | InputFile | None:
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
    context: BotContext, chat_id: int, chunk: Sequence[StoredAttachment], *, as_photo: bool, by_id: bool
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
    CallbackQueryHandler(
        on_button,
        pattern=cb.matches(WeaponPhotos, SessionPhotos, AttachTo, Pick, AskAgain, ForNewSession, Discard),
    ),
    MessageHandler(filters.UpdateType.MESSAGE & (filters.PHOTO | filters.Document.ALL), on_file),
]
