"""Queries on journeys and their packing lists; every one is scoped to the user (directly or through the
user's journey)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, Row, Select, case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GearCategory, GearItem, GearJourney, GearJourneyItem


class JourneyItemRow(Protocol):
    @property
    def item_id(self) -> int: ...

    @property
    def quantity(self) -> int: ...

    @property
    def reasons(self) -> tuple[str, ...]: ...


async def get_journey(session: AsyncSession, user_id: int, journey_id: int) -> GearJourney | None:
    return await session.scalar(
        select(GearJourney).where(GearJourney.id == journey_id, GearJourney.user_id == user_id)
    )


class LockerItemRow(Protocol):
    id: int
    name: str
    properties: list[str] | None
    quantity_per_day: float
    quantity: int


_LOCKER_ITEM_COLUMNS = (
    GearItem.id,
    GearItem.name,
    GearItem.properties,
    GearItem.quantity_per_day,
    GearItem.quantity,
)


async def iter_items(
    session: AsyncSession, user_id: int, chunk_size: int
) -> AsyncIterator[Sequence[LockerItemRow]]:
    """The user's locker in chunks of `chunk_size`, by id (keyset paging: no offset scans).

    Plain rows of the columns a packing list needs, not ORM objects: making 10,000 of those took longer
    than inserting the whole list (benchmarks/generation.py).
    """
    last_id = 0
    while True:
        chunk = (
            await session.execute(
                select(*_LOCKER_ITEM_COLUMNS)
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


# --- journeys ---------------------------------------------------------------------------------------

JOURNEY_COLUMNS = frozenset(
    {"destination", "latitude", "longitude", "starts_at", "ends_at", "participants", "weather"}
)
_BOXES = {"d": GearJourneyItem.packed_for_departure, "r": GearJourneyItem.packed_for_return}


def _owned_journeys(user_id: int) -> Select[int]:
    return select(GearJourney.id).where(GearJourney.user_id == user_id)


async def create_journey(session: AsyncSession, user_id: int, **values: Any) -> GearJourney:
    """A new journey (flushed, so it has its id for the packing list in the same transaction)."""
    journey = GearJourney(user_id=user_id, **{k: v for k, v in values.items() if k in JOURNEY_COLUMNS})
    session.add(journey)
    await session.flush()
    return journey


async def update_journey(
    session: AsyncSession, user_id: int, journey_id: int, **values: Any
) -> GearJourney | None:
    journey = await get_journey(session, user_id, journey_id)
    if journey is not None:
        for column, value in values.items():
            if column in JOURNEY_COLUMNS:
                setattr(journey, column, value)
        await session.flush()
    return journey


async def delete_journey(session: AsyncSession, user_id: int, journey_id: int) -> bool:
    """Delete the journey; its packing list goes with it (ON DELETE CASCADE)."""
    result = await session.execute(
        delete(GearJourney).where(GearJourney.id == journey_id, GearJourney.user_id == user_id)
    )
    return bool(cast("CursorResult[Any]", result).rowcount)


async def list_journeys(session: AsyncSession, user_id: int) -> Sequence[GearJourney]:
    return (
        await session.scalars(
            select(GearJourney).where(GearJourney.user_id == user_id).order_by(GearJourney.starts_at)
        )
    ).all()


async def journey_progress(session: AsyncSession, user_id: int, journey_id: int) -> tuple[int, int, int]:
    """(packed for departure, packed for return, items) of the user's journey."""
    row = (
        await session.execute(
            select(
                func.count(GearJourneyItem.id),
                func.coalesce(func.sum(case((GearJourneyItem.packed_for_departure, 1), else_=0)), 0),
                func.coalesce(func.sum(case((GearJourneyItem.packed_for_return, 1), else_=0)), 0),
            ).where(
                GearJourneyItem.journey_id.in_(_owned_journeys(user_id).where(GearJourney.id == journey_id))
            )
        )
    ).one()
    return int(row[1]), int(row[2]), int(row[0])


async def checklist_rows(
    session: AsyncSession, user_id: int, journey_id: int, *, reasons: bool = False
) -> Sequence[Row[*tuple[Any, ...]]]:
    """The journey's list with item names and category names (None: uncategorised); `reasons` for Why?."""
    columns = [
        GearJourneyItem.id,
        GearItem.name,
        GearJourneyItem.quantity,
        GearCategory.name.label("category"),
        GearJourneyItem.packed_for_departure,
        GearJourneyItem.packed_for_return,
    ]
    if reasons:
        columns.append(GearJourneyItem.reasons)
    return (
        await session.execute(
            select(*columns)
            .join(GearItem, GearItem.id == GearJourneyItem.item_id)
            .outerjoin(GearCategory, GearCategory.id == GearItem.category_id)
            .where(
                GearJourneyItem.journey_id == journey_id,
                GearJourneyItem.journey_id.in_(_owned_journeys(user_id)),
            )
        )
    ).all()


async def journey_item(session: AsyncSession, user_id: int, journey_item_id: int) -> Row[Any] | None:
    """One line of the user's list: name, quantity, reasons and the journey's weather; None if not theirs."""
    return (
        await session.execute(
            select(GearItem.name, GearJourneyItem.quantity, GearJourneyItem.reasons, GearJourney.weather)
            .join(GearItem, GearItem.id == GearJourneyItem.item_id)
            .join(GearJourney, GearJourney.id == GearJourneyItem.journey_id)
            .where(GearJourneyItem.id == journey_item_id, GearJourney.user_id == user_id)
        )
    ).one_or_none()


async def toggle_packed(session: AsyncSession, user_id: int, journey_item_id: int, box: str) -> int | None:
    """Flip one box (`d`eparture or `r`eturn) in one UPDATE scoped to the user's journeys.

    Returns the journey's id, or None when the item is not on a list of this user (nothing is written).
    """
    column = _BOXES[box]
    return await session.scalar(
        update(GearJourneyItem)
        .where(
            GearJourneyItem.id == journey_item_id, GearJourneyItem.journey_id.in_(_owned_journeys(user_id))
        )
        .values({column: ~column})
        .returning(GearJourneyItem.journey_id)
        .execution_options(synchronize_session=False)
    )


async def journey_item_names(session: AsyncSession, user_id: int, journey_id: int) -> dict[int, str]:
    """The locker items on the user's journey list, by locker item id."""
    rows = await session.execute(
        select(GearItem.id, GearItem.name)
        .join(GearJourneyItem, GearJourneyItem.item_id == GearItem.id)
        .where(
            GearJourneyItem.journey_id == journey_id, GearJourneyItem.journey_id.in_(_owned_journeys(user_id))
        )
    )
    return {item_id: name for item_id, name in rows}


async def journeys_ending_between(
    session: AsyncSession, first: dt.date, last: dt.date
) -> Sequence[GearJourney]:
    """Every user's journeys that end within [first, last]: the daily weather re-check, which runs for all
    users at once (each journey carries its user_id, and everything after this is scoped to it)."""
    return (
        await session.scalars(
            select(GearJourney)
            .where(GearJourney.ends_at >= first, GearJourney.ends_at <= last)
            .order_by(GearJourney.user_id, GearJourney.starts_at)
        )
    ).all()
