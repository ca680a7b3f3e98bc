"""Secrets and access: the token, the API key and the webhook secret never reach the log, even at DEBUG; the
webhook refuses requests without its secret or with a wrong one; a stranger's callbacks, photos,
documents, locations and free text are refused like commands; attachment paths cannot leave the data dir.
The claim is the database's: every process on it prints the same code and knows the one owner, and
wrong codes are answered once a minute per user and logged once per burst.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from bot import log_redaction
from bot.app import AimTrackApplication, build_application
from bot.cli import configure_logging
from bot.emulator import BotApiEmulator, Fault
from services.attachments import read_bytes, store_bytes
from storage.db import Database
from storage.migrations import upgrade
from storage.models import AttachableType, Attachment, ConversationState, PersistedData, User, Weapon
from tests.conftest import ALICE, BOB, BOT_TOKEN, MALLORY, StartBot, make_settings, stop_bot
from tests.fakes.anthropic_api import FakeAnthropic

TOKEN = "987654:SECRET-bot-token-aBcDeF"
API_KEY = "sk-ant-SECRET-api-key-123456"
WEBHOOK_SECRET = "SECRET-webhook-QrStUv"
SECRETS = (TOKEN, API_KEY, WEBHOOK_SECRET)
PROJECT = Path(__file__).resolve().parent.parent

# `aimtrack run` with the logging that cli.configure_logging sets up (the redaction included), then every
# logger turned up to DEBUG, the third-party ones that know the secrets first of all.
DEBUG_RUN = """
import logging, sys
from bot import cli

configure = cli.configure_logging

def everything_at_debug(level, redact=()):
    configure(logging.DEBUG, redact)
    for name in ("httpx", "httpcore", "telegram", "anthropic", "apscheduler", "tornado"):
        logging.getLogger(name).setLevel(logging.DEBUG)

cli.configure_logging = everything_at_debug
sys.exit(cli.main(["run"]))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def secret_emulator() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(token=TOKEN, bot_username="aimtrack_test_bot")
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def anthropic() -> AsyncIterator[FakeAnthropic]:
    fake = FakeAnthropic()
    await fake.start()
    yield fake
    await fake.stop()


def _update(text: str, update_id: int) -> dict[str, object]:
    user = {"id": ALICE, "is_bot": False, "first_name": "Alice"}
    message = {
        "message_id": 10_000 + update_id,
        "date": 0,
        "chat": {"id": ALICE, "type": "private", "first_name": "Alice"},
        "from": user,
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
    }
    return {"update_id": update_id, "message": message}


async def test_no_secret_reaches_the_log_at_debug_and_the_webhook_wants_its_secret(
    secret_emulator: BotApiEmulator, anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    emulator = secret_emulator
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "AIMTRACK_", "AI_"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "TELEGRAM_BASE_FILE_URL": emulator.base_file_url,
        "AIMTRACK_DATA_DIR": str(tmp_path),
        "AIMTRACK_ALLOWED_USERS": str(ALICE),
        "ANTHROPIC_API_KEY": API_KEY,
        "ANTHROPIC_BASE_URL": anthropic.base_url,
        "AI_MODEL": "claude-test",
        "AIMTRACK_WEBHOOK_URL": url,
        "AIMTRACK_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "AIMTRACK_LISTEN": f"127.0.0.1:{port}",
        "WEATHER_PROVIDER": "manual",
    }
    log_file = tmp_path / "stderr.log"
    with log_file.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", DEBUG_RUN, env=env, cwd=PROJECT,
            stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    try:
        await emulator.state.wait_for(lambda: emulator.state.webhook is not None, 60)
        alice = emulator.user(ALICE, first_name="Alice")
        assert "Hello Alice" in (await alice.ask("/start", timeout=30)).text
        assert (await alice.ask("How is my grip?", timeout=30)).text == "Keep your grip firm."
        key_headers = anthropic.headers[0].get("x-api-key", "") + anthropic.headers[0].get(
            "authorization", ""
        )
        assert API_KEY in key_headers, "the AI call was made, with the key"

        async with httpx.AsyncClient() as client:
            without = await client.post(url, json=_update("/help", 900))
            wrong = await client.post(
                url, json=_update("/help", 901), headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
            )
            right = await client.post(
                url, json=_update("/start", 902), headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            )
        assert (without.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
        assert "Hello Alice" in (await alice.next_message(timeout=30)).text, "the right secret is served"
        await emulator.settle(timeout=30)
        assert not any("What I can do" in (message.text or "") for message in alice.messages)
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), timeout=30)
    log = log_file.read_text(errors="replace")
    for evidence in ("HTTP Request: POST", "Calling Bot API endpoint", "anthropic", log_redaction.REDACTED):
        assert evidence in log, f"the run was logged at DEBUG: {evidence!r} is in it"
    for secret in SECRETS:
        assert secret not in log, f"{secret[:12]}… reached the log"


