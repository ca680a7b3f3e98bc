"""Acting as Telegram users against the emulator: what tests, the terminal chat and the Matrix bridge use.

The driver API is what code outside the emulator relies on (``emulator.state`` is the emulator's own):
``emulator.user(id)`` and its ``send_*``/``tap``/``has_message``; ``on_bot_message`` and
``on_callback_answer`` to hear what the bot sends; ``last_update_id``, ``wait_for_call`` and ``settle``
to know what the bot was given and has done.

Each user keeps two cursors, one into the bot's new messages and one into its edits, in that chat.
Sending or tapping never moves them; ``next_message``/``next_edit`` return the first item after the cursor
(waiting for it if needed) and advance it, so nothing the bot says is skipped or seen twice.
Waiting methods take a ``timeout`` in seconds and raise TimeoutError saying what did arrive.

Faults: ``emulator.inject("sendMessage", too_many_requests(1) | server_error() | slow(30), times=1, after=0)``
answers the bot's next calls of a method with a 429 (and its retry_after), a 5xx, or late.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from bot.emulator.server import BotApiServer
from bot.emulator.state import (
    ApiError,
    ChatState,
    EmulatorState,
    Fault,
    JSONDict,
    StoredMessage,
    utf16_length,
)

# A leading /command or /command@botname, as Telegram marks it with a bot_command entity.
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")

Button = tuple[str, str | None]  # (text, callback_data or url)


@dataclass(frozen=True)
class DocumentView:
    name: str | None
    mime: str | None
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class MessageView:
    """A bot message as the user sees it (a snapshot; it does not follow later edits)."""

    message_id: int
    text: str | None
    caption: str | None
    buttons: list[list[Button]]
    document: DocumentView | None
    photo: bytes | None = field(repr=False)
    raw: JSONDict = field(repr=False)  # the Bot API Message JSON
    raw_text: str | None = field(repr=False)  # text or caption as the bot sent it, before its parse mode


def message_view(state: EmulatorState, message: StoredMessage) -> MessageView:
    data = message.data
    rows = data.get("reply_markup", {}).get("inline_keyboard", [])
    document = data.get("document")
    photo = data.get("photo")
    return MessageView(
        message_id=data["message_id"],
        text=data.get("text"),
        caption=data.get("caption"),
        buttons=[
            [(button["text"], button.get("callback_data", button.get("url"))) for button in row]
            for row in rows
        ],
        document=(
            DocumentView(
                document.get("file_name"), document.get("mime_type"), state.files[document["file_id"]].data
            )
            if document
            else None
        ),
        photo=state.files[photo[-1]["file_id"]].data if photo else None,
        raw=data,
        raw_text=message.raw_text,
    )


class EmulatedUser:
    """A Telegram user in a private chat with the bot (chat id == user id)."""

    def __init__(self, state: EmulatorState, chat: ChatState) -> None:
        self._state = state
        self._chat = chat
        self._message_cursor = 0
        self._edit_cursor = 0

    @property
    def id(self) -> int:
        return self._chat.id

    @property
    def first_name(self) -> str:
        return self._chat.user["first_name"]

    # acting

    async def send_text(self, text: str) -> JSONDict:
        """Sends a text message; returns the user's Message JSON."""
        content: JSONDict = {"text": text}
        command = _COMMAND_RE.match(text)
        if command:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_length(command.group())}
            ]
        return self._state.user_message(self._chat, content)

    async def send_photo(self, data: bytes, caption: str | None = None) -> JSONDict:
        photo = self._state.store_file(data, "photo", mime_type="image/jpeg")
        return self._state.user_message(self._chat, {"photo": photo.photo_json(), **_caption(caption)})

    async def send_document(
        self, data: bytes, file_name: str, mime_type: str | None = None, caption: str | None = None
    ) -> JSONDict:
        document = self._state.store_file(data, "document", file_name, mime_type)
        return self._state.user_message(
            self._chat, {"document": document.document_json(), **_caption(caption)}
        )

    async def send_location(self, latitude: float, longitude: float) -> JSONDict:
        location = {"latitude": latitude, "longitude": longitude}
        return self._state.user_message(self._chat, {"location": location})

    async def edit_text(self, message_id: int, text: str) -> JSONDict:
        """Edits one of the user's own text messages (an ``edited_message`` update)."""
        return self._state.user_edit(self._chat, message_id, {"text": text})

    async def tap(
        self, message: MessageView | int, text: str | None = None, *, data: str | None = None
    ) -> str:
        """Taps the inline button labelled ``text`` on a bot message; returns the callback query id.

        With ``data`` the query carries that callback_data whatever the buttons say (a forged or stale tap);
        ``text`` is then only a label.
        """
        message_id = message if isinstance(message, int) else message.message_id
        stored = self._chat.messages.get(message_id)
        if stored is None or not stored.from_bot:
            raise LookupError(f"there is no bot message {message_id} in the chat with {self.first_name}")
        if data is None:
            data = self._button_data(stored, text)
        return self._state.callback_query(self._chat, stored, data)

    def has_message(self, message_id: int) -> bool:
        """Whether the bot's message ``message_id`` is still in this chat (sent here and not deleted)."""
        stored = self._chat.messages.get(message_id)
        return stored is not None and stored.from_bot

    async def ask(self, text: str, timeout: float = 5.0) -> MessageView:  # noqa: ASYNC109
        """Sends ``text`` and returns the bot's next new message."""
        await self.send_text(text)
        return await self.next_message(timeout)

    def _button_data(self, message: StoredMessage, text: str | None) -> str:
        rows = message.data.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = [button for row in rows for button in row]
        for button in buttons:
            if button["text"] == text:
                if "callback_data" not in button:
                    raise ValueError(f"button {text!r} is not a callback button: {button}")
                return button["callback_data"]
        labels = [button["text"] for button in buttons]
        raise LookupError(f"no button {text!r} on message {message.message_id}; its buttons: {labels}")

    # observing

    @property
    def messages(self) -> list[MessageView]:
        """The bot's messages in this chat as they are now (after edits, without deleted ones)."""
        return [
            message_view(self._state, message) for message in self._chat.messages.values() if message.from_bot
        ]

    @property
    def last(self) -> MessageView:
        messages = self.messages
        if not messages:
            raise LookupError(f"the bot has sent nothing to {self.first_name}")
        return messages[-1]

    @property
    def callback_answers(self) -> list[JSONDict]:
        """The answerCallbackQuery parameters for this user's taps, in order."""
        return list(self._chat.callback_answers)

    @property
    def chat_actions(self) -> list[str]:
        return list(self._chat.chat_actions)

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The texts of the reply keyboard the bot shows under the input field, if any."""
        keyboard = self._chat.reply_keyboard
        if keyboard is None:
            return None
        return [
            [button if isinstance(button, str) else button["text"] for button in row]
            for row in keyboard["keyboard"]
        ]

    async def next_message(self, timeout: float = 5.0) -> MessageView:  # noqa: ASYNC109
        """The bot's next new message in this chat (as it was sent), waiting up to ``timeout`` seconds."""
        sent = self._chat.sent
        try:
            await self._state.wait_for(lambda: len(sent) > self._message_cursor, timeout)
        except TimeoutError:
            raise self._timeout("new message", timeout) from None
        self._message_cursor += 1
        return message_view(self._state, sent[self._message_cursor - 1])

    async def next_edit(self, timeout: float = 5.0) -> MessageView:  # noqa: ASYNC109
        """The next edit of a bot message in this chat (the message right after it), waiting if needed."""
        edits = self._chat.edits
        try:
            await self._state.wait_for(lambda: len(edits) > self._edit_cursor, timeout)
        except TimeoutError:
            raise self._timeout("edit", timeout) from None
        self._edit_cursor += 1
        return message_view(self._state, edits[self._edit_cursor - 1])

    def _timeout(self, what: str, timeout: float) -> TimeoutError:
        received = [_summary(message) for message in self._chat.sent[-5:]]
        edits = [_summary(message) for message in self._chat.edits[-5:]]
        errors = [f"{method}: {error.description}" for method, _, error in self._state.errors[-3:]]
        return TimeoutError(
            f"{self.first_name} ({self.id}) got no {what} from the bot within {timeout}s. "
            f"Last messages: {received} (read {self._message_cursor}); last edits: {edits} "
            f"(read {self._edit_cursor}); unconfirmed updates: {len(self._state.updates)}; "
            f"last API errors: {errors or 'none'}"
        )


