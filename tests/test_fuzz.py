"""Fuzz: a few thousand random updates from three users, through the emulator, to the real bot.

ALICE and BOB are allowed and start with data of their own in which every name, serial, note and file
carries the user's marker; MALLORY is a stranger. Each user acts on a seeded RNG of their own, all three at
the same time: commands (every one of /help's and some junk), answers and junk text, taps on the newest and
on old messages, callback_data forged from the buttons the bot sent to the OTHER users, mutated ids, junk
data, double taps, photos, albums, documents, locations and edits of old messages.

The run passes when no update reached the error handler (nothing was logged at ERROR), every message of an
allowed user got an answer (a new message or an edit in the chat; the edit of an old message needs none)
and every tap was answered, SQLite's integrity and foreign-key checks are clean, the stranger got one
refusal and left nothing behind, and no marker of one user is in anything the bot showed another: texts,
buttons, tap answers, and the files it sent (zips and PDFs are opened).

CI runs one fixed seed, so that a red run is this change's and not the dice's; elsewhere each run draws a new
one, so that local runs keep exploring. Replay a run with AIMTRACK_FUZZ_SEED=<seed> (printed on failure);
AIMTRACK_FUZZ_ACTIONS sets the number of actions per user.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
import os
import random
import re
import sqlite3
import string
import traceback
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from PIL import Image
from pypdf import PdfReader

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from bot.emulator.driver import EmulatedUser
from bot.emulator.state import ChatState, EmulatorState, StoredMessage
from handlers.start import COMMANDS
from services.attachments import store_bytes
from services.packing.conditions import WeatherForecast, WeatherSource
from services.packing.generator import regenerate
from services.packing.journeys import pick_match
from services.preferences import local_now
from services.validation import InvalidInput
from services.weather import OpenMeteo
from storage.coach import add_message, new_thread
from storage.db import Database
from storage.journeys import create_journey
from storage.locker import create_category, create_item
from storage.models import (
    AttachableType,
    Attachment,
    CoachRole,
    SessionWeaponEntry,
    ShootingSession,
    User,
    Weapon,
)
from tests.conftest import ALICE, BOB, MALLORY, StartBot
from tests.fakes.open_meteo import FakeOpenMeteo

CI_SEED = 20261201
SEED = int(
    os.environ.get("AIMTRACK_FUZZ_SEED")
    or (CI_SEED if os.environ.get("CI") else random.SystemRandom().randrange(2**32))
)
ACTIONS_PER_USER = int(os.environ.get("AIMTRACK_FUZZ_ACTIONS") or 650)
ANSWER_TIMEOUT = 20.0  # generous: the machine may be busy; a missing answer costs this once
MAX_FAILURES = 5  # stop early once the run has clearly failed
TODAY = local_now(None).date()
PROJECT = Path(__file__).resolve().parent.parent


@dataclass
class Person:
    user_id: int
    first_name: str
    language: str
    marker: str  # in everything this person owns or types; must never reach anyone else
    allowed: bool
    rng: random.Random
    user: EmulatedUser = field(init=False)
    queries: list[str] = field(default_factory=list)  # callback query ids of this person's taps
    uploads: list[bytes] = field(default_factory=list)
    actions: int = 0
    commands: list[str] = field(default_factory=list)  # still to send in this round of all commands


def people(seed: int) -> tuple[Person, ...]:
    """Alice, Bob and Mallory, each with an RNG of their own drawn from `seed`."""
    cast = [
        (ALICE, "Alice", "en", "Qalicex", True),
        (BOB, "Bob", "nl", "Qbobbyx", True),
        (MALLORY, "Mallory", "en", "Qmallox", False),
    ]
    return tuple(
        Person(user_id, name, language, marker, allowed, random.Random(f"{seed}:{user_id}"))
        for user_id, name, language, marker, allowed in cast
    )


# --- files with a marker inside ----------------------------------------------------------------------------


def jpeg(marker: str, shade: int) -> bytes:
    """A real JPEG (readable by PIL and fpdf2) with the marker in a comment segment."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (shade % 256, 80, 160)).save(buffer, "JPEG")
    data = buffer.getvalue()
    comment = f"{marker} {shade}".encode()
    return data[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + data[2:]


def png(marker: str, shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (6, 6), (20, shade % 256, 90)).save(buffer, "PNG")
    return buffer.getvalue() + marker.encode()  # trailing bytes: PIL still reads it


def documents(marker: str, number: int) -> list[tuple[bytes, str, str | None]]:
    """(data, file name, mime type): accepted, refused, lying and hostile ones."""
    return [
        (f"%PDF-1.4 {marker} score card {number}".encode(), f"{marker}-card.pdf", "application/pdf"),
        (png(marker, number), f"{marker}.png", "image/png"),
        (f"{marker} plain text {number}".encode(), "notes.txt", "text/plain"),
        (f"not a jpeg {marker} {number}".encode(), "broken.jpg", "image/jpeg"),
        (jpeg(marker, number), "../../etc/passwd", "image/jpeg"),
        (f"{marker} {number}".encode(), "noname", None),
    ]


# --- what people type --------------------------------------------------------------------------------------

JUNK_COMMANDS = [
    "/foo",
    "/start@aimtrack_test_bot",
    "/help@other_bot",
    "/log extra words",
    "/start deep-link",
]
ANSWERS = [
    "0", "1", "25", "50", "100", "471", "-3", "9999999999", "3.5", "1e3", "10 000",
    "today", "yesterday", "vandaag", "21-11", "2026-11-21", "31-02-2026", "1-1-1900", "12/12/30",
    "19:30", "25:99", "8", "yes", "no", "ja", "skip", "Oslo", "Amsterdam", "Parijs", "Utrecht", "Xyzzyville",
    "9mm", ".22 LR", "pistol", "rifle", "low left", "How is my grip?", "What should I train next?",
    "log 25m glock 50 shots 471", "log 10m 30 shots", "log", "adult", "child",
]  # fmt: skip
JUNK = [
    "<b>bold</b>",
    "a & b",
    "</i>",
    "<script>x</script>",
    "&amp;",
    "😀🎯",
    "\u202eevil",
    "zero\u200bwidth",
]


def random_text(person: Person) -> str:
    """A command (each of /help's in turn, in a shuffled order, and junk ones), an answer, or junk."""
    rng, marker = person.rng, person.marker
    roll = rng.random()
    if roll < 0.1:
        if not person.commands:
            person.commands = rng.sample(COMMANDS + JUNK_COMMANDS, len(COMMANDS) + len(JUNK_COMMANDS))
        return person.commands.pop()
    if roll < 0.55:
        return rng.choice(ANSWERS)
    if roll < 0.75:
        return (
            f"{marker} {rng.choice(['Glock', 'club', 'range', 'note', 'socks', 'tent'])} {rng.randint(1, 99)}"
        )
    if roll < 0.8:
        return f"log 25m {marker} {rng.randint(1, 99)} shots {rng.randint(0, 999)}"
    if roll < 0.9:
        return rng.choice(JUNK) + f" {marker}"
    if roll < 0.97:
        alphabet = string.ascii_letters + string.digits + string.punctuation + " éß中\n"
        return marker + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80)))
    return (marker + " " + "x" * rng.randint(100, 4090))[:4096]


