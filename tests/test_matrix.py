"""The bot on Matrix, end to end against a real Synapse on 127.0.0.1 (tests/synapse.py).

Alice is allowed; Mallory is not. Each test has its own bot account, users and database.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.emulator import BotApiEmulator
from bot.matrix import serve_matrix
from core.settings import Settings, WeatherProvider
from services.preferences import local_now
from storage import matrix as accounts
from storage.db import Database
from storage.models import Attachment, GearJourneyItem, ShootingSession, User
from tests.conftest import ALICE, StartBot
from tests.synapse import Account, Person, Synapse, synapse_python
from tests.test_log_session import seed_weapons, small_jpeg

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    python = synapse_python()
    if python is None:
        message = "Synapse is not installed (.venv-synapse: `make test` makes it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = Synapse(python, tmp_path_factory.mktemp("synapse"))
    server.start()
    yield server
    server.stop()


def matrix_settings(settings: Settings) -> dict[str, object]:
    """The Matrix part of `settings`, for a Telegram bot that knows it serves Matrix too."""
    names = ("matrix_homeserver", "matrix_user_id", "matrix_access_token", "aimtrack_allowed_matrix_users")
    return {name: getattr(settings, name) for name in names}


class Bot:
    """`serve_matrix` as a task of the test's event loop; `start()` again after `stop()` is a restart."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.user_id = str(settings.matrix_user_id)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(serve_matrix(self.settings))
        await asyncio.sleep(0)

    async def stop(self) -> None:
        """Stop it; a bot that had stopped by itself fails the test with its error."""
        if self._task is not None:
            crashed = self._task.done()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            assert not crashed, "the bot stopped by itself"


@pytest.fixture
async def people(
    synapse: Synapse, tmp_path: Path, database_url: str
) -> AsyncIterator[tuple[Bot, Person, Person]]:
    bot_account: Account = await asyncio.to_thread(synapse.register, "aimtrack")
    alice = Person.of(synapse.url, await asyncio.to_thread(synapse.register, "alice"))
    mallory = Person.of(synapse.url, await asyncio.to_thread(synapse.register, "mallory"))
    settings = Settings(
        aimtrack_data_dir=tmp_path,
        database_url=database_url,
        matrix_homeserver=synapse.url,
        matrix_user_id=bot_account.user_id,
        matrix_access_token=bot_account.access_token,
        aimtrack_allowed_matrix_users=frozenset({alice.user_id}),
        weather_provider=WeatherProvider.MANUAL,
    )
    bot = Bot(settings)
    await bot.start()
    try:
        yield bot, alice, mallory
    finally:
        await bot.stop()
        await alice.close()
        await mallory.close()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the condition did not hold in time")
        await asyncio.sleep(0.2)


async def joined(person: Person, bot: Bot) -> Person:
    await person.open_room(bot.user_id)

    async def bot_is_in() -> bool:
        return bot.user_id in await person.members()

    await eventually(bot_is_in)
    return person


async def started(person: Person, bot: Bot, db: Database) -> int:
    """A direct room with the bot, and /start sent in it; returns the person's logbook id."""
    await joined(person, bot)
    await person.say("!start")
    await person.reply(bot.user_id)
    return await logbook_id(db, person)


def body(event: dict[str, Any]) -> str:
    return event["content"].get("body", "")


async def logbook_id(db: Database, person: Person) -> int:
    async with db.session() as session:
        account = await accounts.account(session, person.user_id)
    assert account is not None
    return account.user_id


async def test_an_allowed_invite_is_joined_a_strangers_ignored_and_start_answers(
    people: tuple[Bot, Person, Person], db: Database
) -> None:
    bot, alice, mallory = people
    await mallory.open_room(bot.user_id)
    await joined(alice, bot)
    assert bot.user_id not in await mallory.members(), "a stranger's invite is left alone"

    await alice.say("!start")
    welcome = await alice.reply(bot.user_id)
    assert "AimTrack" in body(welcome)
    assert "1. " in body(welcome), "the menu's buttons come as numbered lines"
    await alice.say("/help")
    assert "/log" in body(await alice.reply(bot.user_id))
    await alice.say("How is my shooting going?")  # free text outside a flow: the coach answers
    assert "You have not logged any sessions yet" in (await alice.said(bot.user_id, "sessions"))["body"]

    async with db.session() as session:
        users = (await session.scalars(select(User))).all()
    assert [user.id for user in users] == [await logbook_id(db, alice)], "nothing of Mallory is stored"


