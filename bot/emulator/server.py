"""The HTTP face of the emulator: Bot API methods on tornado, in the caller's event loop (no threads).

``/bot<token>/<method>`` answers like api.telegram.org (JSON, form or multipart bodies; GET or POST) and
``/file/bot<token>/<file_path>`` serves stored files. The Telegram semantics live in :mod:`.state`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, HTTPError, RequestHandler

from bot.emulator.state import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    ApiError,
    ChatState,
    EmulatorState,
    JSONDict,
    StoredFile,
    StoredMessage,
    bad_request,
    format_text,
)

logger = logging.getLogger(__name__)

# Every value may arrive as a string (forms, multipart, and PTB even JSON-encodes values inside JSON).
_JSON_FIELDS = frozenset({
    "reply_markup", "entities", "caption_entities", "media", "commands", "scope", "allowed_updates",
    "reply_parameters", "link_preview_options",
})  # fmt: skip
_INT_FIELDS = frozenset({
    "chat_id", "message_id", "offset", "limit", "timeout", "reply_to_message_id", "message_thread_id",
    "cache_time", "max_connections",
})  # fmt: skip
_BOOL_FIELDS = frozenset({
    "show_alert", "drop_pending_updates", "disable_notification", "protect_content",
    "allow_sending_without_reply", "disable_web_page_preview", "disable_content_type_detection",
    "has_spoiler", "show_caption_above_media",
})  # fmt: skip
_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})  # fmt: skip
_MAX_ALBUM = 10
_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)


def _decode_value(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            if name == "chat_id":
                return value  # "@channelusername"
            raise bad_request(f"invalid {name} specified") from None
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


def decode_params(values: JSONDict, uploads: dict[str, Upload]) -> JSONDict:
    """Typed parameters; file parts are added under their part name (for a field or an attach:// URI)."""
    return {name: _decode_value(name, value) for name, value in values.items()} | uploads


def _present(content: JSONDict) -> JSONDict:
    return {key: value for key, value in content.items() if value is not None}


def _scope_key(scope: JSONDict | None) -> str:
    if not scope or scope.get("type") == "default":
        return "default"
    return json.dumps(scope, sort_keys=True)


class BotApiMethods:
    """The Bot API methods, by name; each takes the decoded parameters and returns the ``result``."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        methods: dict[str, Callable[[JSONDict], Any]] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "sendMediaGroup": self.send_media_group,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "getFile": self.get_file,
        }
        self._methods = {name.lower(): (name, method) for name, method in methods.items()}

    async def call(self, method: str, values: JSONDict, uploads: dict[str, Upload]) -> Any:
        """Runs one method call, recording it (and its error, if any) in the state."""
        name, implementation = self._methods.get(method.lower(), (method, None))
        params = decode_params(values, uploads)
        self.state.begin_call(name, params)
        try:
            if implementation is None:
                raise ApiError(404, "Not Found")
            if self.state.round_trip and name != "getUpdates":
                await asyncio.sleep(self.state.round_trip)
            if (fault := self.state.take_fault(name)) is not None:
                await asyncio.sleep(fault.delay)
                if (error := fault.error()) is not None:
                    raise error
            result = implementation(params)
            return await result if inspect.isawaitable(result) else result
        except ApiError as error:
            self.state.errors.append((name, params, error))
            raise
        finally:
            self.state.end_call(name)

    # bot and updates

    def get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self.state.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: JSONDict) -> list[JSONDict]:
        return await self.state.get_updates(
            offset=params.get("offset"),
            limit=params.get("limit", 100),
            wait=params.get("timeout", 0),
            allowed_updates=params.get("allowed_updates"),
        )

    def set_webhook(self, params: JSONDict) -> bool:
        if not params.get("url"):
            return self.delete_webhook(params)
        self.state.webhook = {key: value for key, value in params.items() if not isinstance(value, Upload)}
        return True

    def delete_webhook(self, params: JSONDict) -> bool:
        self.state.webhook = None
        if params.get("drop_pending_updates"):
            self.state.drop_pending_updates()
        return True

    def get_webhook_info(self, params: JSONDict) -> JSONDict:
        webhook = self.state.webhook or {}
        return {
            "url": webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.updates),
        }

    def set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            if not isinstance(name, str) or not _COMMAND_NAME_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
        self.state.commands[self._commands_key(params)] = commands
        return True

    def get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return self.state.commands.get(self._commands_key(params), [])

    def delete_my_commands(self, params: JSONDict) -> bool:
        self.state.commands.pop(self._commands_key(params), None)
        return True

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        return _scope_key(params.get("scope")), params.get("language_code") or ""

    # sending

    def send_message(self, params: JSONDict) -> JSONDict:
        chat = self.state.chat(params.get("chat_id"))
        content = _present(self._text(params, "text"))
        return self._send(chat, content, params, params.get("text")).data

    def send_document(self, params: JSONDict) -> JSONDict:
        chat = self.state.chat(params.get("chat_id"))
        document = self._input_file(params, params.get("document"), "document")
        content = {"document": document.document_json(), **self._caption(params)}
        return self._send(chat, content, params, params.get("caption")).data

    def send_photo(self, params: JSONDict) -> JSONDict:
        chat = self.state.chat(params.get("chat_id"))
        photo = self._input_file(params, params.get("photo"), "photo")
        content = {"photo": photo.photo_json(), **self._caption(params)}
        return self._send(chat, content, params, params.get("caption")).data

    def send_media_group(self, params: JSONDict) -> list[JSONDict]:
        chat = self.state.chat(params.get("chat_id"))
        media = params.get("media")
        if not isinstance(media, list) or not media:
            raise bad_request("media to send are not specified")
        if len(media) > _MAX_ALBUM:
            raise bad_request("too many messages to send as an album")
        items = [self._media_item(params, item) for item in media]  # all checked before any is sent
        group_id = f"emu{chat.last_message_id + 1}"
        return [
            self._send(chat, {**content, "media_group_id": group_id}, params, raw_text).data
            for content, raw_text in items
        ]

    def _media_item(self, params: JSONDict, item: object) -> tuple[JSONDict, str | None]:
        if not isinstance(item, dict) or item.get("type") not in ("photo", "document"):
            raise bad_request("the emulator supports only photo and document media")
        kind = item["type"]
        file = self._input_file(params, item.get("media"), kind)
        body = file.photo_json() if kind == "photo" else file.document_json()
        return {kind: body, **self._caption(item)}, item.get("caption")

    def _send(
        self, chat: ChatState, content: JSONDict, params: JSONDict, raw_text: str | None
    ) -> StoredMessage:
        return self.state.send_bot_message(
            chat,
            content,
            raw_text=raw_text,
            reply_markup=params.get("reply_markup"),
            reply_to=self._reply_to(chat, params),
        )

    @staticmethod
    def _reply_to(chat: ChatState, params: JSONDict) -> StoredMessage | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        target = chat.messages.get(int(message_id))
        if target is None and not reply.get(
            "allow_sending_without_reply", params.get("allow_sending_without_reply")
        ):
            raise bad_request("message to be replied not found")
        return target

    @staticmethod
    def _text(params: JSONDict, key: str) -> JSONDict:
        """Text (or caption) keys after the parse mode, checked against Telegram's limits; None = absent."""
        entities_key = "entities" if key == "text" else "caption_entities"
        raw = params.get(key)
        if key == "text" and not raw:
            raise bad_request("message text is empty")
        text, entities = format_text(raw or "", params.get("parse_mode"), params.get(entities_key))
        if key == "text" and not text:
            raise bad_request("message text is empty")
        if key == "text" and len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        if key == "caption" and len(text) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return {key: text or None, entities_key: entities or None}

    def _caption(self, params: JSONDict) -> JSONDict:
        """Caption keys for a new message (absent when there is no caption)."""
        return _present(self._text(params, "caption"))

    def _input_file(self, params: JSONDict, value: object, kind: str) -> StoredFile:
        """The file a send refers to: an upload (direct or attach://name), or the file_id of a stored file."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if value is None:
            raise bad_request(f"there is no {kind} in the request")
        if isinstance(value, Upload):
            if not value.data:
                raise bad_request("file must be non-empty")
            mime_type = None if value.content_type == "application/octet-stream" else value.content_type
            return self.state.store_file(value.data, kind, value.filename, mime_type)
        if not isinstance(value, str):
            raise bad_request("wrong file identifier/HTTP URL specified")
        if value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")  # the emulator is offline
        stored = self.state.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request("type of file mismatch")
        return stored

    # editing and deleting

    def edit_message_text(self, params: JSONDict) -> JSONDict:
        chat, message = self._message_to_edit(params)
        if "text" not in message.data:
            raise bad_request("there is no text in the message to edit")
        content = self._text(params, "text")
        return self._edit(chat, message, content, params, params.get("text"))

    def edit_message_caption(self, params: JSONDict) -> JSONDict:
        chat, message = self._message_to_edit(params)
        if "text" in message.data:
            raise bad_request("there is no caption in the message to edit")
        content = self._text(params, "caption")
        return self._edit(chat, message, content, params, params.get("caption"))

    def edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        chat, message = self._message_to_edit(params)
        return self._edit(chat, message, {}, params, None)

    def _message_to_edit(self, params: JSONDict) -> tuple[ChatState, StoredMessage]:
        chat = self.state.chat(params.get("chat_id"))
        message_id = params.get("message_id")
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None:
            raise bad_request("message to edit not found")
        return chat, message

    def _edit(
        self,
        chat: ChatState,
        message: StoredMessage,
        content: JSONDict,
        params: JSONDict,
        raw_text: str | None,
    ) -> JSONDict:
        edited = self.state.edit_bot_message(
            chat, message.message_id, content, reply_markup=params.get("reply_markup"), raw_text=raw_text
        )
        return edited.data

    def delete_message(self, params: JSONDict) -> bool:
        chat = self.state.chat(params.get("chat_id"))
        self.state.delete_message(chat, params.get("message_id"))
        return True

    # the rest

    def answer_callback_query(self, params: JSONDict) -> bool:
        self.state.answer_callback_query(params)
        return True

    def send_chat_action(self, params: JSONDict) -> bool:
        chat = self.state.chat(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.chat_actions.append(params["action"])
        return True

    def get_file(self, params: JSONDict) -> JSONDict:
        stored = self.state.files.get(str(params.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.file_json()


def _redacted_path(handler: RequestHandler) -> str:
    """The request path without the token, which must never reach a log."""
    token = handler.settings["token"]
    return handler.request.path.replace(token, "<token>")


def _log_request(handler: RequestHandler) -> None:
    status = handler.get_status()
    logger.debug("%d %s %s", status, handler.request.method, _redacted_path(handler))


class _JsonHandler(RequestHandler):
    """Answers everything, errors included, as Bot API JSON."""

    def reply(self, status: int, body: JSONDict) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))

    def reply_error(self, error: ApiError) -> None:
        body: JSONDict = {"ok": False, "error_code": error.code, "description": error.description}
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        self.reply(error.code, body)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.reply_error(ApiError(status_code, self._reason))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, HTTPError):
            logger.debug("%s %s: %s", self.request.method, _redacted_path(self), value.log_message)
            return
        logger.error(
            "emulator failed on %s %s", self.request.method, _redacted_path(self), exc_info=(typ, value, tb)
        )


class _ApiHandler(_JsonHandler):
    def initialize(self, methods: BotApiMethods) -> None:
        self.methods = methods
        self.pending: asyncio.Future[Any] | None = None
        self.disconnected = False

    async def get(self, token: str, method: str) -> None:
        if token != self.methods.state.token:
            self.reply_error(ApiError(401, "Unauthorized"))
            return
        try:
            values, uploads = self._arguments()
            self.pending = asyncio.ensure_future(self.methods.call(method, values, uploads))
            result = await self.pending
        except ApiError as error:
            self.reply_error(error)
        except asyncio.CancelledError:
            if not self.disconnected:
                raise
            self.set_status(499, "Client Closed Request")  # for the access log; nobody reads the answer
        else:
            self.reply(200, {"ok": True, "result": result})

    post = get

    def on_connection_close(self) -> None:
        """The client gave up (e.g. PTB cancelling a long poll while stopping): stop waiting for it."""
        self.disconnected = True
        if self.pending is not None:
            self.pending.cancel()

    def _arguments(self) -> tuple[JSONDict, dict[str, Upload]]:
        """Query, form and multipart values (parsed by tornado's parse_body_arguments), or a JSON body."""
        request = self.request
        try:
            values: JSONDict = {name: parts[-1].decode() for name, parts in request.arguments.items()}
            if request.headers.get("Content-Type", "").startswith("application/json") and request.body:
                body = json.loads(request.body)
                if not isinstance(body, dict):
                    raise ValueError("not an object")
                values.update(body)
        except ValueError:
            raise bad_request("can't parse JSON encoded request") from None
        uploads = {
            name: Upload(parts[-1].filename, parts[-1].content_type, parts[-1].body)
            for name, parts in request.files.items()
        }
        return values, uploads


class _FileHandler(_JsonHandler):
    def initialize(self, state: EmulatorState) -> None:
        self.state = state

    def get(self, token: str, file_path: str) -> None:
        stored = self.state.file_by_path(file_path) if token == self.state.token else None
        if stored is None:
            self.reply_error(ApiError(404, "Not Found"))
            return
        self.set_header("Content-Type", stored.mime_type or "application/octet-stream")
        self.finish(stored.data)


class _NotFoundHandler(_JsonHandler):
    def prepare(self) -> None:
        self.reply_error(ApiError(404, "Not Found"))


class WebhookDelivery:
    """Posts pending updates to the bot's webhook, in order, one at a time, as Telegram does.

    An update is forgotten once the webhook answers 2xx; otherwise it is retried after a short pause. The
    ``X-Telegram-Bot-Api-Secret-Token`` header carries the secret the bot set with setWebhook. With
    ``state.webhook_targets`` set, each attempt goes to the next of them, as a load balancer in front of
    several bot processes would send it.
    """

    RETRY_PAUSE = 0.2

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._task: asyncio.Task[None] | None = None
        self._attempts = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="emulator-webhook-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        state = self.state
        async with httpx.AsyncClient(timeout=10) as client:
            while True:
                await state.wait_for(lambda: state.webhook is not None and bool(state.updates), None)
                webhook, update = state.webhook, state.updates[0]
                headers = {}
                if webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = str(webhook["secret_token"])
                url, targets = str(webhook["url"]), state.webhook_targets
                if targets:
                    url = targets[self._attempts % len(targets)]
                    self._attempts += 1
                state.begin_call("webhook", {"update_id": update["update_id"], "url": url})  # shows in calls
                try:
                    response = await client.post(url, json=update, headers=headers)
                    delivered = response.is_success
                except httpx.HTTPError:
                    delivered = False
                finally:
                    state.end_call("webhook")
                if delivered:
                    state.confirm_delivered(update["update_id"])
                else:
                    await asyncio.sleep(self.RETRY_PAUSE)


class BotApiServer:
    """Serves one :class:`EmulatorState` on 127.0.0.1, and delivers updates to a webhook once one is set."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        methods = BotApiMethods(state)
        self._app = Application(
            [
                (r"/bot([^/]+)/([A-Za-z]+)/?", _ApiHandler, {"methods": methods}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"state": state}),
                (r".*", _NotFoundHandler),
            ],
            log_function=_log_request,
            token=state.token,
        )
        self._server: HTTPServer | None = None
        self._delivery = WebhookDelivery(state)

    async def start(self, port: int = 0) -> int:
        """Starts listening in the running event loop; returns the port."""
        sockets = bind_sockets(port, "127.0.0.1")
        self.state.closed = False
        self._server = HTTPServer(self._app)
        self._server.add_sockets(sockets)
        self._delivery.start()
        return sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is None:
            return
        await self._delivery.stop()
        self.state.close()
        await asyncio.sleep(0)  # lets woken long polls answer before their connections are closed
        self._server.stop()
        await self._server.close_all_connections()
        self._server = None
