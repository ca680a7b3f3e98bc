"""Several bot processes on one PostgreSQL: two `aimtrack run` processes in webhook mode behind one URL (the
emulator delivers to them in turn, as a load balancer would), and bot processes migrating at the same time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import re
import signal
import socket
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.emulator import BotApiEmulator
from handlers.attendance import REMINDER_JOB
from handlers.file_sweep import SWEEP_JOB
from handlers.packing_recheck import RECHECK_JOB
from services.preferences import local_now
from storage.db import Database
from storage.migrations import MIGRATIONS_LOCK, check
from storage.models import (
    AiReflection,
    AiStatus,
    JobRun,
    SessionWeaponEntry,
    ShootingSession,
    User,
    Weapon,
)
from tests.conftest import ALICE

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

SECRET = "lb-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _start(
    emulator: BotApiEmulator, data_dir: Path, database_url: str, port: int
) -> asyncio.subprocess.Process:
    """`aimtrack run` serving the webhook on `port`, its log in data_dir/bot-<port>.log."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "AIMTRACK_"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "TELEGRAM_BASE_FILE_URL": emulator.base_file_url,
        "DATABASE_URL": database_url,
        "AIMTRACK_DATA_DIR": str(data_dir),
        "AIMTRACK_ALLOWED_USERS": str(ALICE),
        "AIMTRACK_WEBHOOK_URL": "https://bot.example.org/hook",  # the load balancer's URL
        "AIMTRACK_WEBHOOK_SECRET": SECRET,
        "AIMTRACK_LISTEN": f"127.0.0.1:{port}",
        "AIMTRACK_JOBS_AT_START": "true",  # both processes try both jobs now
    }
    with (data_dir / f"bot-{port}.log").open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=data_dir,
            stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )  # fmt: skip


async def _stop(process: asyncio.subprocess.Process) -> int | None:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), timeout=20)
        except TimeoutError:
            process.kill()
            await process.wait()
    return process.returncode


async def _seed(db: Database, today: dt.date) -> int:
    """Alice: reminders on and behind her pace (10 session days two months ago, 2 lately, renewal in 10
    weeks), and her latest session's AI reflection left pending by an earlier run. Returns its session."""
    async with db.session() as session:
        session.add(
            User(
                id=ALICE,
                display_name="Alice",
                attendance_reminders=True,
                renewal_date=today + dt.timedelta(weeks=10),
            )
        )
        await session.flush()
        weapon = Weapon(user_id=ALICE, name="Glock 17", type="pistol", caliber="9mm")
        runs = [
            ShootingSession(user_id=ALICE, date=today - dt.timedelta(days=days), club="SV De Roos")
            for days in (*range(60, 70), 10, 3)
        ]
        for run in runs:
            run.entries.append(
                SessionWeaponEntry(weapon=weapon, distance_m=25, shot_count=50, ammo_caliber="9mm", score=471)
            )
        session.add_all(runs)
        await session.flush()
        session.add(AiReflection(session_id=runs[-1].id, status=AiStatus.PENDING))
        return runs[-1].id


