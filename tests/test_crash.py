"""Crash: `aimtrack run` is SIGKILLed in the middle of /log and in the middle of a burst of checkbox taps.

After a restart nothing committed is lost, the /log conversation resumes at the last question the user saw,
and the packing list in the database is exactly the taps whose answer (answerCallbackQuery) reached the
emulator: a handler must write before it answers. To kill the bot at a known point, the emulator holds one
of its calls (`slow`) and the process is killed while it waits for the answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.emulator import BotApiEmulator, slow
from bot.emulator.driver import EmulatedUser, MessageView
from services.packing.conditions import WeatherForecast, WeatherSource
from services.packing.generator import regenerate
from services.preferences import local_now
from storage.db import Database
from storage.journeys import create_journey
from storage.locker import create_item
from storage.models import GearJourneyItem, ShootingSession, Weapon
from storage.users import ensure_user
from tests.conftest import ALICE

START_TIMEOUT = 60.0  # a busy machine starts Python slowly
HOLD = 120.0  # how long the emulator holds the call the process is killed in
TODAY = local_now(None).date()


class BotProcess:
    """`aimtrack run` (polling) against the emulator, started and killed at will."""

    def __init__(self, emulator: BotApiEmulator, data_dir: Path) -> None:
        self.emulator = emulator
        self.data_dir = data_dir
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "AIMTRACK_", "AI_"))}
        env |= {
            "TELEGRAM_BOT_TOKEN": self.emulator.token,
            "TELEGRAM_BASE_URL": self.emulator.base_url,
            "TELEGRAM_BASE_FILE_URL": self.emulator.base_file_url,
            "AIMTRACK_DATA_DIR": str(self.data_dir),
            "AIMTRACK_ALLOWED_USERS": str(ALICE),
            "WEATHER_PROVIDER": "manual",
        }
        polls = self._polls()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=self.data_dir,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await self.emulator.state.wait_for(lambda: self._polls() > polls, START_TIMEOUT)

    def _polls(self) -> int:
        return sum(method == "getUpdates" for method, _ in self.emulator.calls)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.process = None

    async def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            await asyncio.wait_for(self.process.wait(), timeout=30)
            self.process = None


@asynccontextmanager
async def bot_process(emulator: BotApiEmulator, data_dir: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(emulator, data_dir)
    await process.start()
    try:
        yield process
    finally:
        emulator.clear_faults()
        await process.stop()


def received(emulator: BotApiEmulator, method: str) -> Callable[[], int]:
    """How many calls of `method` the emulator has received (answered or still held)."""
    return lambda: sum(name == method for name, _ in emulator.calls)


def database_is_sound(data_dir: Path) -> None:
    with sqlite3.connect(data_dir / "aimtrack.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []


async def sessions(db: Database) -> int:
    async with db.session() as session:
        return len(list(await session.scalars(select(ShootingSession))))


def labels(message: MessageView) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


async def choose(user: EmulatedUser, message: MessageView, label: str) -> MessageView:
    await user.tap(message, label)
    return await user.next_message(timeout=30)


async def test_a_kill_in_the_middle_of_log_loses_nothing_committed_and_log_resumes(
    emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    async with db.session() as session:
        await ensure_user(session, ALICE, "Alice")
        session.add(Weapon(user_id=ALICE, name="Glock 17", type="pistol", caliber="9mm"))
    alice = emulator.user(ALICE, first_name="Alice")
    async with bot_process(emulator, data_dir) as bot:
        confirmation = await alice.ask("/log 25m glock 50 shots 471", timeout=30)
        await alice.tap(confirmation, "💾 Save")
        assert "Saved" in (await alice.next_edit(timeout=30)).text
        assert "AI reflection" in (await alice.next_message(timeout=30)).text
        date_question = await alice.ask("/log", timeout=30)
        await choose(alice, date_question, "Today")
        location_question = await alice.ask("Range Noord", timeout=30)
        weapon_question = await choose(alice, location_question, "⏭ Skip")
        distance_question = await choose(alice, weapon_question, "Glock 17 (9mm)")
        shots_question = await choose(alice, distance_question, "25 m")
        assert "How many shots" in shots_question.text, shots_question.text

        # The answer to the shots question is taken, and the process dies while it sends the next question.
        sent = received(emulator, "sendMessage")()
        emulator.inject("sendMessage", slow(HOLD))
        await alice.send_text("40")
        await emulator.state.wait_for(
            lambda: received(emulator, "sendMessage")() > sent and not emulator.state.updates, 30
        )
        await bot.kill()
        assert alice.messages[-1].message_id == shots_question.message_id, "the user saw no answer to 40"
        database_is_sound(data_dir)
        assert await sessions(db) == 1, "the quick log, saved before the kill, is there"

        await bot.start()
        caliber_question = await alice.ask("40", timeout=30)
        assert labels(caliber_question) == ["Use 9mm"], "the answer went to the shots question that was open"
        score_question = await choose(alice, caliber_question, "Use 9mm")
        assert "from 0 to 436" in score_question.text, "40 shots of 10.9 at most: the draft kept the 40"
        assert "cancelled" in (await alice.ask("/cancel", timeout=30)).text.lower()
    assert await sessions(db) == 1


async def seed_list(db: Database, items: int) -> int:
    """Alice's journey with a packing list of `items` lines; returns the journey's id."""
    async with db.session() as session:
        await ensure_user(session, ALICE, "Alice")
        for number in range(items):
            await create_item(session, ALICE, name=f"Item {number:02d}", quantity=1)
        journey = await create_journey(
            session,
            ALICE,
            destination="Oslo",
            latitude=Decimal("59.91"),
            longitude=Decimal("10.75"),
            starts_at=TODAY + dt.timedelta(days=5),
            ends_at=TODAY + dt.timedelta(days=8),
            participants=["adult"],
            weather=WeatherForecast(4.0, 60.0, WeatherSource.USER).to_json(),
        )
        await regenerate(session, journey)
        return journey.id


async def boxes(db: Database) -> dict[str, bool]:
    """`<journey item id>:<d|r>` -> ticked, as stored."""
    async with db.session() as session:
        rows = list(await session.scalars(select(GearJourneyItem)))
    return {f"{row.id}:d": row.packed_for_departure for row in rows} | {
        f"{row.id}:r": row.packed_for_return for row in rows
    }


async def test_a_kill_in_a_burst_of_taps_keeps_exactly_the_acknowledged_taps(
    emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    journey_id = await seed_list(db, items=6)
    alice = emulator.user(ALICE, first_name="Alice")
    async with bot_process(emulator, data_dir) as bot:
        menu = await alice.ask("/start", timeout=30)
        await alice.tap(menu, data=f"pk:open:{journey_id}")
        checklist = await alice.next_message(timeout=30)
        taps = [data for row in checklist.buttons for _, data in row if data.endswith((":d", ":r"))]
        assert len(taps) == 12
        # Twenty taps at once, some boxes twice; the seventh answer is held, and the process killed in it.
        burst = taps + taps[:4] + taps[-4:]
        answered_before = received(emulator, "answerCallbackQuery")()
        emulator.inject("answerCallbackQuery", slow(HOLD), after=6)
        queries = {await alice.tap(checklist, data=data): data for data in burst}

        def seventh_answer_held() -> bool:
            """It is, and every tap was fetched: none is left over for the next process."""
            return (
                received(emulator, "answerCallbackQuery")() == answered_before + 7
                and not emulator.state.updates
            )

        await emulator.state.wait_for(seventh_answer_held, 60)
        await bot.kill()

        acknowledged = [
            queries[params["callback_query_id"]]
            for method, params in emulator.calls
            if method == "answerCallbackQuery" and params.get("callback_query_id") in queries
        ]
        assert len(acknowledged) == 7
        expected = dict.fromkeys(await boxes(db), False)
        for data in acknowledged:
            box = data.removeprefix("pk:")
            expected[box] = not expected[box]
        database_is_sound(data_dir)
        assert await boxes(db) == expected, "the database holds exactly the acknowledged taps"

        await bot.start()
        await emulator.settle(timeout=30)
        assert await boxes(db) == expected, "the restart changed nothing"
        await alice.tap(checklist, data=taps[0])
        await emulator.settle(timeout=30)
        expected[taps[0].removeprefix("pk:")] ^= True
        assert await boxes(db) == expected, "the list works on after the restart"
        edited = next(message for message in alice.messages if message.message_id == checklist.message_id)
        departure = sum(ticked for key, ticked in expected.items() if key.endswith(":d"))
        returned = sum(ticked for key, ticked in expected.items() if key.endswith(":r"))
        assert f"Departure {departure}/6 · Return {returned}/6" in edited.text, edited.text
