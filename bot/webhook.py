"""The webhook server: Telegram posts updates to it, behind the reverse proxy that terminates TLS.

An update is taken (queued for the Application, then answered 200) only when the request carries the
secret token, compared in constant time; without it the answer is 403 and the body is not read. A body over
the cap is refused with 413 as soon as its Content-Length (or, without one, the bytes read) passes the cap,
and the connection is closed rather than drained. Every connection has a deadline: from the moment it waits
for a request until that request's headers and body have arrived; a connection that sends nothing, or drips
its headers or body, is closed when it passes. Connections beyond the cap are closed as they are accepted,
so idle ones cannot take every file descriptor of the process.

The server is uvicorn (its h11 protocol, with the deadline and the connection cap added) serving a
Starlette app, as PTB's custom-webhook example does; PTB's built-in tornado server has none of these limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import logging
import signal
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application, ExtBot
from uvicorn.protocols.http.h11_impl import H11Protocol

from core.settings import Settings

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_MAX_CONNECTIONS = 40  # setWebhook's max_connections: Telegram's default, as PTB's run_webhook sets
REFUSAL_LOG_INTERVAL_S = 60.0  # one warning a minute about connections refused over the cap
CLOSE = {"Connection": "close"}  # an error answer ends the connection: nothing more of the body is read


@dataclass(frozen=True)
class WebhookLimits:
    """What one webhook server accepts: the body cap, the deadline of a request, the connection cap."""

    max_body_bytes: int
    timeout_s: float
    max_connections: int

    @classmethod
    def of(cls, settings: Settings) -> WebhookLimits:
        return cls(
            max_body_bytes=settings.aimtrack_webhook_max_body_kb * 1024,
            timeout_s=settings.aimtrack_webhook_timeout_s,
            max_connections=settings.aimtrack_webhook_max_connections,
        )


@dataclass
class WebhookStats:
    """What the server has read and refused so far (the tests read it)."""

    bytes_received: int = 0
    peak_connections: int = 0
    connections_refused: int = 0
    connections_timed_out: int = 0
    last_refusal_logged: float = float("-inf")


class _TooLarge(Exception):
    pass


def webhook_app(application: Application, *, path: str, secret_token: str, max_body_bytes: int) -> Starlette:
    """The ASGI app: POST `/path` with the secret and a JSON update of at most `max_body_bytes`."""
    secret = secret_token.encode()
    bot = application.bot

    async def receive_update(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_body_bytes):
            return Response(status_code=413 if declared.isdigit() else 400, headers=CLOSE)
        given = request.headers.get(SECRET_HEADER, "").encode("latin-1")
        if not hmac.compare_digest(given, secret):
            logger.debug("Webhook request without the right secret token from %s", request.client)
            return Response(status_code=403, headers=CLOSE)
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            return Response(status_code=415, headers=CLOSE)
        try:
            body = await _read_body(request, max_body_bytes)
        except _TooLarge:
            return Response(status_code=413, headers=CLOSE)
        try:
            update = Update.de_json(json.loads(body), bot)
        except Exception:
            logger.warning("The webhook received a body that is not an update; it was not processed")
            return Response(status_code=400, headers=CLOSE)
        if update is not None:
            if isinstance(bot, ExtBot):
                bot.insert_callback_data(update)  # arbitrary callback data, as PTB's own webhook does
            await application.update_queue.put(update)
        return Response(status_code=200)

    return Starlette(routes=[Route(f"/{path}", receive_update, methods=["POST"])])


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk; `_TooLarge` as soon as more than `limit` bytes have come."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class _GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline per request and a cap on open connections.

    The deadline runs from the moment the connection waits for a request (it is opened, or the previous
    answer was sent) until the request's headers and body are in; it is not renewed by the bytes that
    drip in. A connection accepted beyond the cap is closed at once.
    """

    def __init__(self, *args: Any, limits: WebhookLimits, stats: WebhookStats, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = limits
        self._stats = stats
        self._deadline: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's
        if len(self.connections) >= self._limits.max_connections:
            self._refused = True
            self._stats.connections_refused += 1
            now = time.monotonic()
            if now - self._stats.last_refusal_logged >= REFUSAL_LOG_INTERVAL_S:
                self._stats.last_refusal_logged = now
                logger.warning(
                    "The webhook has %d open connections, its cap: closing new ones",
                    self._limits.max_connections,
                )
            transport.abort()
            return
        super().connection_made(transport)
        self._stats.peak_connections = max(self._stats.peak_connections, len(self.connections))
        self._keep_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        if not self._refused:
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._stats.bytes_received += len(data)
        super().data_received(data)
        self._keep_deadline()

    def on_response_complete(self) -> None:
        self._cancel_deadline()  # the next request gets a deadline of its own
        super().on_response_complete()
        self._keep_deadline()

    def _waiting_for_the_client(self) -> bool:
        cycle = self.cycle
        return cycle is None or cycle.response_complete or cycle.more_body

    def _keep_deadline(self) -> None:
        if self.transport.is_closing() or not self._waiting_for_the_client():
            self._cancel_deadline()
        elif self._deadline is None:
            self._deadline = self.loop.call_later(self._limits.timeout_s, self._too_slow)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing() and self._waiting_for_the_client():
            self._stats.connections_timed_out += 1
            logger.debug("Closing a webhook connection from %s: no whole request in time", self.client)
            self.transport.abort()


class _Server(uvicorn.Server):
    """uvicorn's server, leaving the signals to whoever runs it; `listening` is set once it accepts."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield


class WebhookServer:
    """Serves `application`'s webhook at `url` (its path) on `host:port` until `stop()`.

    `serve()` runs the Application's whole life as PTB's run_webhook does (initialize, post_init, start,
    setWebhook with the secret once the server listens; then stop, post_stop, shutdown, post_shutdown).
    """

    def __init__(
        self,
        application: Application,
        *,
        url: str,
        secret_token: str,
        host: str,
        port: int,
        limits: WebhookLimits,
    ) -> None:
        self.application = application
        self.url = url
        self.host, self.port = host, port
        self.limits = limits
        self.stats = WebhookStats()
        self._secret_token = secret_token
        app = webhook_app(
            application,
            path=urlsplit(url).path.lstrip("/"),
            secret_token=secret_token,
            max_body_bytes=limits.max_body_bytes,
        )
        config = uvicorn.Config(
            app,
            http=functools.partial(_GuardedH11Protocol, limits=limits, stats=self.stats),  # type: ignore[arg-type]  # a protocol factory, as the class
            lifespan="off",
            log_config=None,  # uvicorn's records go to our handlers, through the redaction
            access_log=False,
            timeout_keep_alive=max(1, int(limits.timeout_s)),
            timeout_graceful_shutdown=max(1, int(limits.timeout_s)),
        )
        self._server = _Server(config)

    def stop(self) -> None:
        self._server.should_exit = True

    @property
    def open_connections(self) -> int:
        return len(self._server.server_state.connections)

    async def serve(self) -> None:
        sock = _bind(self.host, self.port)  # a port in use fails here, before the bot starts
        application = self.application
        serving: asyncio.Task[None] | None = None
        try:
            await application.initialize()
        except BaseException:
            sock.close()
            raise
        try:
            if application.post_init is not None:
                await application.post_init(application)
            await application.start()
            serving = asyncio.create_task(self._server.serve(sockets=[sock]), name="webhook-server")
            listening = asyncio.create_task(self._server.listening.wait())
            await asyncio.wait([serving, listening], return_when=asyncio.FIRST_COMPLETED)
            listening.cancel()
            if not serving.done():
                logger.info("Webhook listening on %s:%d", self.host, self.port)
                await application.bot.set_webhook(
                    url=self.url,
                    secret_token=self._secret_token,
                    allowed_updates=Update.ALL_TYPES,
                    max_connections=TELEGRAM_MAX_CONNECTIONS,
                )
            await serving
        finally:
            self._server.should_exit = True
            if serving is not None and not serving.done():
                await asyncio.wait([serving])  # its connections closed, its requests answered
            sock.close()
            if application.running:
                await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
            await application.shutdown()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def run_webhook(application: Application, settings: Settings, secret_token: str) -> None:
    """`aimtrack run` in webhook mode: serve until SIGINT or SIGTERM, then stop cleanly."""
    assert settings.aimtrack_webhook_url is not None
    server = WebhookServer(
        application,
        url=settings.aimtrack_webhook_url,
        secret_token=secret_token,
        host=settings.listen_host,
        port=settings.listen_port,
        limits=WebhookLimits.of(settings),
    )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, server.stop)
        await server.serve()

    asyncio.run(main())
