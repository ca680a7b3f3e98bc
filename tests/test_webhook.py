"""The webhook server as an attacker on the network reaches it: it listens on loopback by default; a body
over the cap is refused (413, from its Content-Length, secret or not) after reading about the cap, not the
body; a request without the secret is refused (403) without its body being parsed; a connection that sends
nothing, or drips its headers or its body, is closed at its deadline; connections over the cap are closed
as they come, and once the idle ones are gone Telegram's deliveries are served again. A right update is
handled: the bot answers in the emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.app import AimTrackApplication, build_application
from bot.emulator import BotApiEmulator
from bot.webhook import SECRET_HEADER, WebhookLimits, WebhookServer
from core.settings import Settings
from tests.conftest import ALICE, make_settings
from tests.test_secrets_and_access import _update

SECRET = "webhook-secret-Xy12"
TIMEOUT_S = 2.0  # the deadline of a request in these tests
MAX_CONNECTIONS = 20
MB = 1024 * 1024
HUGE = 95 * MB  # what the review sent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def webhook(
    data_dir: Path, database_url: str, emulator: BotApiEmulator
) -> AsyncIterator[WebhookServer]:
    """The real Application served by the webhook server on a free loopback port, its webhook set."""
    port = _free_port()
    settings = make_settings(
        data_dir,
        emulator,
        database_url=database_url,
        aimtrack_webhook_url=f"http://127.0.0.1:{port}/hook",
        aimtrack_webhook_secret=SECRET,
        aimtrack_listen=f"127.0.0.1:{port}",
        aimtrack_webhook_timeout_s=TIMEOUT_S,
        aimtrack_webhook_max_connections=MAX_CONNECTIONS,
    )
    application: AimTrackApplication = build_application(settings)
    state = emulator.state
    application.after_update.append(lambda update: state.handled(getattr(update, "update_id", 0)))
    assert settings.aimtrack_webhook_url is not None
    server = WebhookServer(
        application,
        url=settings.aimtrack_webhook_url,
        secret_token=SECRET,
        host=settings.listen_host,
        port=settings.listen_port,
        limits=WebhookLimits.of(settings),
    )
    serving = asyncio.create_task(server.serve())
    await state.wait_for(lambda: state.webhook is not None or serving.done(), 30)
    assert not serving.done(), serving.exception()
    yield server
    server.stop()
    await asyncio.wait_for(serving, 30)


def _head(length: int | None, *, secret: str | None = SECRET, chunked: bool = False) -> bytes:
    lines = ["POST /hook HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if secret is not None:
        lines.append(f"{SECRET_HEADER}: {secret}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _closed(reader: asyncio.StreamReader, within: float) -> bool:
    """The server closed the connection (EOF or reset) within `within` seconds."""
    try:
        async with asyncio.timeout(within):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


async def _pour(writer: asyncio.StreamWriter, total: int, chunk: bytes) -> int:
    """Writes up to `total` bytes of `chunk`s; returns how many were written before the server hung up."""
    sent = 0
    with contextlib.suppress(ConnectionError):
        async with asyncio.timeout(60):
            while sent < total:
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
    return sent


async def _status(reader: asyncio.StreamReader) -> int:
    line = await asyncio.wait_for(reader.readline(), 10)
    return int(line.split()[1])


def test_the_webhook_listens_on_loopback_by_default() -> None:
    settings = Settings()
    assert (settings.listen_host, settings.listen_port) == ("127.0.0.1", 8443)
    assert settings.aimtrack_webhook_max_body_kb * 1024 == MB


async def test_a_right_update_is_handled_and_a_wrong_secret_is_refused_unread(
    webhook: WebhookServer, emulator: BotApiEmulator
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    assert "Hello Alice" in (await alice.ask("/start", timeout=15)).text  # Telegram's delivery
    assert emulator.state.webhook is not None and emulator.state.webhook["secret_token"] == SECRET
    url = webhook.url
    async with httpx.AsyncClient() as client:
        without = await client.post(url, json=_update("/help", 900))
        wrong = await client.post(url, json=_update("/help", 901), headers={SECRET_HEADER: SECRET[:-1] + "!"})
        unparsable = await client.post(
            url, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        right = await client.post(url, json=_update("/start", 902), headers={SECRET_HEADER: SECRET})
    assert [r.status_code for r in (without, wrong, unparsable, right)] == [403, 403, 403, 200]
    assert "Hello Alice" in (await alice.next_message(timeout=15)).text, "the right secret is served"
    await emulator.settle(timeout=15)
    assert not any("What I can do" in (message.text or "") for message in alice.messages)


@pytest.mark.parametrize("secret", [SECRET, None], ids=["with-secret", "without-secret"])
async def test_an_oversized_body_is_refused_without_being_read(
    webhook: WebhookServer, secret: str | None
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", webhook.port)
    writer.write(_head(HUGE, secret=secret))
    writer.write(b'{"update_id": 1, "message": {"text": "' + b"A" * 60_000)
    await writer.drain()
    assert await _status(reader) == 413  # from the Content-Length alone, with or without the secret
    sent = await _pour(writer, HUGE, b"A" * 65536)
    assert await _closed(reader, 10)
    writer.close()
    assert sent < HUGE, "the server hung up"
    assert webhook.stats.bytes_received < 2 * MB, webhook.stats


async def test_a_chunked_body_is_cut_off_at_the_cap(webhook: WebhookServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", webhook.port)
    writer.write(_head(None, chunked=True))
    chunk = b"A" * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = await _pour(writer, HUGE, frame)
    assert sent < HUGE, "the server hung up"
    assert webhook.stats.bytes_received < 3 * MB, webhook.stats
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
        assert await _status(reader) == 413  # when the reset has not discarded the answer
    writer.close()


async def test_idle_and_dripping_connections_are_closed_at_their_deadline(
    webhook: WebhookServer, emulator: BotApiEmulator
) -> None:
    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", webhook.port)

    async def drip(writer: asyncio.StreamWriter, data: bytes) -> None:
        with contextlib.suppress(ConnectionError):
            for byte in data:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.3)

    idle = await connect()
    slow_head = await connect()
    slow_body = await connect()
    body = json.dumps(_update("/start", 903)).encode()
    slow_body[1].write(_head(len(body)))
    drips = [
        asyncio.create_task(drip(slow_head[1], _head(len(body)) + body)),
        asyncio.create_task(drip(slow_body[1], body)),
    ]
    try:
        # Each sends something (or nothing) for longer than the deadline: each is closed near it.
        closed = await asyncio.gather(
            *(_closed(reader, TIMEOUT_S + 5) for reader, _ in (idle, slow_head, slow_body))
        )
    finally:
        for task in drips:
            task.cancel()
        for _, writer in (idle, slow_head, slow_body):
            writer.close()
    assert closed == [True, True, True]
    assert webhook.stats.connections_timed_out == 3
    alice = emulator.user(ALICE, first_name="Alice")
    assert "Hello Alice" in (await alice.ask("/start", timeout=15)).text
    await emulator.settle(timeout=15)
    assert sum("Hello Alice" in (m.text or "") for m in alice.messages) == 1, (
        "the dripped ones were not taken"
    )


async def test_idle_connections_over_the_cap_are_closed_and_deliveries_recover(
    webhook: WebhookServer, emulator: BotApiEmulator
) -> None:
    many = 10 * MAX_CONNECTIONS
    connections = [await asyncio.open_connection("127.0.0.1", webhook.port) for _ in range(many)]
    try:
        stats = webhook.stats
        for _ in range(200):  # until the server has taken every connection from its backlog
            if webhook.open_connections + stats.connections_refused + stats.connections_timed_out >= many:
                break
            await asyncio.sleep(0.05)
        assert stats.peak_connections == MAX_CONNECTIONS, "never more open at once than the cap"
        assert stats.connections_refused >= many // 2, stats
        # Telegram delivers meanwhile; once the idle ones pass their deadline, its retries get through.
        alice = emulator.user(ALICE, first_name="Alice")
        assert "Hello Alice" in (await alice.ask("/start", timeout=TIMEOUT_S + 20)).text
        closed = await asyncio.gather(*(_closed(reader, TIMEOUT_S + 5) for reader, _ in connections))
        assert all(closed)
    finally:
        for _, writer in connections:
            writer.close()
