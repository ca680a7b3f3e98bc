"""The Telegram side of the emulator, in memory: chats, messages, files, keyboards and the update queue.

No HTTP here. The server turns requests into calls on :class:`EmulatorState`; the driver acts as users on it.
Everything runs in one asyncio event loop, so there is no locking: a change wakes every waiter.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import mimetypes
import re
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

JSONDict = dict[str, Any]
MessageListener = Callable[[int, "StoredMessage", bool], None]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": code, "description": description}``, with
    ``"parameters": {"retry_after": n}`` when the caller must wait."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass(frozen=True)
class Fault:
    """How the emulator answers a call it was told to fail: after ``delay`` seconds, with the error ``code``
    (None: then normally). Made by :func:`too_many_requests`, :func:`server_error` and :func:`slow`."""

    code: int | None = None
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0

    def error(self) -> ApiError | None:
        if self.code is None:
            return None
        return ApiError(self.code, self.description, retry_after=self.retry_after)


def too_many_requests(retry_after: int = 1) -> Fault:
    """Telegram's flood control: a 429 that asks the bot to wait ``retry_after`` seconds."""
    return Fault(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def server_error(code: int = 500) -> Fault:
    return Fault(code, "Internal Server Error")


def slow(seconds: float) -> Fault:
    """Answered normally, ``seconds`` late; a client that gives up first gets nothing, and nothing is done."""
    return Fault(delay=seconds)


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def utf16_length(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


# --- HTML parse mode ---------------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "span": "spoiler",
    "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
}  # fmt: skip
# Telegram's order for entities that start at the same offset and have the same length.
_ENTITY_PRIORITY = {
    "blockquote": 0, "expandable_blockquote": 0, "pre": 11, "code": 20, "text_link": 49, "bold": 90,
    "italic": 91, "underline": 92, "strikethrough": 93, "spoiler": 94,
}  # fmt: skip
_HTML_SPACE = " \t\r\n\v\f"
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));?")
_UNQUOTED_VALUE_RE = re.compile(r"[A-Za-z0-9.\-]*")