# --- the data each allowed person starts with ---------------------------------------------------------------


async def seed_person(db: Database, data_dir: Path, person: Person) -> int:
    """A weapon, a session with an entry and photos, a locker, a journey with its list (its id is returned),
    a coach thread."""
    m = person.marker
    photo = store_bytes(data_dir, jpeg(m, 1), "image/jpeg")
    async with db.session() as session:
        session.add(User(id=person.user_id, display_name=person.first_name, licence_number=f"{m}42"))
        await session.flush()
        weapon = Weapon(
            user_id=person.user_id,
            name=f"{m} Pistol",
            type="pistol",
            caliber="9mm",
            serial_number=f"{m}-SN-1",
            storage_location=f"{m} safe",
            notes=f"{m} weapon note",
        )
        run = ShootingSession(
            user_id=person.user_id,
            date=TODAY - dt.timedelta(days=3),
            club=f"{m} Club",
            location=f"{m} range",
            raw_notes=f"{m} session note",
            manual_reflection=f"{m} reflection",
        )
        session.add_all([weapon, run])
        await session.flush()
        session.add(
            SessionWeaponEntry(
                session_id=run.id,
                weapon_id=weapon.id,
                distance_m=25,
                shot_count=50,
                score=450,
                ammo_caliber="9mm",
                grouping_note=f"{m} grouping",
            )
        )
        for kind, owner in ((AttachableType.SESSION, run.id), (AttachableType.WEAPON, weapon.id)):
            session.add(
                Attachment(
                    user_id=person.user_id,
                    attachable_type=kind,
                    attachable_id=owner,
                    path=photo.path,
                    sha256=photo.sha256,
                    mime=photo.mime,
                    size=photo.size,
                    original_name=f"{m}-target.jpg",
                )
            )
        category = await create_category(session, person.user_id, f"{m} Bags")
        await create_item(session, person.user_id, name=f"{m} Backpack", category_id=category.id, quantity=1)
        await create_item(session, person.user_id, name=f"{m} Socks", quantity_per_day=1.0, quantity=1)
        journey = await create_journey(
            session,
            person.user_id,
            destination=f"{m} Oslo",
            latitude=Decimal("59.91"),
            longitude=Decimal("10.75"),
            starts_at=TODAY + dt.timedelta(days=5),
            ends_at=TODAY + dt.timedelta(days=8),
            participants=["adult"],
            weather=WeatherForecast(4.0, 60.0, WeatherSource.FORECAST).to_json(),
        )
        await regenerate(session, journey)
        thread = await new_thread(session, person.user_id, topic=f"{m} topic")
        await add_message(session, person.user_id, thread.id, CoachRole.USER, f"{m} asked the coach")
        return journey.id


