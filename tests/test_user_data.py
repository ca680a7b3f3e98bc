"""/mydata (a zip of everything the user stored) and /deleteme (erase it all), end to end and as services."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from telegram.ext import ConversationHandler

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from services import attachments, user_data
from services.attachments import store_bytes
from storage.db import Database
from storage.models import Base, Competition, User
from storage.user_data import NOT_USER_TABLES, USER_MODELS, collect_rows
from tests.conftest import ALICE, BOB, StartBot
from tests.user_seed import SHARED_PHOTO, files, seed_everything, snapshot

USER_TABLES = {model.__tablename__ for model in USER_MODELS}


@pytest.fixture
async def two_users(db: Database, data_dir: Path) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Bob, then Alice, each with everything; returns the rows and files as they were with Bob alone."""
    await seed_everything(db, data_dir, BOB, "bobtag")
    bob_only = await snapshot(db), files(data_dir)
    await seed_everything(db, data_dir, ALICE, "alicetag")
    return bob_only


def conversation(application: AimTrackApplication, name: str) -> ConversationHandler:
    return next(
        handler
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, ConversationHandler) and handler.name == name
    )


def test_every_table_is_either_a_users_or_the_bots() -> None:
    """A new table must be added to the export and the erasure (or declared as holding no user data)."""
    assert set(Base.metadata.tables) <= USER_TABLES | NOT_USER_TABLES


# --- /mydata ------------------------------------------------------------------------------------


async def test_mydata_sends_a_zip_of_exactly_the_users_rows_and_files(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database, data_dir: Path, two_users
) -> None:
    await start_bot()
    alice = emulator.user(ALICE, first_name="Alice")
    reply = await alice.ask("/mydata")
    assert "upload_document" in alice.chat_actions
    assert reply.document is not None and reply.document.name.endswith(".zip")
    assert "README.md" in reply.caption
    archive = zipfile.ZipFile(io.BytesIO(reply.document.data))
    names = set(archive.namelist())
    assert {f"tables/{table}.json" for table in USER_TABLES} | {"README.md"} <= names
    tables = {table: json.loads(archive.read(f"tables/{table}.json")) for table in USER_TABLES}
    assert all(tables[table] for table in USER_TABLES), "every table has Alice's rows"
    assert [row["id"] for row in tables["users"]] == [ALICE]
    assert tables["shooting_sessions"][0]["competition"] == "club"
    assert tables["shooting_sessions"][0]["start_time"] == "19:30:00"
    assert tables["gear_journeys"][0]["latitude"] == "52.370216"
    for row in tables["attachments"]:
        assert hashlib.sha256(archive.read(row["path"])).hexdigest() == row["sha256"]
    assert len([name for name in names if name.startswith("attachments/")]) == 3
    everything = b"".join(archive.read(name) for name in names)
    assert b"alicetag" in everything and b"bobtag" not in everything, "not one byte of Bob's"
    readme = archive.read("README.md").decode()
    assert f"user {ALICE}" in readme and "`tables/weapons.json`: 1 row(s)" in readme


async def test_mydata_in_dutch(bot: AimTrackApplication, emulator: BotApiEmulator) -> None:
    bram = emulator.user(BOB, first_name="Bram", language_code="nl")
    reply = await bram.ask("/mydata")
    assert reply.caption.startswith("Alles wat je bij mij bewaarde")
    archive = zipfile.ZipFile(io.BytesIO(reply.document.data))
    assert archive.read("README.md").decode().startswith("# Je AimTrack-gegevens")
    assert [row["id"] for row in json.loads(archive.read("tables/users.json"))] == [BOB]


