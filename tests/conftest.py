"""Fixtures: a migrated database per test, the loopback Bot API emulator, and the real Application on it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import AimTrackApplication, build_application
from bot.emulator import BotApiEmulator
from bot.settings import Settings
from storage.db import Database
from storage.migrations import upgrade

BOT_TOKEN = "4242:emulated-token"
ALICE = 1001  # allowed in most tests
BOB = 1002  # another allowed user
MALLORY = 6666  # a stranger


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's environment or .env."""
    for name in list(Settings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setitem(Settings.model_config, "env_file", None)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated to head per run; each test gets a copy (fast, and still the real migrations)."""
    path = tmp_path_factory.mktemp("template") / "aimtrack.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def data_dir(tmp_path: Path, migrated_template: Path) -> Path:
    shutil.copy(migrated_template, tmp_path / "aimtrack.db")
    return tmp_path


@pytest.fixture
async def db(data_dir: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{data_dir / 'aimtrack.db'}")
    yield database
    await database.dispose()


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    emu = BotApiEmulator(token=BOT_TOKEN, bot_username="aimtrack_test_bot")
    await emu.start()
    yield emu
    await emu.stop()


def make_settings(data_dir: Path, emulator: BotApiEmulator, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "telegram_bot_token": emulator.token,
        "telegram_base_url": emulator.base_url,
        "telegram_base_file_url": emulator.base_file_url,
        "aimtrack_data_dir": data_dir,
        "aimtrack_allowed_users": frozenset({ALICE, BOB}),
    }
    values.update(overrides)
    return Settings(**values)


StartBot = Callable[..., Awaitable[AimTrackApplication]]


@pytest.fixture
async def start_bot(data_dir: Path, emulator: BotApiEmulator) -> AsyncIterator[StartBot]:
    """Start the real Application polling the emulator; settings can be overridden per test."""
    started: list[AimTrackApplication] = []

    async def start(**overrides: object) -> AimTrackApplication:
        application = build_application(make_settings(data_dir, emulator, **overrides))
        await application.initialize()
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        started.append(application)
        return application

    yield start
    for application in reversed(started):
        await stop_bot(application)


async def stop_bot(application: AimTrackApplication) -> None:
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


@pytest.fixture
async def bot(start_bot: StartBot) -> AimTrackApplication:
    return await start_bot()
