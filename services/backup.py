"""`aimtrack backup PATH` / `aimtrack restore PATH`: the database and the attachments as one tar.gz.

The backup is taken while the bot runs. The database first, as one consistent snapshot: SQLite's online
backup API (`sqlite3.Connection.backup`, which copies a snapshot while the bot goes on writing), or
`pg_dump --format=custom` (one transaction). Then the attachments: they are stored by content hash and
never rewritten, so every file a row of the snapshot names is already complete on disk.

The archive:

    manifest.json             format, version, database kind, alembic revision, every file with its sha256
    database/aimtrack.db      SQLite: the snapshot    | database/aimtrack.dump  PostgreSQL: pg_dump's
    attachments/ab/ab….jpg    the files, at their path relative to the data dir

A restore checks the manifest (at most `MAX_MANIFEST_BYTES`; format, version, database kind, a revision
these migrations know, each file's size and sha256) before it changes anything, and refuses a database
with rows or a data dir with attachments unless forced. Each member's size in the archive must be the
manifest's before a byte of it is extracted, the copy stops at that size, and the files together must fit
on the disk, so a small archive that unpacks to gigabytes is refused instead of written.
Stop the bot first; start it afterwards (`aimtrack run` migrates on start).

The archive is written readable by its owner only (0600): it holds every user's data.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import glob
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import make_url

from services.attachments import ATTACHMENTS_FOLDER
from storage.db import create_engine
from storage.migrations import alembic_config

FORMAT = "aimtrack-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FOLDER = "database"
DATABASE_FILES = {
    "sqlite": f"{DATABASE_FOLDER}/aimtrack.db",
    "postgresql": f"{DATABASE_FOLDER}/aimtrack.dump",
}
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin/{}"
_CHUNK = 1024 * 1024
MAX_MANIFEST_BYTES = 16 * 1024 * 1024  # about 100,000 files' entries
ARCHIVE_MODE = 0o600


class BackupError(Exception):
    """The backup or restore cannot go on; `str()` is one line for the command line."""


@dataclass(frozen=True)
class Database:
    """Where the database is, from its SQLAlchemy URL."""

    url: str
    kind: str  # "sqlite" or "postgresql"

    @classmethod
    def of(cls, url: str) -> Database:
        backend = make_url(url).get_backend_name()
        if backend not in DATABASE_FILES:
            raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")
        return cls(url, backend)

    @property
    def sqlite_path(self) -> Path:
        name = make_url(self.url).database
        if not name or name == ":memory:":
            raise BackupError("an in-memory SQLite database cannot be backed up or restored")
        return Path(name)


# --- backup ---------------------------------------------------------------------------------------


def backup(url: str, data_dir: Path, archive: Path) -> dict[str, Any]:
    """Write the backup archive to `archive` (which must not exist yet); returns its manifest."""
    database = Database.of(url)
    if archive.exists():
        raise BackupError(f"{archive} exists already; choose a new name")
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="aimtrack-backup-") as staging:
        dump = Path(staging) / PurePosixPath(DATABASE_FILES[database.kind]).name
        if database.kind == "sqlite":
            revision = _copy_sqlite(database.sqlite_path, dump)
        else:
            revision = asyncio.run(_revision(url))
            _pg_dump(url, dump)
        if revision is None:
            raise BackupError("the database has no schema version; run `aimtrack migrate` first")
        files = [(path, _describe(path, relative)) for path, relative in _attachment_files(data_dir)]
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": {"kind": database.kind, **_describe(dump, DATABASE_FILES[database.kind])},
            "alembic_revision": revision,
            "files": [description for _, description in files],
        }
        partial = archive.with_name(archive.name + ".part")
        partial.unlink(missing_ok=True)  # a crashed run's; created anew below with the owner's mode only
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, ARCHIVE_MODE)
        with os.fdopen(descriptor, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
            _add_file(tar, dump, DATABASE_FILES[database.kind])
            for path, description in files:
                _add_file(tar, path, description["path"])
        os.chmod(partial, ARCHIVE_MODE)  # whatever the umask
        partial.replace(archive)
    return manifest


def _copy_sqlite(source: Path, target: Path) -> str | None:
    """A consistent copy of a live SQLite database; returns its alembic revision."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    with sqlite3.connect(source, timeout=30) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
        if (result := copy.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
            raise BackupError(f"the database copy failed its check: {result}")
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    live.close()
    copy.close()
    return row[0] if row else None


def _attachment_files(data_dir: Path) -> Iterator[tuple[Path, str]]:
    """The stored attachments as (path, path relative to the data dir), without half-written `.part`s."""
    root = data_dir / ATTACHMENTS_FOLDER
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.suffix != ".part":
            yield path, path.relative_to(data_dir).as_posix()


def _describe(path: Path, name: str) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return {"path": name, "size": path.stat().st_size, "sha256": digest.hexdigest()}


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(dt.datetime.now(dt.UTC).timestamp())
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_tar_info(name, len(data)), io.BytesIO(data))


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> None:
    with path.open("rb") as fh:
        tar.addfile(_tar_info(name, path.stat().st_size), fh)