# --- acting ---------------------------------------------------------------------------------------------


class Run:
    """The three people acting at once, and what went wrong."""

    def __init__(self, emulator: BotApiEmulator, cast: tuple[Person, ...]) -> None:
        self.emulator = emulator
        self.people = cast
        self.state: EmulatorState = emulator.state
        self.failures: list[str] = []
        self.sent_updates = 0

    def chat(self, person: Person) -> ChatState:
        return self.state.chats[person.user_id]

    def fail(self, person: Person, what: str) -> None:
        self.failures.append(f"{person.first_name}, action {person.actions}: {what}")

    async def warm_up(self, person: Person, journey_id: int | None) -> None:
        """Open the screens that list one's rows, so that the others have their buttons to forge."""
        for command in ("/weapons", "/sessions", "/journeys", "/locker", "/coach", "/start"):
            await self._say(person, command)
        if journey_id is not None:
            await self._tap(
                person, self._bot_messages(person)[-1].message_id, f"pk:open:{journey_id}", "open"
            )

    async def _say(self, person: Person, text: str) -> None:
        before = self._output(person)
        await person.user.send_text(text)
        self.sent_updates += 1
        if person.allowed:
            await self._wait(person, f"the text {text!r}", lambda: self._output(person) != before)

    async def act(self, person: Person, count: int) -> None:
        for _ in range(count):
            if len(self.failures) >= MAX_FAILURES:
                return
            person.actions += 1
            action = self._choose(person)
            before = self._output(person)
            description, expects_reply = await action(person)
            if expects_reply and person.allowed:
                await self._wait(person, description, lambda b=before: self._output(person) != b)

    def _output(self, person: Person) -> tuple[int, int]:
        chat = self.chat(person)
        return len(chat.sent), len(chat.edits)

    def _choose(self, person: Person) -> Callable:
        """Mostly what a person does (tap the newest buttons, or answer what was asked), and every so often
        something nobody should do."""
        rng = person.rng
        own = self._bot_messages(person)
        has_buttons = bool(self._buttons(own[-3:]))
        if own and rng.random() < (0.6 if has_buttons else 0.15):
            return rng.choices(
                [
                    self.tap_newest,
                    self.tap_old,
                    self.tap_forged,
                    self.tap_mutated,
                    self.tap_junk,
                    self.double_tap,
                ],
                weights=[50 if has_buttons else 0, 8, 10, 4, 1, 2],
            )[0]
        return rng.choices(
            [
                self.type_text,
                self.send_photo,
                self.send_album,
                self.send_document,
                self.send_location,
                self.edit_old,
            ],
            weights=[85, 4, 2, 4, 2, 3],
        )[0]

    async def _wait(self, person: Person, description: str, done: Callable[[], bool]) -> None:
        try:
            await self.state.wait_for(done, ANSWER_TIMEOUT)
        except TimeoutError:
            self.fail(person, f"no answer within {ANSWER_TIMEOUT}s to {description}")

    # messages

    async def type_text(self, person: Person) -> tuple[str, bool]:
        text = random_text(person)
        await person.user.send_text(text)
        self.sent_updates += 1
        return f"the text {text[:60]!r}", True

    async def send_photo(self, person: Person) -> tuple[str, bool]:
        data = jpeg(person.marker, person.rng.randint(0, 10_000))
        person.uploads.append(data)
        caption = person.rng.choice([None, f"{person.marker} caption"])
        await person.user.send_photo(data, caption=caption)
        self.sent_updates += 1
        return "a photo", True

    async def send_album(self, person: Person) -> tuple[str, bool]:
        """Two or three photos in one media group, as Telegram delivers an album: one update each."""
        chat = self.chat(person)
        group = f"album{person.rng.randint(0, 10**9)}"
        for _ in range(person.rng.randint(2, 3)):
            data = jpeg(person.marker, person.rng.randint(0, 10_000))
            person.uploads.append(data)
            photo = self.state.store_file(data, "photo", mime_type="image/jpeg")
            self.state.user_message(chat, {"photo": photo.photo_json(), "media_group_id": group})
            self.sent_updates += 1
        return "an album", True

    async def send_document(self, person: Person) -> tuple[str, bool]:
        data, name, mime = person.rng.choice(documents(person.marker, person.rng.randint(0, 10_000)))
        person.uploads.append(data)
        await person.user.send_document(data, name, mime)
        self.sent_updates += 1
        return f"the document {name} ({mime})", True

    async def send_location(self, person: Person) -> tuple[str, bool]:
        rng = person.rng
        latitude, longitude = rng.choice(
            [
                (52.37, 4.89),
                (59.91, 10.75),
                (0.0, 0.0),
                (90.0, 180.0),
                (-90.0, -180.0),
                (rng.uniform(-90, 90), rng.uniform(-180, 180)),
            ]
        )
        await person.user.send_location(latitude, longitude)
        self.sent_updates += 1
        return f"the location {latitude:.2f},{longitude:.2f}", True

    async def edit_old(self, person: Person) -> tuple[str, bool]:
        """An edit needs no answer, but must not break anything."""
        mine = [
            message.message_id
            for message in self.chat(person).messages.values()
            if not message.from_bot and "text" in message.data
        ]
        if not mine:
            return await self.type_text(person)
        await person.user.edit_text(person.rng.choice(mine), random_text(person))
        self.sent_updates += 1
        return "an edit", False

    # taps

    def _buttons(self, messages: list[StoredMessage]) -> list[tuple[int, str]]:
        return [
            (message.message_id, button["callback_data"])
            for message in messages
            for row in message.data.get("reply_markup", {}).get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        ]

    def _bot_messages(self, person: Person) -> list[StoredMessage]:
        return [message for message in self.chat(person).messages.values() if message.from_bot]

    async def _tap(self, person: Person, message_id: int, data: str, description: str) -> tuple[str, bool]:
        query_id = await person.user.tap(message_id, data=data)
        person.queries.append(query_id)
        self.sent_updates += 1
        answers = self.chat(person).callback_answers
        await self._wait(
            person,
            f"{description} {data!r}",
            lambda: any(answer.get("callback_query_id") == query_id for answer in answers[-8:]),
        )
        return description, False

    async def tap_newest(self, person: Person) -> tuple[str, bool]:
        messages = self._bot_messages(person)
        buttons = next((self._buttons([m]) for m in reversed(messages[-3:]) if self._buttons([m])), [])
        if not buttons:
            return await self.tap_junk(person)
        message_id, data = person.rng.choice(buttons)
        return await self._tap(person, message_id, data, "a tap on")

    async def tap_old(self, person: Person) -> tuple[str, bool]:
        buttons = self._buttons(self._bot_messages(person))
        if not buttons:
            return await self.tap_junk(person)
        message_id, data = person.rng.choice(buttons)
        return await self._tap(person, message_id, data, "a tap on an old message with")

    async def tap_forged(self, person: Person) -> tuple[str, bool]:
        """Data from a button the bot sent to somebody else, tapped on one's own message."""
        others = [
            data
            for other in self.people
            if other is not person and other.user_id in self.state.chats
            for _, data in self._buttons(self._bot_messages(other))
        ]
        if not others:
            return await self.tap_mutated(person)
        # Each kind of button as likely as another (a packing list has dozens), mostly those naming a row.
        kinds: dict[str, list[str]] = {}
        for data in others:
            kinds.setdefault(re.sub(r"\d+", "#", data), []).append(data)
        naming = [kind for kind in kinds if "#" in kind]
        kind = person.rng.choice(naming if naming and person.rng.random() < 0.8 else list(kinds))
        target = person.rng.choice(self._bot_messages(person)).message_id
        return await self._tap(person, target, person.rng.choice(kinds[kind]), "a forged tap with")

    async def tap_mutated(self, person: Person) -> tuple[str, bool]:
        buttons = self._buttons(self._bot_messages(person))
        if not buttons:
            return await self.tap_junk(person)
        message_id, data = person.rng.choice(buttons)
        numbers = ["0", "1", "2", "3", "4", "-1", "999999999999999999", "18446744073709551616", "²"]
        mutated = re.sub(r"\d+", lambda _: person.rng.choice(numbers), data)
        if mutated == data:
            mutated = data + person.rng.choice([":1", ":x", "::", ""]) or data[:-1]
        return await self._tap(
            person, message_id, mutated.encode()[:64].decode(errors="ignore") or "x", "a tap with"
        )

    async def tap_junk(self, person: Person) -> tuple[str, bool]:
        messages = self._bot_messages(person)
        if not messages:
            return await self.type_text(person)
        rng = person.rng
        junk = rng.choice(
            [
                "".join(rng.choice(string.printable.strip()) for _ in range(rng.randint(1, 64))),
                rng.choice(
                    ["x", ":", "pk:", "wp:", "ss:", "lf:", "jf:", "ph:to:s:", "ai:ref:", "co:w:", "set:"]
                ),
                "é中" * rng.randint(1, 10),
            ]
        )
        junk = junk.encode()[:64].decode(errors="ignore") or "x"
        return await self._tap(person, rng.choice(messages).message_id, junk, "a junk tap with")

    async def double_tap(self, person: Person) -> tuple[str, bool]:
        """The same button two or three times in a row, before the bot answers the first."""
        buttons = self._buttons(self._bot_messages(person)[-3:])
        if not buttons:
            return await self.tap_old(person)
        message_id, data = person.rng.choice(buttons)
        ids = [await person.user.tap(message_id, data=data) for _ in range(person.rng.randint(2, 3))]
        person.queries += ids
        self.sent_updates += len(ids)
        answers = self.chat(person).callback_answers
        await self._wait(
            person,
            f"a double tap on {data!r}",
            lambda: set(ids) <= {answer.get("callback_query_id") for answer in answers[-12:]},
        )
        return "a double tap", False


