"""Files a user sends (photos, scans, PDFs): what is accepted, and where the bytes are kept.

Files are stored under the data dir by content hash (`attachments/ab/abcdef….jpg`), never by the name
they were sent with, so a hostile name cannot escape the folder and the same photo is kept once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

# Bots may download at most 20 MB through the Bot API.
MAX_FILE_BYTES = 20 * 1024 * 1024
ACCEPTED_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
}
ATTACHMENTS_FOLDER = "attachments"


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
    if not target.exists():
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