# --- restore --------------------------------------------------------------------------------------


def restore(url: str, data_dir: Path, archive: Path, *, force: bool = False) -> dict[str, Any]:
    """Restore `archive` into the database at `url` and `data_dir`; returns its manifest."""
    database = Database.of(url)
    if not archive.is_file():
        raise BackupError(f"there is no backup at {archive}")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = _read_manifest(tar)
            _check_manifest(manifest, database)
            if not force:
                _refuse_if_not_empty(database, data_dir)
            data_dir.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
            try:
                _extract(tar, manifest, staging)
                _place_database(database, staging / DATABASE_FILES[database.kind])
                _place_attachments(staging / ATTACHMENTS_FOLDER, data_dir / ATTACHMENTS_FOLDER)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise BackupError(f"{archive} cannot be read: {error}") from None
    return manifest


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        member = None
    if member is not None and member.size > MAX_MANIFEST_BYTES:
        raise BackupError(
            f"the manifest is larger than {MAX_MANIFEST_BYTES // 2**20} MB: not a backup of ours"
        )
    try:
        stream = tar.extractfile(member) if member is not None else None
        manifest = json.loads(stream.read(MAX_MANIFEST_BYTES + 1)) if stream else None
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("this is not an AimTrack backup (no manifest.json of ours)")
    return manifest


def _check_manifest(manifest: dict[str, Any], database: Database) -> None:
    files = manifest.get("files")
    if not isinstance(files, list) or not all(isinstance(entry, dict) for entry in files):
        raise BackupError("the manifest's file list is damaged")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"backup format version {manifest.get('version')} is not {VERSION}; use that release"
        )
    described = manifest.get("database")
    kind = described.get("kind") if isinstance(described, dict) else None
    if kind != database.kind:
        raise BackupError(f"this is a {kind} backup, but DATABASE_URL is {database.kind}")
    revision = manifest.get("alembic_revision")
    try:
        known = (
            ScriptDirectory.from_config(alembic_config(database.url)).get_revision(revision)
            if isinstance(revision, str)
            else None
        )
    except CommandError:
        known = None
    if known is None:
        raise BackupError(f"schema version {revision!r} is unknown to this release; restore with a newer one")
    for entry in [described, *files]:
        name = entry.get("path", "")
        allowed = name == DATABASE_FILES[kind] or _is_attachment_path(name)
        if not allowed or not isinstance(entry.get("size"), int) or not isinstance(entry.get("sha256"), str):
            raise BackupError(f"the manifest names an unexpected file: {name!r}")


def _is_attachment_path(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and len(path.parts) > 1
        and path.parts[0] == ATTACHMENTS_FOLDER
        and not any(part in ("", ".", "..") for part in path.parts)
        and re.fullmatch(r"[A-Za-z0-9._/-]+", name) is not None
    )


def _refuse_if_not_empty(database: Database, data_dir: Path) -> None:
    if asyncio.run(_has_rows(database)):
        raise BackupError(
            "the database is not empty; restore into an empty one, or add --force to replace it"
        )
    if any(path.is_file() for path in (data_dir / ATTACHMENTS_FOLDER).rglob("*")):
        raise BackupError(
            f"{data_dir / ATTACHMENTS_FOLDER} holds files; restore into an empty data dir, or add --force"
        )