# --- the checks ------------------------------------------------------------------------------------------


def file_texts(data: bytes) -> Iterator[str]:
    """Everything readable in a file the bot sent: its bytes, and what is inside zips and PDFs."""
    yield data.decode("latin-1")
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                yield name
                yield from file_texts(archive.read(name))
    elif data.startswith(b"%PDF") and b"/Page" in data:
        reader = PdfReader(io.BytesIO(data))
        for page in reader.pages:
            yield page.extract_text()


def shown_to(state: EmulatorState, chat: ChatState) -> Iterator[tuple[str, str]]:
    """(where, text) for everything the bot showed in this chat."""
    for message in [*chat.sent, *chat.edits]:
        data = message.data
        where = f"message {message.message_id}"
        yield where, " ".join(str(data.get(key) or "") for key in ("text", "caption"))
        for row in data.get("reply_markup", {}).get("inline_keyboard", []):
            yield f"{where} buttons", " ".join(button["text"] for button in row)
        for file_id in [
            data.get("document", {}).get("file_id"),
            *(p["file_id"] for p in data.get("photo", [])[-1:]),
        ]:
            if file_id:
                for text in file_texts(state.files[file_id].data):
                    yield f"{where} file", text
    for answer in chat.callback_answers:
        yield "a tap's answer", str(answer.get("text") or "")


