"""What every benchmark shares: the bot on the loopback emulator, timing statistics, the report table.

Each figure is measured beside its limit or baseline in the same run, so that their ratio holds on a busy
machine even when the absolute numbers do not.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import platform
import pstats
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from telegram.ext import SimpleUpdateProcessor

from bot.app import AimTrackApplication, build_application
from bot.emulator import BotApiEmulator
from bot.emulator.driver import EmulatedUser, MessageView, message_view
from bot.emulator.state import ChatState, StoredMessage
from core.settings import AiProvider, Settings, WeatherProvider
from storage.db import Database
from storage.migrations import upgrade

TOKEN = "4242:benchmark-token"
WAIT_S = 30.0  # what one reaction may take before a benchmark gives up (a hung bot, not a slow one)


# --- figures and the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One line of the report: a measurement beside its baseline (same run) and its target."""

    number: int  # the item of issue 8
    what: str
    measured: str
    baseline: str
    target: str
    met: bool | None  # None: reported for information, no target of its own


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (`fraction` 0.5 is the median, 0.99 the p99)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def mb(size: float) -> str:
    return f"{size / 2**20:.1f} MB"


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}×" if baseline > 0 else "–"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, str]:
    return {
        "CPU": cpu_model(),
        "cores": str(os.cpu_count()),
        "Python": platform.python_version(),
        "OS": platform.platform(),
    }


def markdown(figures: Sequence[Figure], sizes: str, spent: float) -> str:
    """The README's table: paste it as it is."""
    lines = [
        "| # | What | Measured | Beside it (same run) | Target | Met |",
        "|---|---|---|---|---|---|",
    ]
    for figure in figures:
        met = "–" if figure.met is None else "✅" if figure.met else "❌"
        lines.append(
            f"| {figure.number} | {figure.what} | {figure.measured} | {figure.baseline} | {figure.target} "
            f"| {met} |"
        )
    about = ", ".join(f"{key}: {value}" for key, value in machine().items())
    lines += ["", f"Machine: {about}.", f"Sizes: {sizes}; the run took {spent:.0f} s."]
    return "\n".join(lines)


# --- profiles -------------------------------------------------------------------------------------------


class Profiler:
    """With `--profile`, the measured part of each benchmark under cProfile, its top lines on stderr.

    cProfile sees the event loop's thread: work sent to `asyncio.to_thread` (the PDF) is profiled where a
    benchmark also calls it directly.
    """

    def __init__(self, enabled: bool, lines: int = 25) -> None:
        self.enabled = enabled
        self.lines = lines

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        profile = cProfile.Profile()
        profile.enable()
        try:
            yield
        finally:
            profile.disable()
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out).strip_dirs()
            stats.sort_stats("tottime").print_stats(self.lines)
            stats.sort_stats("cumulative").print_stats(self.lines)
            print(f"\n===== profile: {name} =====\n{out.getvalue()}", file=sys.stderr)


# --- the bot under test ---------------------------------------------------------------------------------


@asynccontextmanager
async def data_dir() -> AsyncIterator[Path]:
    """A fresh data directory with a migrated SQLite database."""
    with tempfile.TemporaryDirectory(prefix="aimtrack-bench-") as folder:
        path = Path(folder)
        await asyncio.to_thread(upgrade, database_url(path))
        yield path


def database_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / 'aimtrack.db'}"


def settings_for(folder: Path, emulator: BotApiEmulator, users: Sequence[int]) -> Settings:
    """Offline everything (coach, weather, places), whatever the environment or a .env say."""
    return Settings(
        _env_file=None,
        telegram_bot_token=emulator.token,
        telegram_base_url=emulator.base_url,
        telegram_base_file_url=emulator.base_file_url,
        aimtrack_data_dir=folder,
        database_url=database_url(folder),
        aimtrack_allowed_users=frozenset(users),
        ai_provider=AiProvider.OFFLINE,
        anthropic_api_key=None,
        weather_provider=WeatherProvider.MANUAL,
    )


@asynccontextmanager
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="aimtrack_bench_bot") as emu:
        yield emu


@asynccontextmanager
async def running_bot(
    folder: Path,
    emu: BotApiEmulator,
    users: Sequence[int],
    *,
    one_at_a_time: bool = False,
    flood_limit: bool = True,
) -> AsyncIterator[AimTrackApplication]:
    """The real bot (`build_application`) polling the emulator, as the tests start it.

    Two switches for the concurrency benchmark, reaching into PTB (there is no public setter after
    `build()`): `one_at_a_time` swaps in PTB's default processing (one update after the other), and
    `flood_limit=False` takes out the rate limiter that keeps the bot within Telegram's 30 messages a
    second (the emulator has no such limit), to see what the bot itself can do.
    """
    application = build_application(settings_for(folder, emu, users))
    if one_at_a_time:
        application._update_processor = SimpleUpdateProcessor(1)
    if not flood_limit:
        with application.bot._unfrozen():
            application.bot._rate_limiter = None
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


@asynccontextmanager
async def database(folder: Path) -> AsyncIterator[Database]:
    db = Database(database_url(folder))
    try:
        yield db
    finally:
        await db.dispose()


# --- waiting for the bot's reaction -------------------------------------------------------------------


def _chat(emu: BotApiEmulator, user: EmulatedUser) -> ChatState:
    return emu.state.chats[user.id]


async def wait_message(
    emu: BotApiEmulator,
    user: EmulatedUser,
    after: int,
    match: Callable[[StoredMessage], bool] = lambda _: True,
) -> MessageView:
    """The first new bot message in the user's chat after the first `after` that `match`es."""
    sent = _chat(emu, user).sent
    found: list[StoredMessage] = []

    def arrived() -> bool:
        found[:] = [message for message in sent[after:] if match(message)]
        return bool(found)

    await emu.state.wait_for(arrived, WAIT_S)
    return message_view(emu.state, found[0])


async def wait_edit(emu: BotApiEmulator, user: EmulatedUser, after: int, message_id: int) -> MessageView:
    """The first edit of `message_id` in the user's chat after the first `after` edits."""
    edits = _chat(emu, user).edits
    found: list[StoredMessage] = []

    def arrived() -> bool:
        found[:] = [edit for edit in edits[after:] if edit.message_id == message_id]
        return bool(found)

    await emu.state.wait_for(arrived, WAIT_S)
    return message_view(emu.state, found[0])


def sent_count(emu: BotApiEmulator, user: EmulatedUser) -> int:
    return len(_chat(emu, user).sent)


def edit_count(emu: BotApiEmulator, user: EmulatedUser) -> int:
    return len(_chat(emu, user).edits)


def now() -> float:
    return time.perf_counter()
