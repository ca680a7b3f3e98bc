"""Queries on attachments; every one that reads or writes a user's rows takes the user's id.

A stored file is referenced by a row while an `attachments` row names its path (whoever's row: files are
kept once per content), or while a user's or chat's data (`persisted_data`, the drafts of flows) holds
its path — a file waiting to be attached, or one in a draft session.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, delete, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AttachableType, Attachment, PersistedData, ShootingSession

ATTACHMENTS_FOLDER = "attachments"  # stored files live under this folder of the data dir


async def add_attachment(
    session: AsyncSession,
    user_id: int,
    attachable_type: AttachableType,
    attachable_id: int,
    *,
    path: str,
    sha256: str,
    mime: str,
    size: int,
    original_name: str | None,
    telegram_file_id: str | None,
) -> Attachment:
    attachment = Attachment(
        user_id=user_id,
        attachable_type=attachable_type,
        attachable_id=attachable_id,
        path=path,
        sha256=sha256,
        mime=mime,
        size=size,
        original_name=original_name,
        telegram_file_id=telegram_file_id,
    )
    session.add(attachment)
    await session.flush()
    return attachment


async def list_attachments(
    session: AsyncSession, user_id: int, attachable_type: AttachableType, attachable_id: int
) -> list[Attachment]:
    result = await session.scalars(
        select(Attachment)
        .where(
            Attachment.user_id == user_id,
            Attachment.attachable_type == attachable_type,
            Attachment.attachable_id == attachable_id,
        )
        .order_by(Attachment.id)
    )
    return list(result)


async def list_session_attachments(
    session: AsyncSession, user_id: int, row: ShootingSession
) -> list[Attachment]:
    """Every file of a session: those attached to the session itself and those attached to any of its
    entries, in the order they were attached. The one list the card counts, Photos sends and the PDF
    counts, so they show the same number."""
    entry_ids = [entry.id for entry in row.entries]
    owners = and_(Attachment.attachable_type == AttachableType.SESSION, Attachment.attachable_id == row.id)
    if entry_ids:
        owners = or_(
            owners,
            and_(Attachment.attachable_type == AttachableType.ENTRY, Attachment.attachable_id.in_(entry_ids)),
        )
    result = await session.scalars(
        select(Attachment).where(Attachment.user_id == user_id, owners).order_by(Attachment.id)
    )
    return list(result)


async def delete_attachments_of(
    session: AsyncSession, user_id: int, attachable_type: AttachableType, attachable_ids: list[int]
) -> list[str]:
    """Remove the rows of a deleted owner (the morph relation has no foreign key to cascade on); returns
    the file paths those rows named, so the files no other row references can go too."""
    if not attachable_ids:
        return []
    condition = and_(
        Attachment.user_id == user_id,
        Attachment.attachable_type == attachable_type,
        Attachment.attachable_id.in_(attachable_ids),
    )
    paths = list(await session.scalars(select(Attachment.path).where(condition).distinct()))
    await session.execute(delete(Attachment).where(condition))
    return paths


def paths_in(value: object) -> set[str]:
    """The stored-file paths (`attachments/…`) anywhere in a JSON value: a dict, a list, a string."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item.startswith(f"{ATTACHMENTS_FOLDER}/"):
                found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


async def referenced_paths(
    session: AsyncSession, paths: Collection[str] | None = None, *, except_user: int | None = None
) -> set[str]:
    """Which of `paths` (every path, when None) a row still references: any user's attachment row, or any
    user's or chat's persisted data.

    `except_user`: leave out that user's own data (their user data and their private chat's, whose id is
    theirs) — the caller holds it newer than stored. Deliberately across users: it only answers which
    files are still in use, never whose they are.
    """
    if paths is not None and not paths:
        return set()
    query = select(Attachment.path).distinct()
    if paths is not None:
        query = query.where(Attachment.path.in_(list(paths)))
    found = set(await session.scalars(query))
    data = select(PersistedData.data)
    if except_user is not None:
        data = data.where(
            not_(and_(PersistedData.scope.in_(("user", "chat")), PersistedData.owner_id == except_user))
        )
    for value in await session.scalars(data):
        found |= paths_in(value)
    return found if paths is None else found & set(paths)