async def test_a_full_log_by_numbers_text_and_reactions(
    people: tuple[Bot, Person, Person], db: Database
) -> None:
    bot, alice, _ = people
    user_id = await started(alice, bot, db)
    await seed_weapons(db, user_id, ("Glock 17", "9mm"), ("CZ Shadow 2", "9mm"))

    await alice.say("!log")
    day = await alice.reply(bot.user_id)
    assert "Which day did you shoot" in body(day)
    await alice.react(day["event_id"], "1️⃣")  # "Today", as a reaction
    assert "club or range" in body(await alice.reply(bot.user_id))
    await alice.say("SV De Roos")
    assert "Skip" in body(await alice.reply(bot.user_id))
    await alice.say("Utrecht")
    weapon = await alice.reply(bot.user_id)
    assert "1. CZ Shadow 2 (9mm)" in body(weapon) and "2. Glock 17 (9mm)" in body(weapon)
    await alice.say("2")
    distance = await alice.reply(bot.user_id)
    assert "the Glock 17" in body(distance)
    await alice.say("25 m")  # an option's text
    await alice.reply(bot.user_id)
    await alice.say("'50")  # ' sends a number as text, whatever the menu
    caliber = await alice.reply(bot.user_id)
    assert "Use 9mm" in body(caliber)
    await alice.say("1")
    assert "from 0 to 545" in body(await alice.reply(bot.user_id))
    await alice.say("471")
    await alice.reply(bot.user_id)
    await alice.say("low left")
    more = await alice.reply(bot.user_id)
    assert "1 entries, 50 shots" in body(more)
    await alice.say("Done")
    await alice.reply(bot.user_id)  # ammunition
    await alice.say("Geco")
    await alice.reply(bot.user_id)  # weather
    await alice.say("Sunny")
    for answer in ("19:00", "21:00", "Calm.", "Keep the wrist firm."):
        await alice.reply(bot.user_id)
        await alice.say(answer)
    await alice.reply(bot.user_id)  # competition
    await alice.say("No")
    discipline = await alice.reply(bot.user_id)
    await alice.say("1")
    summary = await alice.reply(bot.user_id)
    assert "Glock 17 · 25 m · 50 shots · 9mm" in body(summary) and "score 471" in body(summary)
    await alice.say("Save")
    assert "Saved: the session of" in body(await alice.reply(bot.user_id))

    async with db.session() as session:
        [row] = (await session.scalars(select(ShootingSession))).all()
    assert (row.user_id, row.club, row.location, row.ammo_brand) == (user_id, "SV De Roos", "Utrecht", "Geco")
    assert discipline is not None


async def test_the_quick_log_a_photo_and_an_encrypted_room(
    people: tuple[Bot, Person, Person], db: Database, synapse: Synapse
) -> None:
    bot, alice, _ = people
    user_id = await started(alice, bot, db)
    await seed_weapons(db, user_id, ("Glock 17", "9mm"))

    await alice.say("log 25m glock 50 shots 471")
    confirmation = await alice.reply(bot.user_id)
    assert "Quick log" in body(confirmation) and "1. 💾 Save" in body(confirmation)
    await alice.react(confirmation["event_id"], "1️⃣")
    assert "✅ Saved." in (await alice.edit(bot.user_id))["body"]

    photo = small_jpeg()
    url = await alice.upload(photo, "target.jpg", "image/jpeg")
    await alice.send({"msgtype": "m.image", "body": "target.jpg", "url": url, "info": {"size": len(photo)}})
    question = await alice.said(bot.user_id, "Where does this file belong?")
    assert "1. 🎯 Latest session" in question["body"]
    await alice.say("1")
    assert "✅ Attached to the session of" in (await alice.edit(bot.user_id))["body"]
    async with db.session() as session:
        [stored] = (await session.scalars(select(Attachment))).all()
    assert (stored.user_id, stored.size, stored.mime) == (user_id, len(photo), "image/jpeg")

    too_big = {"msgtype": "m.image", "body": "huge.jpg", "url": url, "info": {"size": 200 * 2**20}}
    await alice.send(too_big)
    assert "I take files up to 20 MB" in (await alice.reply(bot.user_id))["content"]["body"]

    await alice.say("!link 12345678")  # a logbook of her own on Matrix is not hidden by a link
    assert "You already keep a logbook here" in (await alice.reply(bot.user_id))["content"]["body"]

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    url = await alice.upload(pdf, "licence.pdf", "application/pdf")
    await alice.send({"msgtype": "m.file", "body": "licence.pdf", "url": url, "info": {"size": len(pdf)}})
    assert "Where does this file belong?" in (await alice.said(bot.user_id, "belong"))["body"]

    # An encrypted room: the bot joins (Alice is allowed) and says it cannot read it.
    secret = Person(alice.client)
    await secret.open_room(bot.user_id, encrypted=True)
    assert "end-to-end encrypted" in (await secret.said(bot.user_id, "encrypted"))["body"]
    await secret.send({"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEn"}, kind="m.room.encrypted")
    assert "end-to-end encrypted" in (await secret.said(bot.user_id, "encrypted"))["body"]


