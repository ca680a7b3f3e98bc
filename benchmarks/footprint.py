"""6. Footprint: `aimtrack run` as its own process against the emulator: start-up, and memory over time.

Start-up is the time from starting the process to its first getUpdates (Python's start, the imports, the
settings, the migrations check, the command menus). Memory is the process's resident set (VmRSS): idle
after start-up, after a first tenth of the updates (everything imported and cached: the working size),
and after all of them; growth over the run is what a leak would show.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from benchmarks import harness, load
from benchmarks.harness import Figure, Profiler, mb, ms, now
from bot.emulator import BotApiEmulator

START_LIMIT_S = 2.5
IDLE_LIMIT = 150 * 2**20
GROWTH_LIMIT = 0.10
PROJECT_ROOT = Path(__file__).resolve().parent.parent
_OWN_VARIABLES = ("TELEGRAM_", "AIMTRACK_", "ANTHROPIC_", "AI_", "WEATHER_", "GEOCODER", "DATABASE_URL")


def rss(pid: int) -> int:
    """The process's resident set size in bytes (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _environment(emu: BotApiEmulator, folder: Path, users: Sequence[int]) -> dict[str, str]:
    inherited = {key: value for key, value in os.environ.items() if not key.startswith(_OWN_VARIABLES)}
    return inherited | {
        "PYTHONPATH": str(PROJECT_ROOT),
        "TELEGRAM_BOT_TOKEN": emu.token,
        "TELEGRAM_BASE_URL": emu.base_url,
        "TELEGRAM_BASE_FILE_URL": emu.base_file_url,
        "AIMTRACK_DATA_DIR": str(folder),
        "AIMTRACK_ALLOWED_USERS": ",".join(map(str, users)),
        "AI_PROVIDER": "offline",
        "WEATHER_PROVIDER": "manual",
    }


@asynccontextmanager
async def aimtrack_run(
    emu: BotApiEmulator, folder: Path, users: Sequence[int]
) -> AsyncIterator[tuple[int, float]]:
    """`aimtrack run` (as `python -m bot.cli run`) in `folder`; yields its pid and its start-up time."""
    polls = sum(method == "getUpdates" for method, _ in emu.calls)
    started = now()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=_environment(emu, folder, users), cwd=folder,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await emu.state.wait_for(
            lambda: sum(method == "getUpdates" for method, _ in emu.calls) > polls, harness.WAIT_S
        )
        yield process.pid, now() - started
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=harness.WAIT_S)
        if process.returncode != 0:
            raise RuntimeError(f"aimtrack run failed ({process.returncode}): {stderr.decode()[-2000:]}")


async def run(updates: int, users: int, profiler: Profiler) -> list[Figure]:
    ids = load.user_ids(users)
    rounds = max(2, updates // (users * load.UPDATES_PER_ROUND))
    warm_rounds = max(1, rounds // 10)
    async with harness.data_dir() as folder:
        async with harness.database(folder) as db:
            journeys = await load.seed_users(db, ids)
        async with harness.emulator() as emu:
            async with aimtrack_run(emu, folder, ids) as (pid, first_start):
                await emu.settle()
            async with aimtrack_run(emu, folder, ids) as (pid, start):
                await emu.settle()
                idle = rss(pid)
                with profiler.section("footprint (the driving side)"):
                    await load.drive(emu, journeys, warm_rounds, Profiler(False), "warm-up")
                    warm = rss(pid)
                    await load.drive(emu, journeys, rounds - warm_rounds, Profiler(False), "footprint")
                await emu.settle()
                after = rss(pid)
    total = rounds * users * load.UPDATES_PER_ROUND
    growth = (after - warm) / warm
    return [
        Figure(
            6,
            "Start to first getUpdates (`aimtrack run`)",
            ms(start),
            f"first start of this run {ms(first_start)}",
            f"≤ {START_LIMIT_S:g} s",
            start <= START_LIMIT_S,
        ),
        Figure(6, "Resident memory, idle", mb(idle), "–", "≤ 150 MB", idle <= IDLE_LIMIT),
        Figure(
            6,
            f"Resident memory after {total:,} updates ({users} users)",
            f"{mb(after)} ({growth:+.1%})",
            f"after the first {warm_rounds * users * load.UPDATES_PER_ROUND:,}: {mb(warm)}; idle: {mb(idle)}",
            "growth ≤ 10 %",
            growth <= GROWTH_LIMIT,
        ),
    ]
