"""Queries on the Gear tables; every one is scoped to the user (directly or through the user's journey)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GearItem, GearJourney, GearJourneyItem


class JourneyItemRow(Protocol):
    item_id: int
    quantity: int
    reasons: tuple[str, ...]


async def get_journey(session: AsyncSession, user_id: int, journey_id: int) -> GearJourney | None:
    return await session.scalar(
        select(GearJourney).where(GearJourney.id == journey_id, GearJourney.user_id == user_id)
    )


async def iter_items(
    session: AsyncSession, user_id: int, chunk_size: int
) -> AsyncIterator[Sequence[GearItem]]:
    """The user's locker in chunks of `chunk_size`, by id (keyset paging: no offset scans)."""
    last_id = 0
    while True:
        chunk = (
            await session.scalars(
                select(GearItem)
                .where(GearItem.user_id == user_id, GearItem.id > last_id)
                .order_by(GearItem.id)
                .limit(chunk_size)
            )
        ).all()
        if not chunk:
            return
        yield chunk
        last_id = chunk[-1].id


async def clear_journey_items(session: AsyncSession, journey_id: int) -> None:
    await session.execute(delete(GearJourneyItem).where(GearJourneyItem.journey_id == journey_id))


async def insert_journey_items(
    session: AsyncSession, journey_id: int, rows: Sequence[JourneyItemRow]
) -> None:
    if rows:
        await session.execute(
            insert(GearJourneyItem),
            [
                {
                    "journey_id": journey_id,
                    "item_id": row.item_id,
                    "quantity": row.quantity,
                    "reasons": list(row.reasons),
                }
                for row in rows
            ],
        )