def leaks(state: EmulatorState, cast: tuple[Person, ...]) -> list[str]:
    found = []
    for person in cast:
        if person.user_id not in state.chats:
            continue
        foreign = [other.marker.lower() for other in cast if other is not person]
        for where, text in shown_to(state, state.chats[person.user_id]):
            lowered = text.lower()
            found += [
                f"{person.first_name} saw {marker} in {where}" for marker in foreign if marker in lowered
            ]
    return found


def describe(record: logging.LogRecord) -> str:
    """The log line, the project's frames of its traceback, and the exception."""
    if not record.exc_info or record.exc_info[2] is None:
        return f"{record.name}: {record.getMessage()}"
    frames = [
        f"{Path(frame.filename).relative_to(PROJECT)}:{frame.lineno}"
        for frame in traceback.extract_tb(record.exc_info[2])
        if frame.filename.startswith(str(PROJECT)) and "/.venv/" not in frame.filename
    ]
    return f"{record.getMessage()} at {' > '.join(frames)}: {record.exc_info[1]!r}"


def database_problems(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchall()
        foreign_keys = connection.execute("PRAGMA foreign_key_check").fetchall()
        stranger = [
            (table, count)
            for table, query in (
                ("users", "SELECT count(*) FROM users WHERE id = ?"),
                ("persisted_data", "SELECT count(*) FROM persisted_data WHERE owner_id = ?"),
                (
                    "conversation_states",
                    "SELECT count(*) FROM conversation_states WHERE key LIKE '%' || ? || '%'",
                ),
            )
            if (count := connection.execute(query, (MALLORY,)).fetchone()[0])
        ]
    problems = [] if integrity == [("ok",)] else [f"integrity_check: {integrity}"]
    problems += [f"foreign_key_check: {row}" for row in foreign_keys]
    problems += [f"the stranger has {count} row(s) in {table}" for table, count in stranger]
    return problems


def stranger_files(data_dir: Path, mallory: Person) -> list[str]:
    hashes = {hashlib.sha256(data).hexdigest() for data in mallory.uploads}
    return [str(path) for path in (data_dir / "attachments").rglob("*") if path.stem in hashes]


# --- the test ---------------------------------------------------------------------------------------------


async def fuzz_bot(start_bot: StartBot, open_meteo: FakeOpenMeteo) -> AimTrackApplication:
    application = await start_bot()
    await application.runtime.weather.client.aclose()
    application.runtime.weather = OpenMeteo(
        httpx.AsyncClient(timeout=5), forecast_url=open_meteo.forecast_url, archive_url=open_meteo.archive_url
    )
    return application


async def test_random_updates_from_three_users(
    start_bot: StartBot,
    open_meteo: FakeOpenMeteo,
    emulator: BotApiEmulator,
    db: Database,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    cast = people(SEED)
    journeys = {person.user_id: await seed_person(db, data_dir, person) for person in cast if person.allowed}
    await fuzz_bot(start_bot, open_meteo)
    for person in cast:
        person.user = emulator.user(
            person.user_id, first_name=f"{person.first_name} {person.marker}", language_code=person.language
        )
    run = Run(emulator, cast)
    replay = f"(replay with AIMTRACK_FUZZ_SEED={SEED})"

    await asyncio.gather(*(run.warm_up(person, journeys.get(person.user_id)) for person in cast))
    await asyncio.gather(*(run.act(person, ACTIONS_PER_USER) for person in cast))
    await emulator.settle(timeout=60)
    print(f"fuzz: seed {SEED}, {run.sent_updates} updates sent")  # the count for the report

    assert not run.failures, f"{replay} {run.failures}"
    errors = [describe(record) for record in caplog.records if record.levelno >= logging.ERROR]
    assert not errors, f"{replay} the error handler (or worse) was reached: {errors[:5]}"
    for person in cast:
        answered = {answer.get("callback_query_id") for answer in run.chat(person).callback_answers}
        assert set(person.queries) <= answered, f"{replay} {person.first_name}'s taps went unanswered"
    # An edit to the same content is refused, and the handlers catch it: a double tap does that.
    api_errors = [
        f"{method}: {error.description}"
        for method, _, error in emulator.errors
        if "message is not modified" not in error.description
    ]
    assert not api_errors, f"{replay} the bot made calls Telegram refuses: {api_errors[:5]}"
    mallory = next(person for person in cast if not person.allowed)
    assert len(run.chat(mallory).sent) == 1, f"{replay} the stranger got more than one refusal"
    assert not stranger_files(data_dir, mallory), f"{replay} a stranger's file was stored"
    assert not database_problems(data_dir / "aimtrack.db"), (
        f"{replay} {database_problems(data_dir / 'aimtrack.db')}"
    )
    assert not leaks(emulator.state, cast), f"{replay} {leaks(emulator.state, cast)[:5]}"


@pytest.mark.parametrize("token", ["²", "٣", "99999999999999999999", "-1", "", "0x1"])
def test_a_place_button_with_a_token_that_is_no_index_is_stale(token: str) -> None:
    """The fuzz's mutated ids found parsers where `isdigit` passed "²" (which `int` refuses) or 20 digits;
    this one had the same flaw."""
    draft = {"matches": [{"label": "Oslo", "latitude": 59.9, "longitude": 10.7}]}
    with pytest.raises(InvalidInput):
        pick_match(draft, token)
