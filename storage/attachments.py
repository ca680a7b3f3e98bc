"""Queries on attachments; every one takes the user's id."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AttachableType, Attachment


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


async def delete_attachments_of(
    session: AsyncSession, user_id: int, attachable_type: AttachableType, attachable_ids: list[int]
) -> None:
    """Remove the rows of a deleted owner (the morph relation has no foreign key to cascade on)."""
    if attachable_ids:
        await session.execute(
            delete(Attachment).where(
                Attachment.user_id == user_id,
                Attachment.attachable_type == attachable_type,
                Attachment.attachable_id.in_(attachable_ids),
            )
        )