def _decode_entity(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return _NAMED_ENTITIES.get(name)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return None
    return chr(code)


def _decode_attribute(value: str) -> str:
    return _ENTITY_RE.sub(lambda match: _decode_entity(match) or match.group(0), value)


def normalize_url(url: str) -> str | None:
    """The URL as Telegram stores it ("telegram.org" -> "http://telegram.org/"), or None if it is not one."""
    if not url or any(char.isspace() for char in url):
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.netloc or (parts.scheme in ("http", "https") and "." not in parts.netloc):
        return None
    if parts.scheme in ("http", "https") and not parts.path:
        parts = parts._replace(path="/")
    return urlunsplit(parts)


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int  # UTF-16 offset of the tag in the plain text
    start: int  # index into the output pieces, to read the text of an <a> without href


class _HtmlParser:
    """TDLib's HTML parser, with its error texts, but stricter about '&' (see :func:`parse_html`)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.open: list[_OpenTag] = []
        self.entities: list[JSONDict] = []

    def parse(self) -> tuple[str, list[JSONDict]]:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "&":
                self._entity()
            elif char == "<" and self.text.startswith("</", self.pos):
                self._end_tag()
            elif char == "<":
                self._start_tag()
            else:
                self._append(char)
                self.pos += 1
        if self.open:
            raise self._error(f'Can\'t find end tag corresponding to start tag "{self.open[-1].name}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        key = lambda entity: (entity["offset"], -entity["length"], _ENTITY_PRIORITY[entity["type"]])  # noqa: E731
        return "".join(self.out), sorted(self.entities, key=key)

    def _error(self, reason: str) -> ApiError:
        return bad_request(f"can't parse entities: {reason}")

    def _byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode())

    def _append(self, piece: str) -> None:
        self.out.append(piece)
        self.utf16 += utf16_length(piece)

    def _skip_space(self, index: int) -> int:
        while index < len(self.text) and self.text[index] in _HTML_SPACE:
            index += 1
        return index

    def _scan_name(self, index: int, stop: str) -> int:
        while index < len(self.text) and self.text[index] not in _HTML_SPACE and self.text[index] not in stop:
            index += 1
        return index

    def _entity(self) -> None:
        match = _ENTITY_RE.match(self.text, self.pos)
        decoded = _decode_entity(match) if match else None
        if decoded is None:
            # Telegram keeps such an '&' as it is; we refuse it, because it means the bot forgot to escape.
            raise self._error(
                f"Character '&' at byte offset {self._byte_offset(self.pos)} does not start an HTML entity "
                "(the emulator is stricter than Telegram here: escape it as &amp;)"
            )
        self._append(decoded)
        self.pos = match.end()

    def _start_tag(self) -> None:
        begin = self.pos
        end = self._scan_name(begin + 1, ">")
        if end >= len(self.text):
            raise self._error(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        name = self.text[begin + 1 : end].lower()
        if name not in _HTML_TAGS:
            raise self._error(f'Unsupported start tag "{name}" at byte offset {self._byte_offset(begin)}')
        argument = self._attributes(name, begin, end)
        if name == "span" and argument != "spoiler":
            raise self._error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset(begin)}'
            )
        self.open.append(_OpenTag(name, argument, self.utf16, len(self.out)))

    def _attributes(self, tag: str, begin: int, index: int) -> str:
        """Reads the attributes up to and including '>' and returns the one that matters for this tag."""
        argument = ""
        while True:
            index = self._skip_space(index)
            if index >= len(self.text):
                raise self._error(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
            if self.text[index] == ">":
                self.pos = index + 1
                return argument
            name_end = self._scan_name(index, "=>")
            attribute = self.text[index:name_end].lower()
            if not attribute:
                raise self._error(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self._byte_offset(begin)}'
                )
            index = self._skip_space(name_end)
            value = ""
            if index < len(self.text) and self.text[index] == "=":
                index = self._skip_space(index + 1)
                if index >= len(self.text):
                    raise self._error(f'Unclosed start tag "{tag}" at byte offset {self._byte_offset(begin)}')
                value, index = self._attribute_value(begin, index)
            argument = _tag_argument(tag, attribute, value) or argument

    def _attribute_value(self, begin: int, index: int) -> tuple[str, int]:
        quote = self.text[index]
        if quote in "\"'":
            close = self.text.find(quote, index + 1)
            if close < 0:
                raise self._error(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
            return _decode_attribute(self.text[index + 1 : close]), close + 1
        end = _UNQUOTED_VALUE_RE.match(self.text, index).end()
        if end < len(self.text) and self.text[end] not in _HTML_SPACE and self.text[end] != ">":
            raise self._error(f"Unexpected end of name token at byte offset {self._byte_offset(end)}")
        return self.text[index:end], end

    def _end_tag(self) -> None:
        begin = self.pos
        if not self.open:
            raise self._error(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        name_end = self._scan_name(begin + 2, ">")
        name = self.text[begin + 2 : name_end].lower()
        close = self._skip_space(name_end)
        if close >= len(self.text) or self.text[close] != ">":
            raise self._error(f"Unclosed end tag at byte offset {self._byte_offset(begin)}")
        tag = self.open.pop()
        if name and name != tag.name:
            raise self._error(
                f'Unmatched end tag at byte offset {self._byte_offset(begin)}, expected "</{tag.name}>", '
                f'found "</{name}>"'
            )
        self.pos = close + 1
        self._close(tag)

    def _close(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.offset
        if length == 0:
            return
        entity: JSONDict = {"type": _HTML_TAGS[tag.name], "offset": tag.offset, "length": length}
        if tag.name == "a":
            url = normalize_url(tag.argument or "".join(self.out[tag.start :]))
            if url is None:
                return
            entity["url"] = url
        elif tag.name == "blockquote" and tag.argument:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "code" and tag.argument:
            entity["language"] = tag.argument  # removed again unless merged into a <pre> below
        if not self._merge_pre_code(entity):
            self.entities.append(entity)

    def _merge_pre_code(self, entity: JSONDict) -> bool:
        """``<pre><code class="language-x">`` (in either nesting) is one pre entity with a language."""
        if not self.entities:
            return False
        last = self.entities[-1]
        same_span = (last["offset"], last["length"]) == (entity["offset"], entity["length"])
        if not same_span or {last["type"], entity["type"]} != {"pre", "code"}:
            return False
        language = (entity if entity["type"] == "code" else last).get("language")
        if language is None:
            return False
        self.entities[-1] = {
            "type": "pre",
            "offset": entity["offset"],
            "length": entity["length"],
            "language": language,
        }
        return True


def _tag_argument(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "blockquote" and attribute == "expandable":
        return "expandable"
    return None


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Telegram's HTML parse mode: the plain text and its entities, or a 400 "can't parse entities".

    Stricter than Telegram in one way: an '&' that does not start &lt; &gt; &amp; &quot; or a numeric
    entity is refused (Telegram shows it as is), because it means some text was not escaped.
    """
    return _HtmlParser(text).parse()


def _strip(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram trims leading and trailing white space; entities are clipped to what remains."""
    lead = utf16_length(text[: len(text) - len(text.lstrip())])
    stripped = text.strip()
    total = utf16_length(stripped)
    clipped = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return stripped, clipped


def format_text(
    text: str, parse_mode: str | None, entities: list[JSONDict] | None
) -> tuple[str, list[JSONDict]]:
    """The text and entities Telegram stores for a text or caption sent with this parse mode."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _strip(*parse_html(text))
    if mode not in ("", "markdown", "markdownv2"):
        raise bad_request("unsupported parse_mode")
    return _strip(text, list(entities or []))


# --- keyboards ---------------------------------------------------------------------------------------------

_INLINE_BUTTON_ACTIONS = (
    "callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "login_url", "web_app", "callback_game", "pay", "copy_text",
)  # fmt: skip


def inline_keyboard(markup: JSONDict | None) -> JSONDict | None:
    """The inline keyboard a message will carry: validated; None for other markups and for no buttons."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    buttons = [button for row in rows for button in row]
    if len(buttons) > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    for button in buttons:
        _check_inline_button(button)
    return markup if buttons else None


def _check_inline_button(button: object) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    elif "url" in button:
        if not isinstance(button["url"], str) or normalize_url(button["url"]) is None:
            raise bad_request("BUTTON_URL_INVALID")
    elif not any(action in button for action in _INLINE_BUTTON_ACTIONS):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )


# --- files -------------------------------------------------------------------------------------------------


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG or JPEG, (0, 0) for anything else: enough for PhotoSize objects."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return 0, 0


def _jpeg_size(data: bytes) -> tuple[int, int]:
    index = 2  # walk the segments up to the start-of-frame one
    while index + 9 < len(data) and data[index] == 0xFF:
        if data[index + 1] in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + int.from_bytes(data[index + 2 : index + 4], "big")
    return 0, 0


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # "photo" or "document": sending one as the other is a "type of file mismatch"
    data: bytes = field(repr=False)
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def file_json(self) -> JSONDict:
        """The Bot API File object (getFile)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }

    def document_json(self) -> JSONDict:
        document = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            document["file_name"] = self.file_name
        if self.mime_type:
            document["mime_type"] = self.mime_type
        return document

    def photo_json(self) -> list[JSONDict]:
        width, height = image_size(self.data)
        size = {"width": width, "height": height, "file_size": len(self.data)}
        return [{"file_id": self.file_id, "file_unique_id": self.file_unique_id, **size}]


# --- chats and messages ------------------------------------------------------------------------------------


@dataclass
class StoredMessage:
    """A message as Telegram keeps it: its current Bot API JSON and, for bot messages, the text as sent."""

    data: JSONDict
    from_bot: bool
    raw_text: str | None = None  # text or caption before the parse mode was applied

    @property
    def message_id(self) -> int:
        return self.data["message_id"]

    def snapshot(self) -> StoredMessage:
        return StoredMessage(copy.deepcopy(self.data), self.from_bot, self.raw_text)


@dataclass
class ChatState:
    """A private chat between the bot and one user (chat id == user id)."""

    chat: JSONDict
    user: JSONDict
    messages: dict[int, StoredMessage] = field(default_factory=dict)  # current state; deleted ones removed
    sent: list[StoredMessage] = field(default_factory=list)  # each new bot message as sent, in order
    edits: list[StoredMessage] = field(default_factory=list)  # each bot message right after an edit
    chat_actions: list[str] = field(default_factory=list)
    callback_answers: list[JSONDict] = field(default_factory=list)
    reply_keyboard: JSONDict | None = None  # the ReplyKeyboardMarkup shown under the input field
    last_message_id: int = 0

    @property
    def id(self) -> int:
        return self.chat["id"]

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id


@dataclass
class _CallbackQuery:
    chat: ChatState
    answered: bool = False


def _now() -> int:
    return int(time.time())


class EmulatorState:
    """All of Telegram that the bot can see through the Bot API, plus the bookkeeping tests assert on."""

    def __init__(
        self,
        token: str,
        bot_username: str,
        bot_first_name: str,
        files_dir: Path | None = None,
        first_id: int = 1,
    ) -> None:
        self.token = token
        self.bot_user: JSONDict = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.files_dir = files_dir
        self.chats: dict[int, ChatState] = {}
        self.files: dict[str, StoredFile] = {}
        self.updates: list[JSONDict] = []  # fetched or not, but not yet confirmed by a getUpdates offset
        self.allowed_updates: list[str] | None = None
        self.webhook: JSONDict | None = None
        self.webhook_targets: list[str] = []  # a load balancer: delivered to in turn, not webhook["url"]
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}  # (scope, language_code) -> commands
        self.calls: list[tuple[str, JSONDict]] = []
        self.errors: list[tuple[str, JSONDict, ApiError]] = []
        self.listeners: list[MessageListener] = []
        self.answer_listeners: list[Callable[[int, JSONDict], None]] = []  # (chat id, answerCallbackQuery)
        self.in_flight = 0  # API calls being served, getUpdates excluded
        # Updates not yet handled, for a bot that reports each one it has handled (`handled`); None: the bot
        # does not, and `settle` can only go by its calls.
        self.handling: set[int] | None = None
        # Seconds every call but getUpdates takes before it is served: the distance to Telegram's servers,
        # which the loopback does not have (benchmarks/load.py compares processing with and without it).
        self.round_trip = 0.0
        self.last_activity = time.monotonic()
        self.closed = False
        self._callback_queries: dict[str, _CallbackQuery] = {}
        self._faults: dict[str, deque[Fault | None]] = {}  # by lower-case method; None: answer normally
        self._ids = itertools.count(first_id)  # message, file and query ids
        self._last_update_id = 0
        self._poll = 0  # which getUpdates request is the current one
        self._changed = asyncio.Event()

    # waiting

    def _touch(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool], within: float | None) -> None:
        """Waits until ``predicate()`` holds; raises TimeoutError after ``within`` seconds."""
        async with asyncio.timeout(within):
            while not predicate():
                await self._changed.wait()

    def close(self) -> None:
        """Answers pending long polls (with no updates) so that the server can stop."""
        self.closed = True
        self._touch()

    # API call bookkeeping

    def begin_call(self, method: str, params: JSONDict) -> None:
        self.calls.append((method, params))
        if method != "getUpdates":
            self.in_flight += 1
            self._mark_activity()

    def end_call(self, method: str) -> None:
        if method != "getUpdates":
            self.in_flight -= 1
            self._mark_activity()

    def _mark_activity(self) -> None:
        self.last_activity = time.monotonic()
        self._touch()

    # faults

    def inject(self, method: str, fault: Fault, *, times: int = 1, after: int = 0) -> None:
        """Answer the ``times`` calls of ``method`` that follow the next ``after`` ones with ``fault``."""
        queue = self._faults.setdefault(method.lower(), deque())
        queue.extend([None] * after + [fault] * times)

    def take_fault(self, method: str) -> Fault | None:
        queue = self._faults.get(method.lower())
        if not queue:
            return None
        fault = queue.popleft()
        if not queue:
            del self._faults[method.lower()]
        return fault

    def clear_faults(self) -> None:
        self._faults.clear()

    # chats

    def add_private_chat(self, user: JSONDict) -> ChatState:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        chat.update({key: user[key] for key in ("last_name", "username") if key in user})
        state = self.chats[user["id"]] = ChatState(chat=chat, user=user)
        return state

    def chat(self, chat_id: int | str | None) -> ChatState:
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    # files

    def store_file(
        self, data: bytes, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        number = next(self._ids)
        prefix = "AgAC" if kind == "photo" else "BQAC"
        extension = Path(file_name).suffix if file_name else ".jpg" if kind == "photo" else ""
        stored = StoredFile(
            file_id=f"{prefix}emu{number:06d}",
            file_unique_id=f"AQADemu{number:06d}",
            kind=kind,
            data=data,
            file_path=f"{kind}s/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type or (mimetypes.guess_type(file_name)[0] if file_name else None),
        )
        self.files[stored.file_id] = stored
        if self.files_dir is not None:
            path = self.files_dir / stored.file_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        return next((file for file in self.files.values() if file.file_path == file_path), None)

    # messages

    def _new_message(self, chat: ChatState, sender: JSONDict, content: JSONDict) -> JSONDict:
        return {
            "message_id": chat.next_message_id(),
            "from": sender,
            "chat": chat.chat,
            "date": _now(),
            **content,
        }

    def send_bot_message(
        self,
        chat: ChatState,
        content: JSONDict,
        *,
        raw_text: str | None = None,
        reply_markup: JSONDict | None = None,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        """Stores a new message from the bot and notifies the listeners."""
        keyboard = inline_keyboard(reply_markup)
        data = self._new_message(chat, self.bot_user, content)
        if reply_to is not None:
            data["reply_to_message"] = {k: v for k, v in reply_to.data.items() if k != "reply_to_message"}
        if keyboard is not None:
            data["reply_markup"] = keyboard
        elif isinstance(reply_markup, dict) and "keyboard" in reply_markup:
            chat.reply_keyboard = reply_markup
        elif isinstance(reply_markup, dict) and reply_markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        message = chat.messages[data["message_id"]] = StoredMessage(data, from_bot=True, raw_text=raw_text)
        chat.sent.append(message.snapshot())
        self._notify(chat, message, edited=False)
        return message

    def edit_bot_message(
        self,
        chat: ChatState,
        message_id: int | None,
        content: JSONDict,
        *,
        reply_markup: JSONDict | None,
        raw_text: str | None = None,
    ) -> StoredMessage:
        """Replaces ``content`` keys (a None value removes the key) and the inline keyboard, as edits do."""
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        current = {key: value for key, value in message.data.items() if key != "edit_date"}
        edited = {
            key: value for key, value in current.items() if key not in content and key != "reply_markup"
        }
        edited.update({key: value for key, value in content.items() if value is not None})
        keyboard = inline_keyboard(reply_markup)
        if keyboard is not None:
            edited["reply_markup"] = keyboard
        if edited == current:
            raise bad_request(NOT_MODIFIED)
        message.data = {**edited, "edit_date": _now()}
        if raw_text is not None:
            message.raw_text = raw_text
        chat.edits.append(message.snapshot())
        self._notify(chat, message, edited=True)
        return message

    def delete_message(self, chat: ChatState, message_id: int | None) -> None:
        if message_id is None or chat.messages.pop(message_id, None) is None:
            raise bad_request("message to delete not found")
        self._touch()

    def _notify(self, chat: ChatState, message: StoredMessage, *, edited: bool) -> None:
        self._touch()
        for listener in self.listeners:
            listener(chat.id, message.snapshot(), edited)

    # what users do

    def user_message(self, chat: ChatState, content: JSONDict) -> JSONDict:
        data = self._new_message(chat, chat.user, content)
        chat.messages[data["message_id"]] = StoredMessage(data, from_bot=False)
        self.push_update({"message": data})
        return data

    def user_edit(self, chat: ChatState, message_id: int, content: JSONDict) -> JSONDict:
        message = chat.messages.get(message_id)
        if message is None or message.from_bot or "text" not in message.data:
            raise LookupError(f"the user sent no text message {message_id} in chat {chat.id}")
        base = {key: value for key, value in message.data.items() if key not in ("text", "entities")}
        message.data = {**base, **content, "edit_date": _now()}
        self.push_update({"edited_message": message.data})
        return message.data

    def callback_query(self, chat: ChatState, message: StoredMessage, data: str) -> str:
        query_id = str(next(self._ids))
        self._callback_queries[query_id] = _CallbackQuery(chat)
        query = {
            "id": query_id,
            "from": chat.user,
            "message": copy.deepcopy(message.data),
            "chat_instance": f"-{chat.id}",
            "data": data,
        }
        self.push_update({"callback_query": query})
        return query_id

    def answer_callback_query(self, params: JSONDict) -> None:
        query = self._callback_queries.get(str(params.get("callback_query_id", "")))
        if query is None or query.answered:
            raise bad_request(QUERY_TOO_OLD)
        query.answered = True
        query.chat.callback_answers.append(params)
        for listener in self.answer_listeners:
            listener(query.chat.id, params)
        self._touch()

    # updates

    def push_update(self, payload: JSONDict) -> None:
        """Queues an update, unless the bot's last allowed_updates exclude its type (as Telegram does)."""
        if self.allowed_updates and not any(kind in payload for kind in self.allowed_updates):
            return
        self._last_update_id += 1
        self.updates.append({"update_id": self._last_update_id, **payload})
        if self.handling is not None:
            self.handling.add(self._last_update_id)
        self._touch()

    def handled(self, update_id: int) -> None:
        """The bot has handled this update (and written what it changed)."""
        if self.handling is not None:
            self.handling.discard(update_id)
            self._touch()

    @property
    def last_update_id(self) -> int:
        """The id of the newest update queued so far (0: none yet)."""
        return self._last_update_id

    def confirm_delivered(self, update_id: int) -> None:
        """A webhook accepted this update: forget it, as a getUpdates offset past it would."""
        self.updates = [update for update in self.updates if update["update_id"] != update_id]
        self._mark_activity()

    def drop_pending_updates(self) -> None:
        self.updates.clear()
        self._touch()

    def _confirm(self, offset: int | None) -> None:
        """Forgets updates before ``offset``; a negative offset keeps only the last -offset updates."""
        if offset is None:
            return
        before = len(self.updates)
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [update for update in self.updates if update["update_id"] >= offset]
        if len(self.updates) != before:
            self._mark_activity()

    async def get_updates(
        self, offset: int | None, limit: int, wait: float, allowed_updates: list[str] | None
    ) -> list[JSONDict]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first",
            )
        if allowed_updates is not None:
            self.allowed_updates = allowed_updates
        self._confirm(offset)
        self._poll += 1
        poll = self._poll
        self._touch()  # an older long poll still waiting is now terminated
        with contextlib.suppress(TimeoutError):
            await self.wait_for(lambda: bool(self.updates) or self.closed or self._poll != poll, wait)
        if self._poll != poll:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
                "is running",
            )
        delivered = self.updates[: max(1, min(limit, 100))]
        if delivered:
            self._mark_activity()
        return delivered