async def test_mydata_over_the_upload_limit_says_so_instead_of_failing(
    start_bot: StartBot, emulator: BotApiEmulator, two_users, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(user_data, "UPLOAD_LIMIT_BYTES", 100)
    await start_bot()
    alice = emulator.user(ALICE, first_name="Alice")
    reply = await alice.ask("/mydata")
    assert reply.document is None
    assert "more than the 0 MB a bot may send" in reply.text
    await emulator.settle()
    assert len(alice.messages) == 1 and not emulator.errors


# --- /deleteme ----------------------------------------------------------------------------------


async def test_deleteme_erases_every_row_and_file_of_the_user_and_nothing_of_another(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database, data_dir: Path, two_users
) -> None:
    bob_only, bob_files = two_users
    both = await snapshot(db)
    for table in USER_TABLES:
        assert len(both[table]) > len(bob_only[table]), f"Alice has rows in {table}"
    alice_files = set(files(data_dir)) - set(bob_files)
    assert len(alice_files) == 2, "her own photo and scan; the shared photo is stored once"
    application = await start_bot()
    alice = emulator.user(ALICE, first_name="Alice")

    question = await alice.ask("/deleteme")
    assert application.user_data[ALICE] == {"draft": "alicetag draft"}, "what the bot holds in memory"
    assert (ALICE, ALICE) in conversation(application, "settings_time_zone")._conversations
    assert "weapons: 1" in question.text and "photos and files: 3" in question.text
    assert "<code>DELETE</code>" in question.raw_text
    done = await alice.ask("DELETE")
    assert done.text.startswith("🗑 Done") and "2 file(s)" in done.text
    await emulator.settle()

    after = await snapshot(db)
    for table in USER_TABLES:
        assert after[table] == bob_only[table], f"{table}: only Bob's rows, untouched"
    assert files(data_dir) == bob_files, "Alice's own files are gone, Bob's (and the shared one) stay"
    assert not any((data_dir / path).parent.exists() for path in alice_files), "empty folders go too"
    assert not application.user_data.get(ALICE) and not application.chat_data.get(ALICE)
    for handlers in application.handlers.values():
        for handler in handlers:
            if isinstance(handler, ConversationHandler):
                assert not [key for key in handler._conversations if ALICE in key], handler.name

    greeting = await alice.ask("/start")
    assert greeting.text.startswith("Hello Alice")
    async with db.session() as session:
        fresh = await session.get(User, ALICE)
    assert fresh is not None and fresh.licence_number is None and fresh.time_zone is None
    # Her old "typing a time zone" step is gone: text is a question to the coach, not a zone.
    answer = await alice.ask("Europe/Lisbon")
    assert "time zone" not in answer.text.lower()


@pytest.mark.parametrize(
    "answer", ["delete", "DELETE please", "yes", "/start", "/deleteme"], ids=lambda a: a.replace("/", "cmd-")
)
async def test_anything_but_the_word_keeps_everything(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database, data_dir: Path, two_users, answer: str
) -> None:
    await start_bot()
    before, before_files = await snapshot(db), files(data_dir)
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.ask("/deleteme")
    reply = await alice.ask(answer)
    assert reply.text == "Nothing was deleted; your data is as it was."
    after_word = await alice.ask("DELETE")  # the question is over: this is no confirmation any more
    assert "Done" not in (after_word.text or "")
    await emulator.settle()
    assert await _without_bot_state(db) == _strip_bot_state(before) and files(data_dir) == before_files


async def test_a_photo_a_tap_or_cancel_keep_everything(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database, data_dir: Path, two_users
) -> None:
    await start_bot()
    before, before_files = await snapshot(db), files(data_dir)
    alice = emulator.user(ALICE, first_name="Alice")
    question = await alice.ask("/deleteme")
    await alice.tap(question, "✖️ Keep my data")
    assert (await alice.next_message()).text.startswith("Nothing was deleted")
    assert alice.callback_answers, "the tap was answered"
    await alice.ask("/deleteme")
    await alice.send_photo(b"\xff\xd8 not a confirmation")
    assert (await alice.next_message()).text.startswith("Nothing was deleted")
    await alice.ask("/deleteme")
    assert (await alice.ask("/cancel")).text == "Cancelled."
    await emulator.settle()
    assert await _without_bot_state(db) == _strip_bot_state(before) and files(data_dir) == before_files


async def test_deleteme_in_dutch_takes_the_dutch_word(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database, two_users
) -> None:
    await start_bot()
    bram = emulator.user(BOB, first_name="Bram", language_code="nl")
    question = await bram.ask("/deleteme")
    assert "<code>VERWIJDER</code>" in question.raw_text and "wapens: 1" in question.text
    assert (await bram.ask("DELETE")).text.startswith("Er is niets verwijderd")
    await bram.ask("/deleteme")
    assert (await bram.ask("VERWIJDER")).text.startswith("🗑 Klaar")
    async with db.session() as session:
        assert await session.get(User, BOB) is None
        assert await session.get(User, ALICE) is not None


async def test_an_owner_who_deletes_their_data_leaves_the_bot_claimable(
    start_bot: StartBot, emulator: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    await start_bot(aimtrack_allowed_users=frozenset())
    code = re.search(r"claim it:  /start (\S+)", caplog.text)[1]
    owner = emulator.user(ALICE, first_name="Alice")
    await owner.ask(f"/start {code}")
    await owner.next_message()  # the main menu after the welcome
    question = await owner.ask("/deleteme")
    assert "You own this bot" in question.text
    await owner.ask("DELETE")
    codes = re.findall(r"claim it:  /start (\S+)", caplog.text)
    assert len(codes) == 2 and codes[1] != code, "a new code in the log"
    assert "private bot" in (await owner.ask("/start")).text, "she is no longer the owner"


async def _without_bot_state(db: Database) -> dict[str, list[dict]]:
    return _strip_bot_state(await snapshot(db))


def _strip_bot_state(tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The tables without the bot's flow bookkeeping, and without the users' columns that every message
    refreshes from Telegram."""
    kept = {
        name: rows for name, rows in tables.items() if name not in {"conversation_states", "persisted_data"}
    }
    refreshed = {"display_name", "telegram_language", "updated_at"}
    kept["users"] = [{k: v for k, v in row.items() if k not in refreshed} for row in kept["users"]]
    return kept


# --- the services -------------------------------------------------------------------------------


def test_table_json_writes_dates_decimals_and_enums_as_text() -> None:
    rows = [
        {
            "day": dt.date(2026, 11, 21),
            "at": dt.datetime(2026, 11, 21, 19, 30, tzinfo=dt.UTC),
            "time": dt.time(8, 5),
            "lat": Decimal("52.370216"),
            "kind": Competition.KNSA,
            "reasons": ["cold"],
            "none": None,
        }
    ]
    assert json.loads(user_data.table_json(rows)) == [
        {
            "day": "2026-11-21",
            "at": "2026-11-21T19:30:00+00:00",
            "time": "08:05:00",
            "lat": "52.370216",
            "kind": "knsa",
            "reasons": ["cold"],
            "none": None,
        }
    ]


async def test_the_archive_names_a_missing_file_and_refuses_early_when_too_big(
    db: Database, data_dir: Path, two_users
) -> None:
    async with db.session() as session:
        rows = await collect_rows(session, ALICE)
    lost = next(row["path"] for row in rows["attachments"] if row["mime"] == "application/pdf")
    (data_dir / lost).unlink()
    archive = user_data.build_archive(data_dir, rows, "readme")
    assert archive.missing_files == (lost,) and archive.files == 2
    assert lost not in zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    files_size = sum(user_data.attachment_sizes(rows).values())
    with pytest.raises(user_data.ArchiveTooBig) as raised:
        user_data.build_archive(Path("/nonexistent"), rows, "readme", limit=files_size - 1)
    assert raised.value.size == files_size, "refused from the rows alone, before reading a file"


def test_remove_files_stays_inside_the_attachments_folder(tmp_path: Path) -> None:
    stored = store_bytes(tmp_path, SHARED_PHOTO, "image/jpeg")
    outside = tmp_path / "aimtrack.db"
    outside.write_bytes(b"keep me")
    assert attachments.remove_files(tmp_path, ["aimtrack.db", "attachments/../aimtrack.db", stored.path]) == 1
    assert outside.read_bytes() == b"keep me"
    assert not (tmp_path / stored.path).exists() and (tmp_path / "attachments").is_dir()