def _extract(tar: tarfile.TarFile, manifest: dict[str, Any], staging: Path) -> None:
    """Copy each file the manifest names into `staging`, checking its size and sha256 on the way: the
    member's size must be the manifest's before anything is written, the copy stops at that size, and
    all of them together must fit on the disk."""
    entries = [manifest["database"], *manifest["files"]]
    members = []
    for entry in entries:
        name = entry["path"]
        try:
            member = tar.getmember(name)
        except KeyError:
            raise BackupError(f"{name} is in the manifest but not in the archive") from None
        if not member.isfile():
            raise BackupError(f"{name} is not a regular file in the archive")
        if member.size != entry["size"] or entry["size"] < 0:
            raise BackupError(
                f"{name} is {member.size} bytes in the archive, but {entry['size']} in the manifest:"
                " the backup is damaged"
            )
        members.append(member)
    needed, free = sum(entry["size"] for entry in entries), shutil.disk_usage(staging).free
    if needed > free:
        raise BackupError(f"the backup needs {needed} bytes, but only {free} are free on {staging}")
    for entry, member in zip(entries, members, strict=True):
        name = entry["path"]
        source = tar.extractfile(member)
        if source is None:
            raise BackupError(f"{name} is not a regular file in the archive")
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            digest, size = _copy(source, out, limit=entry["size"])
        if size != entry["size"] or digest != entry["sha256"]:
            raise BackupError(f"{name} does not match its checksum in the manifest: the backup is damaged")


def _copy(source: IO[bytes], out: IO[bytes], limit: int) -> tuple[str, int]:
    """Copy at most `limit` bytes (one more, if the source has more, to tell it is too long)."""
    digest, size = hashlib.sha256(), 0
    while size <= limit and (chunk := source.read(min(_CHUNK, limit + 1 - size))):
        digest.update(chunk)
        out.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _place_database(database: Database, dump: Path) -> None:
    if database.kind == "postgresql":
        _pg_restore(database.url, dump)
        return
    target = database.sqlite_path
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)  # an old log applied to the restored file would corrupt it
    shutil.move(dump, target)


def _place_attachments(restored: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    if restored.exists():
        restored.rename(target)
    else:
        target.mkdir()


# Tables whose rows the migrations write (alembic's revision; the bot's claim row, its code empty).
MIGRATED_ROWS = frozenset({"alembic_version", "bot_claim"})


async def _has_rows(database: Database) -> bool:
    """True if any table holds a row but the ones a migration fills (a migrated, unused database is empty)."""
    if database.kind == "sqlite" and not database.sqlite_path.exists():
        return False
    engine = create_engine(database.url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            for name in names:
                if name not in MIGRATED_ROWS and await connection.scalar(
                    select(func.count()).select_from(table(name))
                ):
                    return True
        return False
    finally:
        await engine.dispose()


async def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            revision: str | None = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            return revision
    finally:
        await engine.dispose()


# --- PostgreSQL's tools ---------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """`pg_dump` or `pg_restore`: on PATH, else the newest in Debian's /usr/lib/postgresql/<version>/bin."""
    if found := shutil.which(name):
        return found
    candidates = glob.glob(PG_BIN_GLOB.format(name))
    if not candidates:
        raise BackupError(f"{name} was not found; install the PostgreSQL client tools (postgresql-client)")
    return max(candidates, key=lambda path: [int(part) for part in re.findall(r"\d+", Path(path).parts[-3])])


def _libpq(url: str) -> tuple[dict[str, str], str]:
    """The environment for libpq's tools (the password stays out of the process list) and the db name."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host")
    values = {
        "PGHOST": host if isinstance(host, str) else None,
        "PGPORT": str(parsed.port) if parsed.port else None,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
    }
    if not parsed.database:
        raise BackupError("DATABASE_URL names no database")
    return {**os.environ, **{key: value for key, value in values.items() if value}}, parsed.database


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        raise BackupError(f"{Path(command[0]).name} failed: {lines[-1] if lines else result.returncode}")


def _pg_dump(url: str, target: Path) -> None:
    env, name = _libpq(url)
    _run([pg_tool("pg_dump"), "--format=custom", f"--file={target}", f"--dbname={name}"], env)


def _pg_restore(url: str, dump: Path) -> None:
    env, name = _libpq(url)
    _run(
        [
            pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={name}",
            str(dump),
        ],
        env,
    )