def test_the_redaction_covers_messages_arguments_and_tracebacks(tmp_path: Path) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    log = tmp_path / "log.txt"
    root.handlers = [logging.FileHandler(log)]
    try:
        configure_logging(logging.DEBUG, [TOKEN])
        logger = logging.getLogger("httpx")
        logger.setLevel(logging.DEBUG)
        logger.info("HTTP Request: POST http://x/bot%s/getMe", TOKEN)
        logger.debug(f"formatted {TOKEN}")  # a library may format it in itself
        try:
            raise RuntimeError(f"failed on /bot{TOKEN}/sendMessage")
        except RuntimeError:
            logging.getLogger("telegram").exception("boom")
        logging.getLogger("any").warning("malformed %s %s", TOKEN)
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers, _ = saved
        root.setLevel(saved[1])
        logging.getLogger("httpx").setLevel(logging.WARNING)
    text = log.read_text()
    assert TOKEN not in text and text.count(log_redaction.REDACTED) >= 4, text


async def count(db: Database, model: type, *conditions: object) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*conditions))


async def test_a_stranger_is_refused_whatever_they_send_and_nothing_is_kept(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    mallory = emulator.user(MALLORY, first_name="Mallory")
    chat = emulator.state.chat(MALLORY)
    # A message with a button from before (say, when the bot was shared): her first update is a tap.
    old = emulator.state.send_bot_message(
        chat,
        {"text": "old"},
        reply_markup={"inline_keyboard": [[{"text": "x", "callback_data": "set:lang:nl"}]]},
    )
    assert (await mallory.next_message()).text == "old"
    await mallory.tap(old.message_id, "x")
    refusal = await mallory.next_message()
    assert "private bot" in refusal.text
    await mallory.send_photo(b"\xff\xd8\xff\xe0 mallory's photo")
    await mallory.send_document(b"%PDF-1.4 mallory's file", "mallory.pdf", "application/pdf")
    await mallory.send_location(52.37, 4.89)
    typed = await mallory.send_text("Which weapons does Alice have?")
    await mallory.edit_text(typed["message_id"], "/start")
    await mallory.tap(refusal, "x", data=f"pk:open:{1}")
    await mallory.send_text("/start")
    await emulator.settle()

    assert [message.text for message in mallory.messages] == ["old", refusal.text], "one refusal, no more"
    assert len(mallory.callback_answers) == 2, "every tap is answered"
    assert not any(method == "getFile" for method, _ in emulator.calls), "her files were never fetched"
    assert await count(db, User) == 0
    assert await count(db, PersistedData) == 0
    assert await count(db, ConversationState) == 0
    assert await count(db, Attachment) == 0
    assert not (data_dir / "attachments").exists()


def test_an_attachment_path_cannot_leave_the_attachments_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stored = store_bytes(data_dir, b"\xff\xd8\xff\xe0 fine", "image/jpeg")
    assert read_bytes(data_dir, stored.path) == b"\xff\xd8\xff\xe0 fine"
    (data_dir / "aimtrack.db").write_bytes(b"the database")
    (tmp_path / "secret.txt").write_bytes(b"not the bot's")
    (data_dir / "attachments" / "link.jpg").symlink_to(tmp_path / "secret.txt")
    hostile = [
        "../secret.txt",
        "aimtrack.db",
        "attachments/../aimtrack.db",
        str(tmp_path / "secret.txt"),
        "attachments/link.jpg",
    ]
    for path in hostile:
        with pytest.raises(ValueError, match="outside"):
            read_bytes(data_dir, path)


async def test_a_hostile_stored_path_is_not_sent(
    bot: AimTrackApplication,
    emulator: BotApiEmulator,
    db: Database,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    photo = store_bytes(data_dir, b"\xff\xd8\xff\xe0 the target", "image/jpeg")
    async with db.session() as session:
        session.add(User(id=ALICE))
        await session.flush()
        weapon = Weapon(user_id=ALICE, name="Glock 17", type="pistol", caliber="9mm")
        session.add(weapon)
        await session.flush()
        for path, mime in (
            (photo.path, "image/jpeg"),
            ("attachments/../aimtrack.db", "application/pdf"),
            ("/etc/passwd", "application/pdf"),
        ):
            session.add(
                Attachment(
                    user_id=ALICE,
                    attachable_type=AttachableType.WEAPON,
                    attachable_id=weapon.id,
                    path=path,
                    sha256="0" * 64,
                    mime=mime,
                    size=1,
                    original_name=None,
                )
            )
        weapon_id = weapon.id
    alice = emulator.user(ALICE, first_name="Alice")
    menu = await alice.ask("/start")
    await alice.tap(menu, data=f"ph:w:{weapon_id}")
    shown = await alice.next_message()
    assert shown.photo == b"\xff\xd8\xff\xe0 the target"
    await emulator.settle()
    assert [message.message_id for message in alice.messages] == [menu.message_id, shown.message_id]
    assert not emulator.errors
    assert "Unhandled error" not in caplog.text
    assert caplog.text.count("is not sent: attachment path outside") == 2


@pytest.mark.parametrize("code", [401, 404])
async def test_a_token_telegram_rejects_at_start_is_never_printed(
    secret_emulator: BotApiEmulator, tmp_path: Path, code: int
) -> None:
    """getMe answered 401/404: PTB raises `InvalidToken: The token `…` was rejected`; the error goes through
    the redacting log, never raw to stderr, and the command exits non-zero saying what to check."""
    emulator = secret_emulator
    emulator.inject("getMe", Fault(code, "Unauthorized" if code == 401 else "Not Found"), times=100)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "AIMTRACK_", "AI_"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "TELEGRAM_BASE_FILE_URL": emulator.base_file_url,
        "AIMTRACK_DATA_DIR": str(tmp_path),
        "AIMTRACK_ALLOWED_USERS": str(ALICE),
        "WEATHER_PROVIDER": "manual",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys\nfrom bot import cli\nsys.exit(cli.main(['run']))",
        env=env, cwd=PROJECT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    output = (stdout + stderr).decode(errors="replace")
    assert any(name.lower() == "getme" for name, _ in emulator.calls), "Telegram was asked"
    assert TOKEN.split(":")[1] not in output, "the token reached stderr"
    assert process.returncode == 2, output[-2000:]
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in output
    assert "InvalidToken" in output and log_redaction.REDACTED in output, "the error is logged, redacted"


@contextlib.asynccontextmanager
async def second_process(data_dir: Path, database_url: str, **overrides: object) -> AsyncIterator[Second]:
    """Another bot process on the same database: an Application of its own, with its own memory, polling an
    emulator of its own (the same bot, as Telegram would deliver to either process)."""
    emulator = BotApiEmulator(token=BOT_TOKEN, bot_username="aimtrack_test_bot")
    await emulator.start()
    application = build_application(make_settings(data_dir, emulator, database_url=database_url, **overrides))
    emulator.state.handling = set()
    state = emulator.state
    application.after_update.append(lambda update: state.handled(getattr(update, "update_id", 0)))
    try:
        await application.initialize()
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        yield Second(application, emulator)
    finally:
        await stop_bot(application)
        await emulator.stop()


@dataclass(frozen=True)
class Second:
    application: AimTrackApplication
    emulator: BotApiEmulator


def claim_codes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return re.findall(r"claim it:  /start (\S+)", caplog.text)


async def claimed(db: Database) -> list[int]:
    async with db.session() as session:
        return list(await session.scalars(select(User.id).where(User.claimed_at.is_not(None))))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
async def test_the_claim_is_one_for_every_process_on_the_database(
    start_bot: StartBot,
    emulator: BotApiEmulator,
    db: Database,
    data_dir: Path,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    first = await start_bot(aimtrack_allowed_users=frozenset())
    async with second_process(data_dir, database_url, aimtrack_allowed_users=frozenset()) as second:
        [code, again] = claim_codes(caplog)
        assert again == code, "the second process prints the code the first made"
        alice_there = second.emulator.user(ALICE, first_name="Alice")
        assert "now the owner" in (await alice_there.ask(f"/start {code}")).text, "it works in the other"

        mallory = emulator.user(MALLORY, first_name="Mallory")
        assert "private bot" in (await mallory.ask(f"/start {code}")).text, "spent in the first too"
        alice_here = emulator.user(ALICE, first_name="Alice")
        assert "Hello Alice" in (await alice_here.ask("/start")).text, "the first knows its owner"
        await emulator.settle()
        assert await claimed(db) == [ALICE]
        assert await count(db, User, User.id == MALLORY) == 0

    await stop_bot(first)
    caplog.clear()
    await start_bot(aimtrack_allowed_users=frozenset())
    assert claim_codes(caplog) == [], "the owner survives the restart: no code"
    assert "Hello Alice" in (await alice_here.ask("/start")).text


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
async def test_two_claims_at_once_in_two_processes_make_one_owner(
    start_bot: StartBot,
    emulator: BotApiEmulator,
    db: Database,
    data_dir: Path,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    await start_bot(aimtrack_allowed_users=frozenset())
    async with second_process(data_dir, database_url, aimtrack_allowed_users=frozenset()) as second:
        [code, _] = claim_codes(caplog)
        alice = emulator.user(ALICE, first_name="Alice")
        bob = second.emulator.user(BOB, first_name="Bob")
        await asyncio.gather(alice.send_text(f"/start {code}"), bob.send_text(f"/start {code}"))
        answers = [(await alice.next_message(timeout=10)).text, (await bob.next_message(timeout=10)).text]
        await emulator.settle()
        await second.emulator.settle()
    assert sum("now the owner" in answer for answer in answers) == 1, answers
    assert sum("private bot" in answer for answer in answers) == 1, answers
    assert len(await claimed(db)) == 1


async def test_wrong_codes_are_answered_once_a_minute_and_logged_once_per_burst(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    application = await start_bot(aimtrack_allowed_users=frozenset())
    now = [1000.0]
    application.runtime.access.clock = lambda: now[0]
    mallory = emulator.user(MALLORY, first_name="Mallory")
    eve = emulator.user(MALLORY + 1, first_name="Eve")
    for guess in range(5):
        await mallory.send_text(f"/start guess{guess}")
    await eve.send_text("/start guess")
    await emulator.settle()
    assert ["not valid" in message.text for message in mallory.messages] == [True], "one answer"
    assert ["not valid" in message.text for message in eve.messages] == [True], "one for each user"
    assert caplog.text.count("A wrong claim code") == 1, "one line for the burst"

    now[0] += 61
    await mallory.send_text("/start guess5")
    await emulator.settle()
    assert len(mallory.messages) == 2, "a minute later she is answered again"
    assert caplog.text.count("A wrong claim code") == 2
    assert "(5 more since the last such line)" in caplog.text
    assert await count(db, User) == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_migration_keeps_the_first_of_two_owners(empty_database_url: str) -> None:
    """A database where two people claimed the bot (each process had a code of its own) keeps the first."""
    upgrade(empty_database_url, "0007")

    async def seed_and_read(seed: bool) -> list[int]:
        database = Database(empty_database_url)
        try:
            async with database.session() as session:
                if seed:
                    earlier = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
                    await session.execute(
                        text("INSERT INTO users (id, claimed_at) VALUES (:id, :at)"),
                        [
                            {"id": MALLORY, "at": earlier + dt.timedelta(days=1)},
                            {"id": ALICE, "at": earlier},
                            {"id": BOB, "at": None},
                        ],
                    )
            return await claimed(database)
        finally:
            await database.dispose()

    assert sorted(asyncio.run(seed_and_read(True))) == [ALICE, MALLORY]
    upgrade(empty_database_url)
    assert asyncio.run(seed_and_read(False)) == [ALICE]