async def test_a_journey_and_its_packing_list_by_number_and_by_reaction(
    people: tuple[Bot, Person, Person], db: Database
) -> None:
    from tests.test_journeys import seed_locker

    bot, alice, _ = people
    user_id = await started(alice, bot, db)
    await seed_locker(db, user_id)
    tomorrow = local_now(None).date() + dt.timedelta(days=1)

    await alice.say("!journey")
    await alice.said(bot.user_id, "Where are you going?")
    await alice.say("Oslo")
    await alice.said(bot.user_id, "1. Oslo, Norway")
    await alice.say("1")
    await alice.said(bot.user_id, "When do you leave?")
    await alice.say(tomorrow.isoformat())
    await alice.said(bot.user_id, "when do you come back?")
    await alice.say(tomorrow.isoformat())
    await alice.said(bot.user_id, "Who is coming along?")
    await alice.say("Done")
    await alice.said(bot.user_id, "Mild")  # no forecast without the internet: the user is asked
    await alice.say("Mild")
    await alice.said(bot.user_id, "Do you expect rain?")
    await alice.say("No")
    packing = await alice.said(bot.user_id, "Departure 0/")
    assert "(1d)" in packing["body"] and "(1r)" in packing["body"]

    await alice.say("1")  # the bare number: departure
    assert "Departure 1/" in (await alice.edit(bot.user_id))["body"]
    await alice.say("1r")
    assert "Return 1/" in (await alice.edit(bot.user_id))["body"]
    await alice.react(packing["event_id"], "2️⃣")
    assert "Departure 2/" in (await alice.edit(bot.user_id))["body"]

    await alice.say("!journey")  # a shared location is a destination too
    await alice.said(bot.user_id, "Where are you going?")
    await alice.send({"msgtype": "m.location", "body": "Range", "geo_uri": "geo:52.3702,4.8952"})
    assert "Destination: 📍 52.37, 4.90" in (await alice.said(bot.user_id, "Destination"))["body"]

    async with db.session() as session:
        ticked = await session.scalar(
            select(func.count()).where(GearJourneyItem.packed_for_departure.is_(True))
        )
        returned = await session.scalar(
            select(func.count()).where(GearJourneyItem.packed_for_return.is_(True))
        )
    assert (ticked, returned) == (2, 1)


async def test_export_returns_a_pdf_file_event(people: tuple[Bot, Person, Person], db: Database) -> None:
    bot, alice, _ = people
    user_id = await started(alice, bot, db)
    await seed_weapons(db, user_id, ("Glock 17", "9mm"))
    await alice.say("log 25m glock 50 shots 471")
    await alice.reply(bot.user_id)
    await alice.say("1")
    await alice.edit(bot.user_id)
    await alice.said(bot.user_id, "AI reflection")

    await alice.say("!export")
    period = await alice.reply(bot.user_id)
    assert "1. " in body(period)
    await alice.say("1")  # the last 12 months
    weapons = await alice.said(bot.user_id, "Which weapons?")
    assert "1. ✅ Glock 17" in weapons["body"]
    await alice.say("Next")
    await alice.said(bot.user_id, "PDF")
    await alice.say("PDF")
    document = await alice.next_from(bot.user_id, lambda e: e["content"].get("msgtype") == "m.file")
    assert body(document).endswith(".pdf") and document["content"]["url"].startswith("mxc://")
    downloaded = await alice.client.download(mxc=document["content"]["url"])
    assert downloaded.body.startswith(b"%PDF")

    await alice.say("!stats")  # charts come as images
    await alice.said(bot.user_id, "Which chart would you like?")
    await alice.say("2")  # rounds per month
    chart = await alice.next_from(bot.user_id, lambda e: e["content"].get("msgtype") == "m.image")
    image = await alice.client.download(mxc=chart["content"]["url"])
    assert image.body.startswith(b"\x89PNG")