def _caption(caption: str | None) -> JSONDict:
    return {"caption": caption} if caption else {}


def _summary(message: StoredMessage) -> str:
    data = message.data
    text = data.get("text") or data.get("caption") or ("<document>" if "document" in data else "<photo>")
    return f"#{data['message_id']} {text[:60]!r}"


class BotApiEmulator:
    """A loopback Telegram Bot API that the real PTB Application polls, and the users that talk to it."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "aimtrack_bot",
        *,
        bot_first_name: str = "AimTrack",
        files_dir: Path | None = None,
        port: int = 0,
        first_id: int = 1,
    ) -> None:
        """`first_id`: where message ids start; a bridge that restarts starts past its earlier ones, so an
        id the bot kept (a question to edit later) never names a newer message."""
        self.state = EmulatorState(token, bot_username, bot_first_name, files_dir, first_id)
        self._server = BotApiServer(self.state)
        self._requested_port = port
        self._port: int | None = None
        self._users: dict[int, EmulatedUser] = {}

    async def start(self) -> None:
        self._port = await self._server.start(self._requested_port)

    async def stop(self) -> None:
        await self._server.stop()
        self._port = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not running; await start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def calls(self) -> list[tuple[str, JSONDict]]:
        """Every API call so far as (method, decoded parameters), getUpdates included."""
        return self.state.calls

    @property
    def errors(self) -> list[tuple[str, JSONDict, ApiError]]:
        """Every error answer so far as (method, decoded parameters, error with .code and .description)."""
        return self.state.errors

    @property
    def commands(self) -> dict[str, list[JSONDict]]:
        """The commands set for the default scope, by language_code ("" for all languages)."""
        return {
            language: commands
            for (scope, language), commands in self.state.commands.items()
            if scope == "default"
        }

    def inject(self, method: str, fault: Fault, *, times: int = 1, after: int = 0) -> None:
        """Fail the bot's calls of ``method`` (e.g. "sendMessage"): the ``times`` calls after the next
        ``after`` ones get ``fault`` (``too_many_requests(n)``, ``server_error()`` or ``slow(seconds)``).
        A faulted call shows in ``calls``; its error, if any, in ``errors``."""
        self.state.inject(method, fault, times=times, after=after)

    def clear_faults(self) -> None:
        """Forget the faults not used yet."""
        self.state.clear_faults()

    def user(
        self,
        user_id: int,
        first_name: str = "User",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> EmulatedUser:
        """The user with this id and their private chat; the same object for the same id."""
        if user_id not in self._users:
            user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
            optional = {"last_name": last_name, "username": username, "language_code": language_code}
            user.update({key: value for key, value in optional.items() if value is not None})
            self._users[user_id] = EmulatedUser(self.state, self.state.add_private_chat(user))
        return self._users[user_id]

    def on_bot_message(self, callback: Callable[[int, MessageView, bool], None]) -> None:
        """Calls ``callback(chat_id, message, edited)`` for every message the bot sends or edits."""
        self.state.listeners.append(
            lambda chat_id, message, edited: callback(chat_id, message_view(self.state, message), edited)
        )

    def on_callback_answer(self, callback: Callable[[int, JSONDict], None]) -> None:
        """Calls ``callback(chat_id, parameters)`` for every answerCallbackQuery the bot makes (its ``text``
        is the short answer Telegram shows on top of the chat)."""
        self.state.answer_listeners.append(callback)

    @property
    def last_update_id(self) -> int:
        """The id of the newest update the users have made so far (0: none yet); an act that made an update
        moves it, one the bot will never see (excluded by its allowed_updates) does not."""
        return self.state.last_update_id

    async def wait_for_call(
        self,
        methods: Collection[str],
        *,
        after: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> str:
        """Waits until the bot has called one of ``methods`` (e.g. "sendMessage") beyond its first ``after``
        calls (``len(emulator.calls)`` taken before acting); returns that method. TimeoutError after
        ``timeout`` seconds."""

        def called() -> str | None:
            return next((method for method, _ in self.state.calls[after:] if method in methods), None)

        await self.state.wait_for(lambda: called() is not None, timeout)
        method = called()
        assert method is not None
        return method

    async def settle(
        self,
        idle: float = 0.15,
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        handled: bool = True,
    ) -> None:
        """Waits until the bot has finished reacting.

        That is: it has confirmed every update (its getUpdates offset is past them) and, when it reports
        them (``state.handling``), handled them; no call is being served, and no API call other than
        getUpdates has come in for ``idle`` seconds. ``handled=False`` does not wait for updates a handler
        holds on purpose (a test of slow chats).
        """
        state = self.state
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await state.wait_for(
                        lambda: (
                            not state.updates and not (handled and state.handling) and state.in_flight == 0
                        ),
                        None,
                    )
                    quiet = time.monotonic() - state.last_activity
                    if quiet >= idle:
                        return
                    await asyncio.sleep(idle - quiet)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not settle within {timeout}s: {len(state.updates)} unconfirmed update(s), "
                f"{state.in_flight} call(s) in flight"
            ) from None
