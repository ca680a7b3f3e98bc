"""Fixtures: a migrated database per test, the loopback Bot API emulator, and the real Application on it."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bot.app import AimTrackApplication, build_application
from bot.emulator import BotApiEmulator
from core.settings import Settings
from services.preferences import local_now
from storage.db import Database
from storage.migrations import upgrade
from tests.fakes.open_meteo import FakeOpenMeteo
from tests.postgres import PostgresCluster, find_bin_dir

BOT_TOKEN = "4242:emulated-token"
ALICE = 1001  # allowed in most tests
BOB = 1002  # another allowed user
MALLORY = 6666  # a stranger

BACKENDS = ["sqlite", "postgresql"]
# Modules whose database tests run on both backends (the others, and every test without a database, use
# SQLite only): the storage and the generation tests, the services that query, and the end-to-end tests of
# most features. Left out to keep `make test` short: the weapon, locker, photo and journey flows (their
# queries run on both in the service, packing-list and multi-process tests) and the Anthropic provider's.
BOTH_DATABASES = frozenset(
    {
        "test_attendance",
        "test_bot_e2e",
        "test_coach_e2e",
        "test_coach_service",
        "test_export",
        "test_journey_service",
        "test_log_session",
        "test_packing_generator",
        "test_packing_list",
        "test_sessions",
        "test_storage",
        "test_user_data",
        "test_weapons_service",
    }
)


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


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """The private PostgreSQL server of this run, with a migrated template database."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl) not found; `apt-get install postgresql`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = PostgresCluster(bin_dir)
    cluster.start()
    try:
        upgrade(cluster.create_template())
        yield cluster
    finally:
        cluster.stop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests of the modules in BOTH_DATABASES that use a database run once per backend."""
    module = metafunc.module.__name__.rpartition(".")[2]
    if "backend" in metafunc.fixturenames and module in BOTH_DATABASES:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """`sqlite` or `postgresql`; modules not in BOTH_DATABASES use SQLite only."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database of its own for this test."""
    if backend == "sqlite":
        shutil.copy(request.getfixturevalue("migrated_template"), tmp_path / "aimtrack.db")
        yield f"sqlite+aiosqlite:///{tmp_path / 'aimtrack.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    url = cluster.create_database()
    yield url
    cluster.drop_database(url)


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database (no tables) of this test's backend, for the migrations themselves."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    url = cluster.create_database(migrated=False)
    yield url
    cluster.drop_database(url)


@pytest.fixture
def data_dir(tmp_path: Path, database_url: str) -> Path:
    """The bot's data dir (attachments, exports); its database is `database_url`."""
    return tmp_path


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
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


@pytest.fixture
async def open_meteo() -> AsyncIterator[FakeOpenMeteo]:
    """A loopback Open-Meteo answering with Oslo's stored forecast, moved to run from today: cold (about
    3 °C) with rain chances up to 70 %; no archive (climate) unless a test adds one."""
    fake = FakeOpenMeteo()
    fake.use("forecast", "forecast_oslo.json", starting=local_now(None).date())
    await fake.start()
    yield fake
    await fake.stop()


StartBot = Callable[..., Awaitable[AimTrackApplication]]


@pytest.fixture
async def start_bot(data_dir: Path, database_url: str, emulator: BotApiEmulator) -> AsyncIterator[StartBot]:
    """Start the real Application polling the emulator; settings can be overridden per test."""
    started: list[AimTrackApplication] = []

    async def start(**overrides: object) -> AimTrackApplication:
        settings = make_settings(data_dir, emulator, **{"database_url": database_url, **overrides})
        application = build_application(settings)
        # The bot reports each update it has handled, so `emulator.settle()` waits for the slow ones too.
        emulator.state.handling = set()  # a restart forgets what the stopped bot had taken and not handled
        state = emulator.state
        application.after_update.append(lambda update: state.handled(getattr(update, "update_id", 0)))
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
