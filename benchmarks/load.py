"""2. Many users at once: each logs sessions (the quick log and its Save button) and ticks packing boxes.

Every user acts, waits for the bot's reaction, and acts again (a closed loop, as people do); all users at
the same time. Run with the bot as it ships (chats processed concurrently, each chat in order) and with
PTB's default one-update-at-a-time processing, on the same data: once on the bare loopback, where every
Bot API call is answered at once and the one process (bot, emulator and users) is bound by its CPU, and
once with each call taking ROUND_TRIP_S, as from a server near Telegram's, where one-at-a-time processing
spends its time waiting.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Callable, Sequence

from benchmarks import harness, seed
from benchmarks.harness import Figure, Profiler, now, percentile, ratio
from bot.emulator import BotApiEmulator
from bot.emulator.driver import EmulatedUser, MessageView
from bot.emulator.state import StoredMessage
from storage.db import Database

FIRST_USER = 7001
LOCKER_ITEMS = 20
TAPS_PER_ROUND = 3
UPDATES_PER_ROUND = 2 + TAPS_PER_ROUND  # the quick log, its Save, and the taps
ROUND_TRIP_S = 0.025  # a Bot API call from a server in western Europe (Telegram's servers are in Amsterdam)
_BOX = re.compile(r"pk:[0-9]+:[dr]")


def user_ids(count: int) -> list[int]:
    return list(range(FIRST_USER, FIRST_USER + count))


async def seed_users(db: Database, ids: Sequence[int]) -> dict[int, int]:
    """Each user: the four weapons, a small locker and a journey with its list; returns journey ids."""
    await seed.users(db, ids)
    journeys = {}
    for user_id in ids:
        await seed.weapons(db, user_id)
        await seed.locker(db, user_id, LOCKER_ITEMS, conditional=False)
        journeys[user_id] = await seed.journey(db, user_id)
    return journeys


def _has_button(prefix: str) -> Callable[[StoredMessage], bool]:
    def match(message: StoredMessage) -> bool:
        rows = message.data.get("reply_markup", {}).get("inline_keyboard", [])
        return any(button.get("callback_data", "").startswith(prefix) for row in rows for button in row)

    return match


class Shooter:
    """One user's script; `latencies` gets the time from each action to the bot's reaction to it."""

    def __init__(self, emu: BotApiEmulator, user: EmulatedUser, journey_id: int) -> None:
        self.emu = emu
        self.user = user
        self.journey_id = journey_id
        self.latencies: list[float] = []
        self.packing: MessageView | None = None

    async def open_list(self) -> None:
        menu = await self.user.ask("/start", timeout=harness.WAIT_S)
        count = harness.sent_count(self.emu, self.user)
        await self.user.tap(menu, "list", data=f"pk:open:{self.journey_id}")
        self.packing = await harness.wait_message(self.emu, self.user, count, _has_button("pk:"))

    async def round(self) -> None:
        count = harness.sent_count(self.emu, self.user)
        started = now()
        await self.user.send_text("log 25m glock 50 shots 471")
        quick = await harness.wait_message(self.emu, self.user, count, _has_button("ql:s:"))
        self.latencies.append(now() - started)
        save = next(data for row in quick.buttons for _, data in row if data and data.startswith("ql:s:"))
        self.latencies.append(await self._tap(quick, save))
        boxes = itertools.islice(
            (data for row in self.packing.buttons for _, data in row if data and _BOX.fullmatch(data)),
            TAPS_PER_ROUND,
        )
        for data in boxes:
            self.latencies.append(await self._tap(self.packing, data))

    async def _tap(self, message: MessageView, data: str) -> float:
        edits = harness.edit_count(self.emu, self.user)
        started = now()
        await self.user.tap(message, "button", data=data)
        edited = await harness.wait_edit(self.emu, self.user, edits, message.message_id)
        if message is self.packing:
            self.packing = edited
        return now() - started


async def drive(
    emu: BotApiEmulator, journeys: dict[int, int], rounds: int, profiler: Profiler, name: str
) -> tuple[float, list[float]]:
    """All users' rounds at once: (updates per second, every update's latency)."""
    shooters = [
        Shooter(emu, emu.user(user_id, first_name="Shooter"), journeys[user_id]) for user_id in journeys
    ]
    await asyncio.gather(*(shooter.open_list() for shooter in shooters))

    async def play(shooter: Shooter) -> None:
        for _ in range(rounds):
            await shooter.round()

    with profiler.section(name):
        started = now()
        await asyncio.gather(*(play(shooter) for shooter in shooters))
        spent = now() - started
    latencies = [latency for shooter in shooters for latency in shooter.latencies]
    return len(latencies) / spent, latencies


async def _measure(
    users: int,
    rounds: int,
    profiler: Profiler,
    *,
    one_at_a_time: bool,
    round_trip: float = 0.0,
    flood_limit: bool = False,
) -> tuple[float, float]:
    ids = user_ids(users)
    async with harness.data_dir() as folder:
        async with harness.database(folder) as db:
            journeys = await seed_users(db, ids)
        async with (
            harness.emulator() as emu,
            harness.running_bot(folder, emu, ids, one_at_a_time=one_at_a_time, flood_limit=flood_limit),
        ):
            emu.state.round_trip = round_trip
            name = "load, one at a time" if one_at_a_time else "load, per chat"
            name += f", {round_trip * 1000:.0f} ms round trip" if round_trip else ", loopback"
            rate, latencies = await drive(emu, journeys, rounds, profiler, name)
    return rate, percentile(latencies, 0.99)


async def run(users: int, rounds: int, profiler: Profiler) -> list[Figure]:
    rate, p99 = await _measure(users, rounds, profiler, one_at_a_time=False)
    serial_rate, serial_p99 = await _measure(users, rounds, profiler, one_at_a_time=True)
    far = await _measure(users, rounds, profiler, one_at_a_time=False, round_trip=ROUND_TRIP_S)
    far_serial = await _measure(users, rounds, profiler, one_at_a_time=True, round_trip=ROUND_TRIP_S)
    what = f"{users} users logging and ticking boxes ({users * rounds * UPDATES_PER_ROUND} updates)"
    far_what = f"The same, each Bot API call taking {ROUND_TRIP_S * 1000:.0f} ms"
    return [
        Figure(
            2,
            f"{what}: updates/s",
            f"{rate:.0f}/s",
            f"one at a time {serial_rate:.0f}/s ({ratio(rate, serial_rate)})",
            "≥ 5× one at a time",
            rate >= 5 * serial_rate,
        ),
        Figure(
            2,
            f"{what}: p99",
            harness.ms(p99),
            f"one at a time {harness.ms(serial_p99)}",
            "≤ 50 ms",
            p99 <= 0.05,
        ),
        Figure(
            2,
            f"{far_what}: updates/s",
            f"{far[0]:.0f}/s",
            f"one at a time {far_serial[0]:.0f}/s ({ratio(far[0], far_serial[0])})",
            "≥ 5× one at a time",
            far[0] >= 5 * far_serial[0],
        ),
        Figure(
            2,
            f"{far_what}: p99",
            harness.ms(far[1]),
            f"one at a time {harness.ms(far_serial[1])}",
            "–",
            None,
        ),
    ]
