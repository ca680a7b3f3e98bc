"""`aimtrack run` as its own process against a Bot API server (the emulator): polling and webhook."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from bot.emulator import BotApiEmulator
from tests.conftest import ALICE


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def aimtrack_run(emulator: BotApiEmulator, data_dir: Path, **extra: str) -> AsyncIterator[None]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "AIMTRACK_"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "TELEGRAM_BASE_FILE_URL": emulator.base_file_url,
        "AIMTRACK_DATA_DIR": str(data_dir),
        "AIMTRACK_ALLOWED_USERS": str(ALICE),
        **extra,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=data_dir,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
        assert process.returncode == 0, stderr.decode()[-2000:]
        assert emulator.token not in stderr.decode(), "the token reached the log"


def _called(emulator: BotApiEmulator, name: str) -> Callable[[], bool]:
    return lambda: any(method == name for method, _ in emulator.calls)


async def test_run_polls_the_configured_server(emulator: BotApiEmulator, tmp_path: Path) -> None:
    async with aimtrack_run(emulator, tmp_path):
        await emulator.state.wait_for(_called(emulator, "getUpdates"), 30)
        alice = emulator.user(ALICE, first_name="Alice")
        assert "Hello Alice" in (await alice.ask("/start", timeout=15)).text


async def test_run_serves_a_webhook_with_its_secret(emulator: BotApiEmulator, tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    async with aimtrack_run(
        emulator,
        tmp_path,
        AIMTRACK_WEBHOOK_URL=url,
        AIMTRACK_WEBHOOK_SECRET="s3cret",
        AIMTRACK_LISTEN=f"127.0.0.1:{port}",
    ):
        await emulator.state.wait_for(_called(emulator, "setWebhook"), 30)
        webhook = next(params for method, params in emulator.calls if method == "setWebhook")
        assert webhook["url"] == url and webhook["secret_token"] == "s3cret"
        alice = emulator.user(ALICE, first_name="Alice")
        assert "Hello Alice" in (await alice.ask("/start", timeout=15)).text
        assert not _called(emulator, "getUpdates")()
        async with httpx.AsyncClient() as client:
            forged = await client.post(url, json={"update_id": 999, "message": {}}, headers={
                "X-Telegram-Bot-Api-Secret-Token": "wrong"})  # fmt: skip
        assert forged.status_code == 403
