"""`aimtrack backup` / `aimtrack restore`: a round trip into an empty data dir gives back every row and file.

The commands run in a thread, as on the command line: they use asyncio.run (as `aimtrack migrate` does)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli import main
from services import backup
from storage.db import Database
from tests.conftest import ALICE, BOB
from tests.postgres import PostgresCluster
from tests.user_seed import files, seed_everything, snapshot

BOOKKEEPING = ("job_runs", "matrix_sync")  # the bot's own tables: no user seeds a row there


@pytest.fixture
async def seeded(db: Database, data_dir: Path) -> Path:
    await seed_everything(db, data_dir, ALICE, "alicetag")
    await seed_everything(db, data_dir, BOB, "bobtag")
    return data_dir


async def aimtrack(monkeypatch: pytest.MonkeyPatch, data_dir: Path, *argv: str) -> int:
    monkeypatch.setenv("AIMTRACK_DATA_DIR", str(data_dir))
    return await asyncio.to_thread(main, list(argv))


def revision(database: Path) -> str:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]


async def test_a_backup_restored_into_an_empty_data_dir_has_every_row_and_file(
    seeded: Path, db: Database, tmp_path_factory: pytest.TempPathFactory, monkeypatch, capsys
) -> None:
    archive = tmp_path_factory.mktemp("backups") / "aimtrack.tar.gz"
    assert await aimtrack(monkeypatch, seeded, "backup", str(archive)) == 0
    assert "and 5 attachment(s)" in capsys.readouterr().out, "the photo both users sent is one file"
    empty = tmp_path_factory.mktemp("restored")
    assert await aimtrack(monkeypatch, empty, "restore", str(archive)) == 0
    assert "Restored the backup" in capsys.readouterr().out

    restored = Database(f"sqlite+aiosqlite:///{empty / 'aimtrack.db'}")
    try:
        original, copy = await snapshot(db), await snapshot(restored)
    finally:
        await restored.dispose()
    assert all(original[table] for table in original if table not in BOOKKEEPING), "a row in every table"
    assert copy == original
    assert files(empty) == files(seeded) and len(files(empty)) == 5
    assert revision(empty / "aimtrack.db") == revision(seeded / "aimtrack.db")

    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["format"] == "aimtrack-backup" and manifest["version"] == 1
    assert manifest["database"]["kind"] == "sqlite" and manifest["alembic_revision"]
    assert {entry["path"]: entry["sha256"] for entry in manifest["files"]} == files(seeded)


async def test_the_backup_is_taken_while_another_connection_is_writing(
    seeded: Path, tmp_path: Path, monkeypatch
) -> None:
    """Online: an open write transaction neither blocks the backup nor ends up in it half-done."""
    writer = sqlite3.connect(seeded / "aimtrack.db", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE weapons SET name = 'renamed mid-backup'")
        archive = tmp_path / "online.tar.gz"
        await asyncio.to_thread(
            backup.backup, f"sqlite+aiosqlite:///{seeded / 'aimtrack.db'}", seeded, archive
        )
        writer.execute("COMMIT")
    finally:
        writer.close()
    target = tmp_path / "restored"
    await asyncio.to_thread(backup.restore, f"sqlite+aiosqlite:///{target / 'aimtrack.db'}", target, archive)
    with sqlite3.connect(target / "aimtrack.db") as connection:
        names = {name for (name,) in connection.execute("SELECT name FROM weapons")}
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert names == {"alicetag-glock", "bobtag-glock"}


async def test_restore_refuses_a_target_with_data_unless_forced(
    seeded: Path, db: Database, tmp_path_factory: pytest.TempPathFactory, monkeypatch, capsys
) -> None:
    archive = tmp_path_factory.mktemp("backups") / "aimtrack.tar.gz"
    assert await aimtrack(monkeypatch, seeded, "backup", str(archive)) == 0
    assert await aimtrack(monkeypatch, seeded, "backup", str(archive)) == 1, "never overwrites a backup"
    assert "exists already" in capsys.readouterr().err

    other = tmp_path_factory.mktemp("other")
    (other / "attachments" / "ab").mkdir(parents=True)
    (other / "attachments" / "ab" / "stray.jpg").write_bytes(b"someone's")
    assert await aimtrack(monkeypatch, other, "restore", str(archive)) == 1
    assert "holds files" in capsys.readouterr().err
    assert (other / "attachments" / "ab" / "stray.jpg").exists() and not (other / "aimtrack.db").exists()

    assert await aimtrack(monkeypatch, seeded, "restore", str(archive)) == 1
    assert "the database is not empty" in capsys.readouterr().err
    async with db.session() as session:  # a change after the backup, which --force undoes
        await session.execute(text("DELETE FROM coach_messages"))
    before = files(seeded)
    await db.dispose()
    assert await aimtrack(monkeypatch, seeded, "restore", "--force", str(archive)) == 0
    with sqlite3.connect(seeded / "aimtrack.db") as connection:
        assert connection.execute("SELECT count(*) FROM coach_messages").fetchone() == (4,)
    assert files(seeded) == before and not [
        path for path in os.listdir(seeded) if path.startswith(".restore")
    ]


def _rewrite(archive: Path, target: Path, change) -> None:
    """Copy `archive` to `target`, passing each member's (name, bytes) through `change`."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            name, data = change(member.name, source.extractfile(member).read())
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def _edit_manifest(edit):
    def change(name: str, data: bytes) -> tuple[str, bytes]:
        if name != "manifest.json":
            return name, data
        manifest = json.loads(data)
        edit(manifest)
        return name, json.dumps(manifest).encode()

    return change


