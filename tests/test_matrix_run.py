"""`aimtrack run` with only Matrix configured, as its own process against a real Synapse on 127.0.0.1:
SIGTERM (systemd's and docker's stop) stops it as cleanly as the Telegram mode: the Application stops and
shuts down, the Matrix client closes, and the exit status is 0 (not 143, killed by the signal)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.synapse import Account, Synapse
from tests.test_matrix import synapse as synapse  # the module's Synapse fixture

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_sigterm_stops_matrix_only_run_cleanly(synapse: Synapse, tmp_path: Path) -> None:
    bot: Account = await asyncio.to_thread(synapse.register, "aimtrack")
    alice: Account = await asyncio.to_thread(synapse.register, "alice")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "AIMTRACK_", "MATRIX_", "ANTHROPIC_", "AI_"))
    }
    env |= {
        "AIMTRACK_DATA_DIR": str(tmp_path),
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER_ID": bot.user_id,
        "MATRIX_ACCESS_TOKEN": bot.access_token,
        "AIMTRACK_ALLOWED_MATRIX_USERS": alice.user_id,
        "WEATHER_PROVIDER": "manual",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    log: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not any("Serving Matrix as" in line for line in log):
                line = await process.stderr.readline()
                assert line, "the bot ended before serving: " + "".join(log)[-2000:]
                log.append(line.decode())
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            _, rest = await process.communicate()
    stderr = "".join(log) + rest.decode()
    assert process.returncode == 0, stderr[-2000:]
    assert "Received SIGTERM; stopping" in stderr
    assert "Application.stop() complete" in stderr, "the Application stopped, its state written"
    assert "Stopped serving Matrix" in stderr, "the Matrix client closed"
    assert bot.access_token not in stderr, "the token reached the log"
