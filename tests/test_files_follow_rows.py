"""End to end: a stored file goes with the last row that references it — discarding, cancelling, deleting a
session or weapon, /deleteme — and the daily sweep removes what no row references; the backup after that
carries none of them."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tarfile
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import AimTrackApplication
from bot.cli import main
from bot.emulator import BotApiEmulator, EmulatedUser, MessageView
from handlers.file_sweep import SWEEP_JOB, sweep_files
from services import attachments
from services.attachments import store_bytes
from services.unit_of_work import UnitOfWork
from storage.db import Database
from storage.models import AttachableType, Attachment, JobRun, PersistedData, Weapon
from tests.conftest import ALICE, BOB, StartBot
from tests.test_photos import seed
from tests.user_seed import files

PHOTOS = [b"\xff\xd8 target one", b"\xff\xd8 target two", b"\xff\xd8 target three"]
SHARED = b"\xff\xd8 a photo Bob attached too"


def path_of(data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"attachments/{digest[:2]}/{digest}.jpg"


async def attach_for(
    db: Database, data_dir: Path, user_id: int, data: bytes, kind: AttachableType, owner: int
) -> str:
    """An attachment row of `user_id` (as another screen would write it) with its stored file."""
    stored = store_bytes(data_dir, data, "image/jpeg")
    async with db.session() as session:
        session.add(
            Attachment(
                user_id=user_id,
                attachable_type=kind,
                attachable_id=owner,
                path=stored.path,
                sha256=stored.sha256,
                mime=stored.mime,
                size=stored.size,
            )
        )
    return stored.path


async def send_photos(alice, photos: list[bytes]) -> object:
    question = None
    for photo in photos:
        await alice.send_photo(photo)
        question = await alice.next_message()
    return question


async def test_deleteme_removes_waiting_photos_reports_them_and_the_backup_has_none(
    bot: AimTrackApplication,
    emulator: BotApiEmulator,
    db: Database,
    data_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The review's case: three photos waiting for "where does it belong?", then /deleteme."""
    await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    await send_photos(alice, PHOTOS)
    await emulator.settle()
    assert set(files(data_dir)) == {path_of(photo) for photo in PHOTOS}

    await alice.ask("/deleteme")
    done = await alice.ask("DELETE")
    assert "3 file(s)" in done.text, done.text
    assert files(data_dir) == {}, "no photo of hers stays on disk"

    archive = tmp_path_factory.mktemp("backups") / "after.tar.gz"
    monkeypatch.setenv("AIMTRACK_DATA_DIR", str(data_dir))
    assert await asyncio.to_thread(main, ["backup", str(archive)]) == 0
    with tarfile.open(archive) as tar:
        assert not [name for name in tar.getnames() if name.startswith("attachments/")]