def _set(key: str, value):
    return _edit_manifest(lambda manifest: manifest.__setitem__(key, value))


def _escape(manifest: dict) -> None:
    manifest["files"][0]["path"] = "attachments/../../escaped.jpg"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda name, data: (name, data + b"!") if name.endswith(".pdf") else (name, data), "bytes in the"),
        (lambda name, data: (name, data[:-1] + b"!") if name.endswith(".pdf") else (name, data), "checksum"),
        (_set("version", 2), "format version 2"),
        (_set("alembic_revision", "ffffffffffff"), "unknown to this release"),
        (
            _edit_manifest(lambda manifest: manifest["database"].update(kind="postgresql")),
            "postgresql backup",
        ),
        (_edit_manifest(_escape), "unexpected file"),
        (_set("format", "something-else"), "not an AimTrack backup"),
    ],
    ids=[
        "longer file",
        "damaged file",
        "newer format",
        "unknown schema",
        "other database",
        "path escape",
        "not ours",
    ],
)
async def test_restore_checks_the_manifest_before_changing_anything(
    seeded: Path, tmp_path: Path, change, message: str
) -> None:
    good = tmp_path / "good.tar.gz"
    await asyncio.to_thread(backup.backup, f"sqlite+aiosqlite:///{seeded / 'aimtrack.db'}", seeded, good)
    bad = tmp_path / "bad.tar.gz"
    _rewrite(good, bad, change)
    target = tmp_path / "target"
    with pytest.raises(backup.BackupError, match=message):
        await asyncio.to_thread(backup.restore, f"sqlite+aiosqlite:///{target / 'aimtrack.db'}", target, bad)
    assert not (target / "aimtrack.db").exists() and not (tmp_path / "escaped.jpg").exists()
    assert not list(target.rglob("*.jpg")), "no file was placed"


