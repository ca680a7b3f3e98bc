"""The bot on Matrix: each allowed user's room talks to the same Application that serves Telegram.

The handlers and flows speak the Bot API. Rather than keep a second copy of every flow, the Matrix side runs
the same Application against the in-process Bot API (`bot/emulator`, through its driver API, as the
terminal chat does), one emulated private chat per Matrix user. The bridge knows no feature: what it needs
to know of a button is in the Bot API message, by the conventions of handlers/keyboards.py.


- a Matrix message becomes that user's message (`!log` and `/log` are both the command), a photo or file
  their photo or document, a location their location; a file is downloaded in chunks against
  AIMTRACK_MAX_UPLOAD_MB, refused by its declared size before it is read and otherwise as soon as what was
  read passes the cap;
- a number (`3`, `3d`, `3r`), an option's text, or a reaction with a keycap emoji becomes the tap on the
  button it names (`bot/matrix/choices.py`) in the newest menu; a number with a letter that it does not
  name taps the chat's newest checklist (the packing list) instead;
- what the bot sends comes back as a Matrix message with its keyboard as numbered lines, an edit as an
  `m.replace` of it, a document as `m.file`, a photo as `m.image`, a tap's short answer as an `m.notice`.

The bot answers in direct rooms only: a room with anyone in it besides the sender and the bot (joined or
invited) gets one notice that the bot works in private chats, and nothing in it is handled.

The sync token is saved once every update of its batch has been handled and written, so a restart
neither loses a message (the batch is fetched again) nor, outside that instant, repeats one. Encrypted
rooms get a notice: the bot reads unencrypted rooms only (or sits behind an E2EE proxy).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import io
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlparse

import aiohttp

from bot.emulator import MessageView
from bot.matrix.choices import KEYCAPS, Menu, menu
from bot.matrix.logbooks import Logbooks
from core import i18n
from services import matrix_accounts
from services.matrix_accounts import LinkOutcome
from services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from nio import AsyncClient, SyncResponse

    from bot.app import AimTrackApplication
    from bot.emulator import BotApiEmulator, EmulatedUser

logger = logging.getLogger(__name__)

SYNC_TIMEOUT_MS = 30_000
RETRY_S = (1, 2, 5, 10, 30)  # waits after failed syncs, the last one repeated
_LETTERED_KEY = re.compile(r"\s*\d{1,3}\s*[a-z]\s*", re.IGNORECASE)  # `3d`: a checklist row's button
_LINK = re.compile(r"[!/]link(?:\s+(.*))?", re.IGNORECASE | re.DOTALL)
_GEO = re.compile(r"geo:(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)")
# Where a homeserver serves media: the authenticated endpoint (Matrix 1.11), then the legacy one.
MEDIA_DOWNLOAD_PATHS = ("/_matrix/client/v1/media/download", "/_matrix/media/v3/download")
CHUNK_BYTES = 64 * 1024  # a download is read this much at a time, and given up past the cap
DOWNLOAD_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class TooBig:
    """A download given up because the file passes the cap; its size in bytes when it was declared."""

    size: int | None


@dataclass
class Shown:
    """A bot message as shown in a room: its event, and the menu its numbers and reactions answer."""

    room_id: str
    event_id: str
    chat_id: int
    message_id: int
    menu: Menu


class MatrixBridge:
    """Carries each allowed Matrix user's room to and from their emulated chat (see the module's docstring).

    `logbooks` says who is allowed and which logbook each keeps; the bridge tells it when `!link` moves an
    account, and the application, built with `admits=logbooks.admits`, lets exactly those in.
    """

    def __init__(
        self,
        client: AsyncClient,
        uow: UnitOfWork,
        emulator: BotApiEmulator,
        application: AimTrackApplication,
        logbooks: Logbooks,
        max_upload_bytes: int,
    ) -> None:
        self.client = client
        self.uow = uow
        self.emulator = emulator
        self.logbooks = logbooks
        self.max_upload_bytes = max_upload_bytes
        self._by_event: dict[str, Shown] = {}
        self._by_message: dict[tuple[int, int], Shown] = {}
        self._menus: dict[int, Shown] = {}  # chat -> its newest message with a menu
        self._checklists: dict[int, Shown] = {}  # chat -> its newest checklist (handlers/keyboards.py)
        self._rooms: dict[int, str] = {}  # chat -> the room the bot answers in
        self._members: dict[str, frozenset[str]] = {}  # room -> its members, until a membership changes
        self._told_shared: set[str] = set()  # rooms told that the bot answers in direct rooms only
        self._outbox: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self._pending: set[int] = set()  # updates handed to the bot and not yet handled
        self._checkpoints: deque[tuple[int, str]] = deque()  # (a batch's newest update id, its token)
        self._saving: asyncio.Task[None] | None = None
        emulator.on_bot_message(self._on_bot_message)
        emulator.on_callback_answer(self._on_answer)
        application.after_update.append(self._on_handled)

    # --- the sync loop -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Sync until cancelled; each batch's events in order, its token saved once they are handled."""
        from nio import SyncResponse

        sender = asyncio.create_task(self._send_loop(), name="matrix-sender")
        try:
            token = await matrix_accounts.sync_token(self.uow, self.client.user_id)
            failures = 0
            while True:
                response = await self.client.sync(
                    timeout=SYNC_TIMEOUT_MS, since=token, full_state=token is None
                )
                if not isinstance(response, SyncResponse):
                    wait = RETRY_S[min(failures, len(RETRY_S) - 1)]
                    failures += 1
                    logger.warning("Matrix sync failed (%s); trying again in %s s", response, wait)
                    await asyncio.sleep(wait)
                    continue
                failures = 0
                await self.handle_sync(response, history=token is None)
                token = response.next_batch
                self._checkpoint(token)
        finally:
            sender.cancel()

    async def handle_sync(self, response: SyncResponse, *, history: bool = False) -> None:
        """Join the rooms allowed users invite the bot to; hand new events to the bot. With `history` (the
        very first sync) the timelines are what happened before the bot ran, and are not answered."""
        for room_id, invite in response.rooms.invite.items():
            await self._on_invite(room_id, [event.source for event in invite.invite_state])
        if history:
            return
        for room_id, room in response.rooms.join.items():
            if room.timeline.limited:  # events were skipped: a membership may have changed among them
                self._members.pop(room_id, None)
            for event in room.timeline.events:
                if event.source.get("type") == "m.room.member":
                    self._members.pop(room_id, None)
                try:
                    await self._on_event(room_id, event.source)
                except Exception:
                    logger.exception("A Matrix event could not be handled")

    # --- invites and events ------------------------------------------------------------------------

    async def _on_invite(self, room_id: str, state: list[dict[str, Any]]) -> None:
        inviter = next(
            (
                event.get("sender")
                for event in state
                if event.get("type") == "m.room.member" and event.get("state_key") == self.client.user_id
            ),
            None,
        )
        if self.logbooks.allows(inviter):
            await self.client.join(room_id)
            encryption = await self.client.room_get_state_event(room_id, "m.room.encryption")
            if getattr(encryption, "content", None):
                await self._notice(room_id, await self._text(None, "matrix.encrypted"))
        else:
            logger.info("Ignored an invite from someone not allowed")

    async def _on_event(self, room_id: str, event: dict[str, Any]) -> None:
        sender = event.get("sender")
        if sender == self.client.user_id or not self.logbooks.allows(sender):
            return
        kind, content = event.get("type"), event.get("content") or {}
        if kind == "m.room.encrypted":
            await self._notice(room_id, await self._text(None, "matrix.encrypted"))
            return
        if kind not in ("m.room.message", "m.reaction"):
            return
        if not await self._direct(room_id, sender):
            if room_id not in self._told_shared:
                self._told_shared.add(room_id)
                await self._notice(room_id, await self._text(None, "access.private_only"))
            return
        user = await self._user(sender, room_id)
        if kind == "m.reaction":
            relation = content.get("m.relates_to") or {}
            shown = self._by_event.get(relation.get("event_id", ""))
            if shown is not None and shown.chat_id == user.id:
                await self._tap(user, shown, relation.get("key", ""))
            return
        relation = content.get("m.relates_to") or {}
        if relation.get("rel_type") == "m.replace":
            return  # an edit of an earlier message: what it said was already answered
        await self._on_message(room_id, sender, user, content)

    async def _direct(self, room_id: str, sender: str) -> bool:
        """Whether the room's members (joined or invited) are the sender and the bot, no one else; a room
        whose members cannot be read is not."""
        from nio import RoomGetStateResponse

        members = self._members.get(room_id)
        if members is None:
            response = await self.client.room_get_state(room_id)
            if not isinstance(response, RoomGetStateResponse):
                logger.warning("The members of a Matrix room could not be read (%s)", response)
                return False
            members = frozenset(
                event["state_key"]
                for event in response.events
                if event.get("type") == "m.room.member"
                and (event.get("content") or {}).get("membership") in ("join", "invite")
            )
            self._members[room_id] = members
        return members <= {sender, self.client.user_id}

    async def _on_message(
        self, room_id: str, sender: str, user: EmulatedUser, content: dict[str, Any]
    ) -> None:
        msgtype, body = content.get("msgtype"), str(content.get("body") or "")
        if msgtype in ("m.text", "m.notice", "m.emote"):
            await self._on_text(room_id, sender, user, body.strip())
        elif msgtype in ("m.image", "m.file"):
            data = await self._download(room_id, user, content)
            if data is None:
                return
            if msgtype == "m.image":
                await self._hand(user.send_photo(data))
            else:
                mimetype = (content.get("info") or {}).get("mimetype")
                await self._hand(user.send_document(data, file_name=body or "file", mime_type=mimetype))
        elif msgtype == "m.location" and (match := _GEO.match(str(content.get("geo_uri", "")))):
            await self._hand(user.send_location(float(match[1]), float(match[2])))
        else:
            await self._notice(room_id, await self._text(user.id, "matrix.unsupported"))

    async def _on_text(self, room_id: str, sender: str, user: EmulatedUser, text: str) -> None:
        if not text:
            return
        if link := _LINK.fullmatch(text):
            await self._link(room_id, sender, user, link[1] or "")
            return
        if text.startswith("!") and len(text) > 1:
            await self._hand(user.send_text("/" + text[1:]))
            return
        if not text.startswith(("/", "'")):
            shown = self._menus.get(user.id)
            if shown is not None and shown.menu.pick(text) is not None:
                await self._tap(user, shown, text)
                return
            checklist = self._checklists.get(user.id)
            if checklist is not None and _LETTERED_KEY.fullmatch(text) and checklist.menu.pick(text):
                await self._tap(user, checklist, text)
                return
        await self._hand(user.send_text(text.removeprefix("'")))

    async def _link(self, room_id: str, sender: str, user: EmulatedUser, typed: str) -> None:
        """`!link CODE`: from now on this Matrix account keeps the logbook of the Telegram user who got it."""
        if not typed.strip():
            await self._notice(room_id, await self._text(user.id, "matrix.link_how"))
            return
        outcome = await matrix_accounts.link(self.uow, sender, user.id, typed, dt.datetime.now(dt.UTC))
        answer = f"matrix.link_{outcome}"
        if outcome is LinkOutcome.DONE:
            self._forget(user.id)
            linked = await self._user(sender, room_id)
            await self._notice(room_id, await self._text(linked.id, answer))
        else:
            await self._notice(room_id, await self._text(user.id, answer))

    def _forget(self, chat_id: int) -> None:
        """What the bridge remembers of a chat that is no longer this person's."""
        self._rooms.pop(chat_id, None)
        self._menus.pop(chat_id, None)
        self._checklists.pop(chat_id, None)

    async def _tap(self, user: EmulatedUser, shown: Shown, answer: str) -> None:
        choice = shown.menu.pick(answer)
        if choice is not None and user.has_message(shown.message_id):
            await self._hand(user.tap(shown.message_id, data=choice.data))

    async def _hand(self, act: Awaitable[object]) -> None:
        """Give the bot an update, and remember that its batch is not done until the bot has handled it."""
        before = self.emulator.last_update_id
        await act
        if (update_id := self.emulator.last_update_id) > before:
            self._pending.add(update_id)

    async def _user(self, matrix_id: str, room_id: str) -> EmulatedUser:
        user_id = await matrix_accounts.enter(self.uow, matrix_id, room_id)
        self._rooms[user_id] = room_id
        self.logbooks.keep(matrix_id, user_id)
        name = matrix_id[1:].split(":", 1)[0]
        return self.emulator.user(user_id, first_name=name or "Matrix", language_code=None)

    async def _download(self, room_id: str, user: EmulatedUser, content: dict[str, Any]) -> bytes | None:
        """The event's file, or None once the user has been told why not. A file over the cap is refused by
        its declared size (the event's `info.size`, the response's Content-Length) before a byte is read,
        and otherwise as soon as what was read passes the cap: at most the cap and one chunk are held."""
        limit = self.max_upload_bytes
        size = (content.get("info") or {}).get("size")
        if isinstance(size, int) and size > limit:
            await self._too_big(room_id, user, size)
            return None
        try:
            fetched = await self._fetch(str(content.get("url", "")), limit)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            logger.warning("A Matrix file could not be downloaded (%s)", type(error).__name__)
            fetched = None
        if fetched is None:
            await self._notice(room_id, await self._text(user.id, "matrix.download_failed"))
            return None
        if isinstance(fetched, TooBig):
            await self._too_big(room_id, user, fetched.size)
            return None
        return fetched

    async def _fetch(self, mxc: str, limit: int) -> bytes | TooBig | None:
        """The media's bytes read in chunks, TooBig once they (or the declared length) pass `limit`, or
        None when the homeserver does not serve it. The authenticated endpoint first, the legacy one if
        the homeserver does not know it; the connection is closed when the download is given up."""
        url = urlparse(mxc)
        server, media_id = url.netloc, url.path.strip("/")
        if url.scheme != "mxc" or not server or not media_id or "/" in media_id:
            return None
        where = f"{quote(server, safe='')}/{quote(media_id, safe='')}"
        headers = {"Authorization": f"Bearer {self.client.access_token}"}
        for base in MEDIA_DOWNLOAD_PATHS:
            response = await self.client.send(
                "GET", f"{base}/{where}?allow_remote=true", headers=headers, timeout=DOWNLOAD_TIMEOUT_S
            )
            try:
                if response.status in (404, 405) and base != MEDIA_DOWNLOAD_PATHS[-1]:
                    continue  # a homeserver without authenticated media (before Matrix 1.11)
                if response.status != 200:
                    logger.warning("The homeserver refused a media download (HTTP %s)", response.status)
                    return None
                declared = response.content_length
                if declared is not None and declared > limit:
                    return TooBig(declared)
                chunks: list[bytes] = []
                read = 0
                async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                    read += len(chunk)
                    if read > limit:
                        return TooBig(None)
                    chunks.append(chunk)
                return b"".join(chunks)
            finally:
                if response.content.at_eof():
                    response.release()  # read to its end: the connection serves the next request
                else:
                    response.close()  # given up: the rest of the body is never read
        return None

    async def _too_big(self, room_id: str, user: EmulatedUser, size: int | None) -> None:
        """Tell the user the file passes the cap: its size when it was declared, else that it is bigger."""
        limit_mb = f"{self.max_upload_bytes / 2**20:g}"
        if size is None:
            text = await self._text(user.id, "matrix.too_big_read", limit_mb=limit_mb)
        else:
            text = await self._text(
                user.id, "matrix.too_big", size_mb=f"{size / 2**20:.1f}", limit_mb=limit_mb
            )
        await self._notice(room_id, text)

    # --- what the bot sends ------------------------------------------------------------------------

    def _on_bot_message(self, chat_id: int, view: MessageView, edited: bool) -> None:
        self._outbox.put_nowait(lambda: self._show(chat_id, view, edited))

    def _on_answer(self, chat_id: int, answer: dict[str, Any]) -> None:
        if text := answer.get("text"):
            room_id = self._rooms.get(chat_id)
            if room_id is not None:
                self._outbox.put_nowait(lambda: self._notice(room_id, str(text)))

    async def _send_loop(self) -> None:
        """Send in the order the bot spoke, one at a time, so an edit never overtakes its message."""
        while True:
            send = await self._outbox.get()
            try:
                await send()
            except Exception:
                logger.exception("A message could not be sent to Matrix")

    async def _show(self, chat_id: int, view: MessageView, edited: bool) -> None:
        room_id = self._rooms.get(chat_id) or await self._room_of(chat_id)
        if room_id is None:
            return
        shown_menu = menu(view.buttons)
        earlier = self._by_message.get((chat_id, view.message_id))
        if edited and earlier is not None:
            content = _text_content(view, shown_menu)
            await self.client.room_send(
                room_id,
                "m.room.message",
                {
                    **content,
                    "body": f"* {content['body']}",
                    "m.new_content": content,
                    "m.relates_to": {"rel_type": "m.replace", "event_id": earlier.event_id},
                },
            )
            earlier.menu = shown_menu
            return
        if view.document is not None:
            document = view.document
            await self._upload(room_id, "m.file", document.data, document.name or "file", document.mime)
        elif view.photo is not None:
            await self._upload(room_id, "m.image", view.photo, f"photo-{view.message_id}.jpg", "image/jpeg")
        if not shown_menu:
            self._menus.pop(chat_id, None)  # numbers now answer the newest question, not an older menu
        if not (view.text or view.caption or shown_menu):
            return
        response = await self.client.room_send(room_id, "m.room.message", _text_content(view, shown_menu))
        event_id = getattr(response, "event_id", None)
        if event_id is None:
            logger.warning("Matrix refused a message: %s", response)
            return
        shown = Shown(room_id, event_id, chat_id, view.message_id, shown_menu)
        self._by_event[event_id] = self._by_message[chat_id, view.message_id] = shown
        if shown_menu:
            self._menus[chat_id] = shown
            if shown_menu.is_checklist:
                self._checklists[chat_id] = shown
            for keycap in KEYCAPS[: shown_menu.numbers]:
                await self.client.room_send(
                    room_id,
                    "m.reaction",
                    {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": keycap}},
                )

    async def _upload(self, room_id: str, msgtype: str, data: bytes, name: str, mime: str | None) -> None:
        mime = mime or "application/octet-stream"
        uploaded, _ = await self.client.upload(
            io.BytesIO(data), content_type=mime, filename=name, filesize=len(data)
        )
        url = getattr(uploaded, "content_uri", None)
        if url is None:
            logger.warning("Matrix refused an upload: %s", uploaded)
            return
        content = {
            "msgtype": msgtype,
            "body": name,
            "url": url,
            "info": {"size": len(data), "mimetype": mime},
        }
        await self.client.room_send(room_id, "m.room.message", content)

    async def _notice(self, room_id: str, text: str) -> None:
        await self.client.room_send(room_id, "m.room.message", {"msgtype": "m.notice", "body": text})

    async def _room_of(self, chat_id: int) -> str | None:
        room_id = await matrix_accounts.room_of(self.uow, chat_id)
        if room_id is not None:
            self._rooms[chat_id] = room_id
        return room_id

    async def _text(self, user_id: int | None, key: str, **values: object) -> str:
        language = None if user_id is None else await matrix_accounts.chosen_language(self.uow, user_id)
        return i18n.translate(i18n.resolve_language(language, None), key, **values)

    # --- the sync checkpoint -----------------------------------------------------------------------

    def _checkpoint(self, token: str) -> None:
        self._checkpoints.append((self.emulator.last_update_id, token))
        self._save_done()

    def _on_handled(self, update: object) -> None:
        self._pending.discard(getattr(update, "update_id", -1))
        self._save_done()

    def _save_done(self) -> None:
        """Save the newest token whose batch's updates have all been handled."""
        oldest_pending = min(self._pending, default=None)
        token = None
        while self._checkpoints and (oldest_pending is None or self._checkpoints[0][0] < oldest_pending):
            token = self._checkpoints.popleft()[1]
        if token is not None:
            previous = self._saving
            self._saving = asyncio.get_running_loop().create_task(self._save(token, previous))

    async def _save(self, token: str, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)  # tokens are saved in order
        await matrix_accounts.save_sync_token(self.uow, self.client.user_id, token)


def _text_content(view: MessageView, shown: Menu) -> dict[str, Any]:
    """The message's text (its HTML kept for clients that show it) and its menu as numbered lines."""
    text = view.text or view.caption or ""
    raw = view.raw_text if view.raw_text and view.raw_text != text else html.escape(text)
    lines = list(shown.lines)
    body = "\n".join([text, "", *lines]) if lines and text else "\n".join([text, *lines])
    formatted = raw.replace("\n", "<br>")
    if lines:
        formatted += "<br><br>" + "<br>".join(html.escape(line) for line in lines)
    return {
        "msgtype": "m.text",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
    }