async def test_two_webhook_processes_share_conversations_and_run_each_job_once(
    emulator: BotApiEmulator, data_dir: Path, database_url: str, db: Database
) -> None:
    today = local_now(None).date()
    session_id = await _seed(db, today)
    ports = [_free_port(), _free_port()]
    targets = [f"http://127.0.0.1:{port}/hook" for port in ports]
    emulator.state.webhook_targets = targets
    alice = emulator.user(ALICE, first_name="Alice")

    def texts_with(part: str) -> list[str]:
        return [message.text for message in alice.messages if part in message.text]

    processes = [await _start(emulator, data_dir, database_url, port) for port in ports]
    try:
        await emulator.state.wait_for(
            lambda: sum(method == "setWebhook" for method, _ in emulator.calls) == 2, 60
        )
        # Started together, both processes try both jobs and resume the pending reflection.
        await emulator.state.wait_for(
            lambda: texts_with("Attendance reminder") and texts_with("AI reflection"), 30
        )
        await emulator.settle()
        for _ in alice.messages:  # read so far
            await alice.next_message()
        delivered_before = sum(method == "webhook" for method, _ in emulator.calls)

        # A conversation (the weapon form: its step and its draft) goes back and forth between them.
        assert "step 1 of 7" in (await alice.ask("/addweapon", timeout=15)).text
        type_question = await alice.ask("CZ Shadow 2", timeout=15)
        await alice.tap(type_question, "Pistol")
        caliber_question = await alice.next_edit(timeout=15)
        await alice.tap(caliber_question, "9mm")
        assert "serial number" in (await alice.next_edit(timeout=15)).text
        storage_question = await alice.ask("B123456", timeout=15)
        await alice.tap(storage_question, "Skip ⏭")
        assert "When did you buy it" in (await alice.next_edit(timeout=15)).text
        assert "step 7 of 7" in (await alice.ask("1-3-2024", timeout=15)).text
        assert (await alice.ask("Optics-ready", timeout=15)).text.startswith("✅ Saved.")
        await emulator.settle()
    finally:
        codes = [await _stop(process) for process in processes]
    logs = [(data_dir / f"bot-{port}.log").read_text() for port in ports]
    assert codes == [0, 0], "\n".join(log[-2000:] for log in logs)

    urls = [params["url"] for method, params in emulator.calls if method == "webhook"][delivered_before:]
    assert len(urls) == 8 and set(urls) == set(targets)
    assert all(one != next_one for one, next_one in itertools.pairwise(urls)), urls
    async with db.session() as session:
        weapon = await session.scalar(select(Weapon).where(Weapon.name == "CZ Shadow 2"))
        reflection = await session.scalar(select(AiReflection).where(AiReflection.session_id == session_id))
        runs = list(await session.scalars(select(JobRun).order_by(JobRun.name)))
    assert weapon is not None
    assert (weapon.type, weapon.caliber, weapon.serial_number) == ("pistol", "9mm", "B123456")
    assert weapon.purchased_at == dt.date(2024, 3, 1) and weapon.notes == "Optics-ready"

    # Each job ran once: one claim row, one process ran it, the other found it done; one message each.
    assert [run.name for run in runs] == sorted([RECHECK_JOB, REMINDER_JOB, SWEEP_JOB])
    for name in (REMINDER_JOB, RECHECK_JOB, SWEEP_JOB):
        ran = [log for log in logs if re.search(rf"Job {name} for \S+: running in this process", log)]
        skipped = [log for log in logs if re.search(rf"Job {name} for \S+: already run by another", log)]
        assert (len(ran), len(skipped)) == (1, 1), name
    assert len(texts_with("Attendance reminder")) == 1
    assert len(texts_with("AI reflection")) == 1
    assert reflection.status is AiStatus.SUCCEEDED and reflection.attempts == 1
    assert reflection.claimed_at is None


async def test_processes_starting_together_migrate_one_at_a_time(
    empty_database_url: str, tmp_path: Path
) -> None:
    """Two `aimtrack migrate` (as `aimtrack run` migrates at start) released at the same moment: both wait
    for the migrations' lock, then one migrates and the other finds the schema at head. Without the lock
    they would not wait, and would race to create the same tables."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIMTRACK_")}
    env |= {"DATABASE_URL": empty_database_url, "AIMTRACK_DATA_DIR": str(tmp_path)}
    database = Database(empty_database_url)
    try:
        async with database.engine.connect() as holder:
            await holder.execute(select(func.pg_advisory_lock(MIGRATIONS_LOCK)))
            await holder.commit()
            migrations = asyncio.gather(*(_cli("migrate", env, tmp_path) for _ in range(2)))
            for _ in range(600):  # the processes start in a few seconds; up to 60 s on a busy machine
                if await _waiting_for_advisory_locks(database) == 2:
                    break
                if migrations.done():
                    pytest.fail(f"the migrations did not wait for the lock: {migrations.result()}")
                await asyncio.sleep(0.1)
            else:
                pytest.fail("the migrations did not wait for the lock")
            await holder.execute(select(func.pg_advisory_unlock(MIGRATIONS_LOCK)))
            await holder.commit()
        results = await asyncio.wait_for(migrations, timeout=60)
    finally:
        await database.dispose()
    assert [code for code, _ in results] == [0, 0], [log[-1500:] for _, log in results]
    await asyncio.to_thread(check, empty_database_url)


async def _waiting_for_advisory_locks(database: Database) -> int:
    async with database.session() as session:
        waiting = await session.scalar(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        )
    return int(waiting or 0)


async def _cli(command: str, env: dict[str, str], cwd: Path) -> tuple[int | None, str]:
    """Run `aimtrack <command>`; its exit code and log."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", command, env=env, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, log = await process.communicate()
    return process.returncode, log.decode()
