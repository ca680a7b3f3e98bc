"""`aimtrack run` in webhook mode, as its own process, attacked on loopback: a body declared bigger than the
cap is refused at once (413), not awaited; a connection that sends nothing is closed at the deadline; a
request without the secret gets 403; Telegram's deliveries are served all the while."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.emulator import BotApiEmulator
from tests.conftest import ALICE
from tests.test_run_command import _free_port, aimtrack_run

TIMEOUT_S = 2
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def _answer(reader: asyncio.StreamReader, within: float) -> bytes:
    """What the server sends before closing the connection, if it closes it within `within` seconds."""
    received = b""
    async with asyncio.timeout(within):
        try:
            while chunk := await reader.read(65536):
                received += chunk
        except ConnectionError:
            pass
    return received


async def test_run_refuses_a_huge_body_and_closes_idle_connections(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    port = _free_port()
    async with aimtrack_run(
        emulator,
        tmp_path,
        AIMTRACK_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        AIMTRACK_WEBHOOK_SECRET="s3cret-Run",
        AIMTRACK_LISTEN=f"127.0.0.1:{port}",
        AIMTRACK_WEBHOOK_TIMEOUT_S=str(TIMEOUT_S),
    ):
        await emulator.state.wait_for(lambda: emulator.state.webhook is not None, 30)
        alice = emulator.user(ALICE, first_name="Alice")
        assert "Hello Alice" in (await alice.ask("/start", timeout=15)).text  # it listens
        idle = await asyncio.open_connection("127.0.0.1", port)
        huge = await asyncio.open_connection("127.0.0.1", port)
        unsigned = await asyncio.open_connection("127.0.0.1", port)
        head = "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        huge[1].write(
            f"{head}{SECRET_HEADER}: s3cret-Run\r\nContent-Length: {95 * 1024 * 1024}\r\n\r\n{{".encode()
        )
        unsigned[1].write(f"{head}Content-Length: 2\r\n\r\n{{}}".encode())
        try:
            answers = await asyncio.gather(
                *(_answer(reader, TIMEOUT_S + 8) for reader, _ in (idle, huge, unsigned))
            )
        finally:
            for _, writer in (idle, huge, unsigned):
                writer.close()
        assert answers[0] == b"", "the idle connection was closed without an answer"
        assert answers[1].startswith(b"HTTP/1.1 413 "), answers[1][:100]
        assert answers[2].startswith(b"HTTP/1.1 403 "), answers[2][:100]
        assert "Hello Alice" in (await alice.ask("/start", timeout=15)).text