async def test_deleteme_counts_only_the_files_it_removed(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    """A photo Bob attached too stays (and is not counted); her own attached and waiting ones go."""
    ids = await seed(db, ALICE)
    bob = await seed(db, BOB, club="Bob's club")
    shared = await attach_for(db, data_dir, BOB, SHARED, AttachableType.SESSION, bob["latest"])
    await attach_for(db, data_dir, ALICE, SHARED, AttachableType.SESSION, ids["latest"])
    own = await attach_for(db, data_dir, ALICE, PHOTOS[0], AttachableType.WEAPON, ids["cz"])
    alice = emulator.user(ALICE, first_name="Alice")
    await send_photos(alice, [PHOTOS[1]])
    await alice.ask("/deleteme")
    done = await alice.ask("DELETE")
    assert "2 file(s)" in done.text, done.text
    assert set(files(data_dir)) == {shared}
    assert not (data_dir / own).exists()


async def test_discarding_removes_the_photo_unless_a_row_references_it(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    await seed(db, ALICE)
    bob = await seed(db, BOB, club="Bob's club")
    shared = await attach_for(db, data_dir, BOB, SHARED, AttachableType.SESSION, bob["latest"])
    alice = emulator.user(ALICE, first_name="Alice")
    question = await send_photos(alice, [PHOTOS[0], SHARED])
    await emulator.settle()
    assert (data_dir / path_of(PHOTOS[0])).exists()
    await alice.tap(question, "✖️ Discard")
    assert (await alice.next_edit()).text == "OK, nothing was attached."
    await emulator.settle()
    assert set(files(data_dir)) == {shared}, "hers went; the one Bob's row references stayed"


async def test_a_photo_also_waiting_in_another_users_draft_stays(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    await seed(db, ALICE)
    await seed(db, BOB, club="Bob's club")
    alice, bob = emulator.user(ALICE, first_name="Alice"), emulator.user(BOB, first_name="Bob")
    await send_photos(bob, [SHARED])
    question = await send_photos(alice, [SHARED])
    await emulator.settle()
    await alice.tap(question, "✖️ Discard")
    await alice.next_edit()
    await emulator.settle()
    assert set(files(data_dir)) == {path_of(SHARED)}, "Bob's waiting photo is still his"


async def test_cancelling_log_removes_the_files_its_draft_held(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    await seed(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    question = await send_photos(alice, PHOTOS[:2])
    await alice.tap(question, "➕ New session")
    await alice.tap(await alice.next_edit(), "📝 Log a new session")
    await alice.next_message()  # the first question of /log
    await emulator.settle()
    assert len(files(data_dir)) == 2
    await alice.ask("/cancel")
    await emulator.settle()
    assert files(data_dir) == {}


async def test_deleting_a_session_removes_its_and_its_entries_files_but_not_a_shared_one(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    ids = await seed(db, ALICE)
    session_photo = await attach_for(db, data_dir, ALICE, PHOTOS[0], AttachableType.SESSION, ids["latest"])
    entry_photo = await attach_for(db, data_dir, ALICE, PHOTOS[1], AttachableType.ENTRY, ids["entry_cz_25"])
    shared = await attach_for(db, data_dir, ALICE, SHARED, AttachableType.SESSION, ids["latest"])
    await attach_for(db, data_dir, ALICE, SHARED, AttachableType.SESSION, ids["older"])
    alice = emulator.user(ALICE, first_name="Alice")
    listing = await alice.ask("/sessions")
    await alice.tap(listing, "21 Nov 2026 · SV De Roos")
    card = await alice.next_edit()
    await alice.tap(card, "🗑 Delete")
    question = await alice.next_edit()
    await alice.tap(question, "🗑 Yes, delete")
    assert "is deleted" in (await alice.next_edit()).text
    await emulator.settle()
    assert set(files(data_dir)) == {shared}, "the older session still shows the shared photo"
    assert not (data_dir / session_photo).exists() and not (data_dir / entry_photo).exists()


async def test_deleting_a_weapon_removes_its_files(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    await seed(db, ALICE)
    async with db.session() as session:
        spare = Weapon(user_id=ALICE, name="Spare", type="pistol", caliber="9mm")
        session.add(spare)
        await session.flush()
        spare_id = spare.id
    scan = await attach_for(db, data_dir, ALICE, PHOTOS[2], AttachableType.WEAPON, spare_id)
    alice = emulator.user(ALICE, first_name="Alice")
    listing = await alice.ask("/weapons")
    await alice.tap(listing, next(label for row in listing.buttons for label, _ in row if "Spare" in label))
    card = await alice.next_edit()
    await alice.tap(card, "🗑 Delete")
    question = await alice.next_edit()
    await alice.tap(question, "🗑 Yes, delete it")
    assert "Spare has been deleted." in (await alice.next_edit()).text
    await emulator.settle()
    assert not (data_dir / scan).exists()


def age(data_dir: Path, relative: str, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(data_dir / relative, (then, then))


async def test_the_daily_sweep_removes_old_orphans_once_across_processes(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    ids = await seed(db, ALICE)
    attached = await attach_for(db, data_dir, ALICE, PHOTOS[0], AttachableType.SESSION, ids["latest"])
    waiting = store_bytes(data_dir, PHOTOS[1], "image/jpeg").path
    async with db.session() as session:
        session.add(PersistedData(scope="user", owner_id=BOB, data={"pending_files": [{"path": waiting}]}))
    orphan = store_bytes(data_dir, PHOTOS[2], "image/jpeg").path
    young = store_bytes(data_dir, SHARED, "image/jpeg").path
    half = data_dir / "attachments" / "ab" / "ab12.part"
    half.parent.mkdir(parents=True, exist_ok=True)
    half.write_bytes(b"half an upload")
    for relative in (attached, waiting, orphan, half.relative_to(data_dir).as_posix()):
        age(data_dir, relative, 2)
    (data_dir / "keep-me.txt").write_text("not an attachment")  # the data dir holds other things too

    application = await start_bot(aimtrack_jobs_at_start=True)
    await emulator.settle()
    for _ in range(100):
        if not (data_dir / orphan).exists():
            break
        await asyncio.sleep(0.05)
    assert set(files(data_dir)) == {attached, waiting, young}
    assert (data_dir / "keep-me.txt").exists()
    async with db.session() as session:
        runs = list(await session.scalars(select(JobRun).where(JobRun.name.endswith(SWEEP_JOB))))
    assert len(runs) == 1

    # The job again the same day (as another process would run it): its claim fails, it sweeps nothing.
    late = store_bytes(data_dir, b"\xff\xd8 a later orphan", "image/jpeg").path
    age(data_dir, late, 2)
    application.job_queue.run_once(sweep_files, 0, name="again")
    for _ in range(40):
        if not [job for job in application.job_queue.jobs() if job.name == "again"]:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    assert (data_dir / late).exists(), "swept once a day"
    assert await attachments.sweep_orphans(UnitOfWork(db), data_dir) == 1, "the sweep itself would"


async def edit_menu_of_the_latest_session(alice: EmulatedUser) -> MessageView:
    """/sessions → the latest session's card → Edit: the edit menu."""
    listing = await alice.ask("/sessions")
    await alice.tap(listing, "21 Nov 2026 · SV De Roos")
    await alice.tap(await alice.next_edit(), "✏️ Edit")
    return await alice.next_message()


async def test_removing_an_entry_in_an_edit_removes_its_files(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    ids = await seed(db, ALICE)
    entry_photo = await attach_for(db, data_dir, ALICE, PHOTOS[0], AttachableType.ENTRY, ids["entry_cz_25"])
    session_photo = await attach_for(db, data_dir, ALICE, PHOTOS[1], AttachableType.SESSION, ids["latest"])
    alice = emulator.user(ALICE, first_name="Alice")
    menu = await edit_menu_of_the_latest_session(alice)
    assert "CZ Shadow 2 · 25 m" in menu.text
    await alice.tap(menu, "🗑 Remove entry 1")
    menu = await alice.next_message()
    assert "CZ Shadow 2 · 25 m" not in menu.text
    await alice.tap(menu, "« Back")
    await alice.tap(await alice.next_message(), "💾 Save")
    assert "Updated" in (await alice.next_message()).text
    await emulator.settle()
    assert set(files(data_dir)) == {session_photo}, "the removed entry's photo went; the session's stayed"
    assert not (data_dir / entry_photo).exists()


async def test_cancelling_an_edit_at_its_summary_removes_the_photo_sent_along(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, data_dir: Path
) -> None:
    ids = await seed(db, ALICE)
    kept = await attach_for(db, data_dir, ALICE, PHOTOS[1], AttachableType.SESSION, ids["latest"])
    alice = emulator.user(ALICE, first_name="Alice")
    menu = await edit_menu_of_the_latest_session(alice)
    await alice.send_photo(PHOTOS[0])
    await alice.next_message()  # the flow took the photo
    await emulator.settle()
    assert (data_dir / path_of(PHOTOS[0])).exists()
    await alice.tap(menu, "« Back")
    await alice.tap(await alice.next_message(), "✖️ Cancel")
    assert "Cancelled" in (await alice.next_message()).text
    await emulator.settle()
    assert set(files(data_dir)) == {kept}, "the session's own photo stays; the one sent along went"
