"""Files a user sends (photos, scans, PDFs): what is accepted, and where the bytes are kept.

Files are stored under the data dir by content hash (`attachments/ab/abcdef….jpg`), never by the name
they were sent with, so a hostile name cannot escape the folder and the same photo is kept once.

Files follow their rows: a file stays while a row references it (an attachment row of anyone, or a draft
in anyone's persisted data: `storage.attachments.referenced_paths`) and goes with the last one — when a
photo is discarded, a session, entry or weapon deleted, a flow cancelled, a user erased — and a daily
sweep removes any file no row references that is older than `ORPHAN_MIN_AGE` (younger ones may be an
upload whose row is not written yet).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from services.unit_of_work import UnitOfWork
from storage.attachments import ATTACHMENTS_FOLDER as ATTACHMENTS_FOLDER  # re-exported
from storage.attachments import paths_in, referenced_paths

# Bots may download at most 20 MB through the Bot API.
MAX_FILE_BYTES = 20 * 1024 * 1024
ACCEPTED_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
}
ORPHAN_MIN_AGE = dt.timedelta(hours=1)


class RefusedFile(ValueError):
    """The file cannot be kept; `key` names the catalog text that says why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to the data dir
    sha256: str
    size: int
    mime: str


def check_acceptable(mime: str | None, size: int | None) -> str:
    """Refuse a file before downloading it: too big, or not an image or PDF. Returns the mime type."""
    if size is not None and size > MAX_FILE_BYTES:
        raise RefusedFile(
            "files.too_big", size_mb=round(size / 1024 / 1024, 1), limit_mb=MAX_FILE_BYTES // 2**20
        )
    if mime not in ACCEPTED_TYPES:
        raise RefusedFile("files.wrong_type", mime=mime or "?")
    return mime


def store_bytes(data_dir: Path, data: bytes, mime: str) -> StoredFile:
    """Write the bytes under their hash (once) and describe them. Blocking: call it in a thread."""
    mime = check_acceptable(mime, len(data))
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(ATTACHMENTS_FOLDER) / digest[:2] / f"{digest}{ACCEPTED_TYPES[mime]}"
    target = data_dir / relative
    if target.exists():
        with contextlib.suppress(OSError):
            os.utime(target)  # just received again: the orphan sweep counts its age from now
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)  # atomic: a crash never leaves half a file under the final name
    return StoredFile(path=relative.as_posix(), sha256=digest, size=len(data), mime=mime)


def read_bytes(data_dir: Path, relative_path: str) -> bytes:
    """The stored bytes of an attachment. Blocking: call it in a thread."""
    base = (data_dir / ATTACHMENTS_FOLDER).resolve()
    path = (data_dir / relative_path).resolve()
    if not path.is_relative_to(base):
        raise ValueError("attachment path outside the attachments folder")
    return path.read_bytes()


def remove_files(data_dir: Path, paths: Iterable[str]) -> int:
    """Remove attachment files (and their folder once empty); returns how many were removed. A path
    outside the attachments folder, or already gone, is left alone. Blocking: call it in a thread."""
    base = (data_dir / ATTACHMENTS_FOLDER).resolve()
    removed = 0
    for relative in paths:
        path = (data_dir / relative).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            continue
        with contextlib.suppress(FileNotFoundError):  # removed meanwhile by another process
            path.unlink()
            removed += 1
        if path.parent != base:
            with contextlib.suppress(OSError):  # not empty (or just refilled): it stays
                path.parent.rmdir()
    return removed


def stored_files(data_dir: Path, older_than: float) -> set[str]:
    """The files under the attachments folder (half-written `.part`s too) last written before the
    timestamp `older_than`, relative to the data dir. Blocking: call it in a thread."""
    base = data_dir / ATTACHMENTS_FOLDER
    found: set[str] = set()
    if not base.is_dir():
        return found
    for path in base.rglob("*"):
        with contextlib.suppress(OSError):  # removed meanwhile
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < older_than:
                found.add(path.relative_to(data_dir).as_posix())
    return found


async def forget_files(
    uow: UnitOfWork, data_dir: Path, paths: Iterable[str], *, user_id: int | None = None, held: object = None
) -> int:
    """Remove the files at `paths` that no row references any more; returns how many were removed.

    With `user_id`, `held` is that user's data as the running bot holds it now (their user data and
    private chat's data, newer than the stored rows, which are then not consulted): a file still in it stays.
    """
    candidates = set(paths) - paths_in(held)
    if not candidates:
        return 0
    async with uow.transaction() as session:
        kept = await referenced_paths(session, candidates, except_user=user_id)
    return await asyncio.to_thread(remove_files, data_dir, candidates - kept)


async def sweep_orphans(
    uow: UnitOfWork, data_dir: Path, *, now: float | None = None, min_age: dt.timedelta = ORPHAN_MIN_AGE
) -> int:
    """Remove every stored file older than `min_age` that no row references; returns how many."""
    cutoff = (time.time() if now is None else now) - min_age.total_seconds()
    candidates = await asyncio.to_thread(stored_files, data_dir, cutoff)
    if not candidates:
        return 0
    async with uow.transaction() as session:
        kept = await referenced_paths(session, candidates)
    return await asyncio.to_thread(remove_files, data_dir, candidates - kept)