async def test_a_restart_neither_repeats_nor_loses_a_message(
    people: tuple[Bot, Person, Person], db: Database
) -> None:
    bot, alice, _ = people
    await joined(alice, bot)
    await alice.say("!help")
    await alice.reply(bot.user_id)
    await asyncio.sleep(1)  # the batch's token is saved once its update is handled
    await bot.stop()
    await alice.say("!start")  # sent while the bot is down
    await bot.start()
    welcome = await alice.reply(bot.user_id)
    assert "AimTrack" in body(welcome)
    await alice.say("!help")
    help_again = await alice.reply(bot.user_id)
    assert "/log" in body(help_again)
    replies = [
        event
        for event in alice.events
        if event.get("sender") == bot.user_id
        and event.get("type") == "m.room.message"
        and "m.new_content" not in event["content"]
    ]
    assert len(replies) == 3, [body(event)[:40] for event in replies]


async def test_a_link_code_from_telegram_opens_the_same_logbook_on_matrix(
    people: tuple[Bot, Person, Person], db: Database, start_bot: StartBot, emulator: BotApiEmulator
) -> None:
    bot, alice, _ = people
    await start_bot(**matrix_settings(bot.settings))
    await seed_weapons(db, ALICE, ("Glock 17", "9mm"))
    telegram = emulator.user(ALICE, first_name="Alice")
    await joined(alice, bot)

    await alice.say("!link")
    assert "send /link to the bot in Telegram" in (await alice.reply(bot.user_id))["content"]["body"]
    await alice.say("!link 1234 5678")
    assert "unknown, used or expired" in (await alice.reply(bot.user_id))["content"]["body"]
    answer = await telegram.ask("/link")
    code = answer.text.split("Your link code: ")[1][:8]
    assert f"!link {code}" in answer.text
    await alice.say(f"!link {code[:4]} {code[4:]}")
    assert "Linked" in (await alice.reply(bot.user_id))["content"]["body"]
    await alice.say(f"!link {code}")
    assert "unknown, used or expired" in (await alice.reply(bot.user_id))["content"]["body"], "once only"

    await alice.say("log 25m glock 50 shots 471")  # Alice's Telegram weapon, from Matrix
    assert "Glock 17 · 25 m · 50 shots" in (await alice.reply(bot.user_id))["content"]["body"]
    await alice.say("1")
    await alice.edit(bot.user_id)
    async with db.session() as session:
        [row] = (await session.scalars(select(ShootingSession))).all()
    assert row.user_id == ALICE, "the session is in the Telegram user's logbook"


async def test_telegram_and_matrix_side_by_side_in_one_process(
    synapse: Synapse, emulator: BotApiEmulator, data_dir: Path, database_url: str
) -> None:
    """`aimtrack run` with a Telegram token and a Matrix account serves both."""
    bot_account = await asyncio.to_thread(synapse.register, "aimtrack")
    alice = Person.of(synapse.url, await asyncio.to_thread(synapse.register, "alice"))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "AIMTRACK_"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "TELEGRAM_BASE_FILE_URL": emulator.base_file_url,
        "DATABASE_URL": database_url,
        "AIMTRACK_DATA_DIR": str(data_dir),
        "AIMTRACK_ALLOWED_USERS": str(ALICE),
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER_ID": bot_account.user_id,
        "MATRIX_PASSWORD": bot_account.password,
        "AIMTRACK_ALLOWED_MATRIX_USERS": alice.user_id,
        "WEATHER_PROVIDER": "manual",
    }
    log_path = data_dir / "bot.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=data_dir,
            stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
    try:
        telegram = emulator.user(ALICE, first_name="Alice")
        assert "AimTrack" in (await telegram.ask("/start", timeout=60)).text
        await alice.open_room(bot_account.user_id)
        await alice.say("!start")
        assert "AimTrack" in body(await alice.reply(bot_account.user_id, timeout=60))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), timeout=20)
        except TimeoutError:
            process.kill()
            await process.wait()
        await alice.close()
    log_text = log_path.read_text()
    assert process.returncode == 0, log_text[-2000:]
    assert bot_account.password not in log_text and emulator.token not in log_text


async def test_a_room_with_someone_else_in_it_gets_one_notice_and_nothing_else(
    people: tuple[Bot, Person, Person], db: Database
) -> None:
    bot, alice, mallory = people
    await started(alice, bot, db)
    await alice.client.room_invite(alice.room_id, mallory.user_id)
    await alice.say("!weapons")
    notice = await alice.reply(bot.user_id)
    assert "private chats only" in body(notice), "invited is enough: she could join and read"
    await mallory.client.join(alice.room_id)
    await alice.say("!mydata")
    await alice.say("!weapons")

    await alice.client.room_kick(alice.room_id, mallory.user_id)
    await alice.say("/help")
    assert "/log" in body(await alice.reply(bot.user_id)), "nothing came between the notice and this"
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1