async def test_a_backup_is_readable_by_its_owner_only(seeded: Path, tmp_path: Path) -> None:
    archive = tmp_path / "aimtrack.tar.gz"
    old = os.umask(0o022)
    try:
        await asyncio.to_thread(
            backup.backup, f"sqlite+aiosqlite:///{seeded / 'aimtrack.db'}", seeded, archive
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600


async def test_restore_refuses_a_manifest_over_its_cap(seeded: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.tar.gz"
    await asyncio.to_thread(backup.backup, f"sqlite+aiosqlite:///{seeded / 'aimtrack.db'}", seeded, good)
    bad = tmp_path / "bad.tar.gz"
    padded = b" " * (backup.MAX_MANIFEST_BYTES + 1)
    _rewrite(good, bad, lambda name, data: (name, data + padded) if name == "manifest.json" else (name, data))
    target = tmp_path / "target"
    with pytest.raises(backup.BackupError, match="manifest is larger than 16 MB"):
        await asyncio.to_thread(backup.restore, f"sqlite+aiosqlite:///{target / 'aimtrack.db'}", target, bad)


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


BOMB_BYTES = 256 * 2**20
WRITE_LIMIT = 16 * 2**20


def _bomb(good: Path, bad: Path) -> None:
    """`good` with its PDF replaced by 256 MiB of zeros (a few hundred KB compressed); the manifest keeps
    the PDF's real size and checksum."""
    with tarfile.open(good) as source, tarfile.open(bad, "w:gz") as out:
        for member in source.getmembers():
            info = tarfile.TarInfo(member.name)
            if member.name.endswith(".pdf"):
                info.size = BOMB_BYTES
                out.addfile(info, io.BufferedReader(_Zeros(BOMB_BYTES)))
            else:
                data = source.extractfile(member).read()
                info.size = len(data)
                out.addfile(info, io.BytesIO(data))


async def test_restore_of_a_gzip_bomb_refuses_before_writing_it(seeded: Path, tmp_path: Path) -> None:
    """`aimtrack restore` of a small archive whose member unpacks to 256 MiB, in a process that may write
    at most 16 MiB per file: it refuses by the manifest's size instead of writing until the checksum."""
    good = tmp_path / "good.tar.gz"
    await asyncio.to_thread(backup.backup, f"sqlite+aiosqlite:///{seeded / 'aimtrack.db'}", seeded, good)
    bad = tmp_path / "bomb.tar.gz"
    await asyncio.to_thread(_bomb, good, bad)
    assert bad.stat().st_size < 2 * 2**20
    target = tmp_path / "target"
    script = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({WRITE_LIMIT}, {WRITE_LIMIT}))\n"
        "from bot.cli import main\n"
        f"sys.exit(main(['restore', {str(bad)!r}]))\n"
    )
    env = {**os.environ, "AIMTRACK_DATA_DIR": str(target), "PYTHONPATH": str(Path(__file__).parents[1])}
    env.pop("DATABASE_URL", None)
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert f"is {BOMB_BYTES} bytes in the archive" in result.stderr
    assert not (target / "aimtrack.db").exists() and not list(target.rglob("*.pdf"))


def test_pg_tools_are_found_on_path_or_in_debians_versioned_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version in ("9.6", "15", "13"):
        tool = tmp_path / version / "bin" / "pg_dump"
        tool.parent.mkdir(parents=True)
        tool.write_text("#!/bin/sh\n")
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    monkeypatch.setattr(backup, "PG_BIN_GLOB", str(tmp_path / "*" / "bin" / "{}"))
    assert backup.pg_tool("pg_dump") == str(tmp_path / "15" / "bin" / "pg_dump")
    with pytest.raises(backup.BackupError, match="pg_restore was not found"):
        backup.pg_tool("pg_restore")


def test_the_libpq_environment_keeps_the_password_off_the_command_line() -> None:
    env, name = backup._libpq("postgresql+asyncpg://aim:s3cret@db.example:5433/aimtrack")
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGPASSWORD"], name) == (
        "db.example",
        "5433",
        "aim",
        "s3cret",
        "aimtrack",
    )
    socket_env, _ = backup._libpq("postgresql+asyncpg://aim@/aimtrack?host=/run/postgresql")
    assert socket_env["PGHOST"] == "/run/postgresql"


async def test_a_postgresql_backup_restored_into_an_empty_database_has_every_row_and_file(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    """pg_dump --format=custom, then pg_restore --clean --if-exists into another (migrated, empty) database.
    The cluster's helpers run their own event loop: in a thread here."""
    source_url = await asyncio.to_thread(postgres.create_database)
    target_url = await asyncio.to_thread(postgres.create_database)
    source, target = Database(source_url), Database(target_url)
    try:
        data_dir, restored_dir = tmp_path / "data", tmp_path / "restored"
        await seed_everything(source, data_dir, ALICE, "alicetag")
        await seed_everything(source, data_dir, BOB, "bobtag")
        archive = tmp_path / "pg.tar.gz"
        manifest = await asyncio.to_thread(backup.backup, source_url, data_dir, archive)
        assert manifest["database"] == {
            **manifest["database"],
            "kind": "postgresql",
            "path": "database/aimtrack.dump",
        }
        await asyncio.to_thread(backup.restore, target_url, restored_dir, archive)
        original, copy = await snapshot(source), await snapshot(target)
        assert all(original[table] for table in original if table not in BOOKKEEPING)
        assert copy == original
        assert files(restored_dir) == files(data_dir) and len(files(data_dir)) == 5
        with pytest.raises(backup.BackupError, match="the database is not empty"):
            await asyncio.to_thread(backup.restore, target_url, tmp_path / "again", archive)
        async with target.session() as session:  # the sequences came along: new rows get new ids
            await session.execute(text("INSERT INTO gear_categories (user_id, name) VALUES (1001, 'after')"))
    finally:
        await source.dispose()
        await target.dispose()
        await asyncio.to_thread(postgres.drop_database, source_url)
        await asyncio.to_thread(postgres.drop_database, target_url)
