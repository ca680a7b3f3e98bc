"""The user's own data: everything they stored as one zip (/mydata), and erasing all of it (/deleteme).

The zip holds `README.md`, `tables/<table>.json` (a JSON array of that table's rows of this user, one
object per row, columns by name) and the attachment files at the path their `attachments` row names
(`attachments/ab/abcdef….jpg`), so the rows and the files can be matched without the bot.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from services.attachments import read_bytes, remove_files
from services.unit_of_work import UnitOfWork
from storage.attachments import referenced_paths
from storage.user_data import Row, collect_rows, count_rows, delete_rows

# Bots may upload at most 50 MB through the Bot API.
UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024
TABLES_FOLDER = "tables"
README_NAME = "README.md"


class ArchiveTooBig(Exception):
    """The zip would be larger than Telegram lets a bot upload."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes > {limit}")
        self.size = size
        self.limit = limit

    @property
    def size_mb(self) -> float:
        return round(self.size / 2**20, 1)

    @property
    def limit_mb(self) -> int:
        return self.limit // 2**20


@dataclass(frozen=True)
class UserArchive:
    data: bytes
    files: int  # attachment files in the zip
    missing_files: tuple[str, ...]  # named by a row but gone from the disk
    rows: int = 0  # rows in the zip, of every table


@dataclass(frozen=True)
class Contents:
    """What the zip holds, for its README: the user, the rows per table and the attachment files."""

    user_id: int
    tables: dict[str, int]
    files: int


@dataclass(frozen=True)
class Erased:
    rows: int
    files: int  # files removed from the disk (a file another user also sent stays)


def _json_default(value: object) -> object:
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # exact, as stored
    raise TypeError(f"cannot store {type(value).__name__} in JSON")


def table_json(rows: Sequence[Row]) -> bytes:
    """A table's rows as a JSON array (enums are strings already; dates ISO 8601; decimals strings)."""
    return json.dumps(list(rows), default=_json_default, ensure_ascii=False, indent=2).encode()


def attachment_sizes(rows: Mapping[str, Sequence[Row]]) -> dict[str, int]:
    """The attachment files the rows name, path -> size (a file shared by two rows counts once)."""
    return {row["path"]: row["size"] for row in rows.get("attachments", [])}


def build_archive(
    data_dir: Path, rows: Mapping[str, Sequence[Row]], readme: str, limit: int | None = None
) -> UserArchive:
    """The zip of `rows` (every table's rows of one user) and their files. Blocking: use a thread.

    Raises `ArchiveTooBig` before reading any file when the files alone exceed `limit` (they are stored
    uncompressed: photos and PDFs are compressed already), and after building when the whole zip does.
    `limit` defaults to Telegram's upload limit.
    """
    limit = UPLOAD_LIMIT_BYTES if limit is None else limit
    sizes = attachment_sizes(rows)
    if (files_size := sum(sizes.values())) > limit:
        raise ArchiveTooBig(files_size, limit)
    buffer = io.BytesIO()
    missing: list[str] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(README_NAME, readme)
        for table, table_rows in rows.items():
            archive.writestr(f"{TABLES_FOLDER}/{table}.json", table_json(table_rows))
        for path in sorted(sizes):
            try:
                data = read_bytes(data_dir, path)
            except (OSError, ValueError):
                missing.append(path)
                continue
            archive.writestr(path, data, compress_type=zipfile.ZIP_STORED)
    if buffer.tell() > limit:
        raise ArchiveTooBig(buffer.tell(), limit)
    return UserArchive(
        buffer.getvalue(),
        files=len(sizes) - len(missing),
        missing_files=tuple(missing),
        rows=sum(map(len, rows.values())),
    )


async def archive_of(
    uow: UnitOfWork, user_id: int, data_dir: Path, readme: Callable[[Contents], str]
) -> UserArchive:
    """The zip of every row and file of the user, with the README `readme` writes about its contents.

    Raises `ArchiveTooBig` when it would be larger than a bot may upload."""
    async with uow.transaction() as session:
        rows = await collect_rows(session, user_id)
    contents = Contents(
        user_id, {table: len(table_rows) for table, table_rows in rows.items()}, len(attachment_sizes(rows))
    )
    return await asyncio.to_thread(build_archive, data_dir, rows, readme(contents))


async def stored_counts(uow: UnitOfWork, user_id: int) -> dict[str, int]:
    """How many rows of each table are the user's (what erasing them would delete)."""
    async with uow.transaction() as session:
        return await count_rows(session, user_id)


async def erase_user(uow: UnitOfWork, data_dir: Path, user_id: int) -> Erased:
    """Delete every row of the user in one transaction, then the files those rows referenced (attached,
    or waiting in a draft) that no other row references. Returns the rows deleted and files removed."""
    async with uow.transaction() as session:
        counts = await count_rows(session, user_id)
        paths = await delete_rows(session, user_id)
        kept = await referenced_paths(session, paths)
    removed = await asyncio.to_thread(remove_files, data_dir, paths - kept)
    return Erased(rows=sum(counts.values()), files=removed)
