"""Packing list generation: which items go, how many, and why.

`decide` is pure; `regenerate` reads the user's locker in chunks and replaces the journey's list in the
caller's transaction (delete, then insert), so running it twice gives the same list.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.packing.conditions import JourneyFacts, Participant, WeatherForecast, all_hold
from storage import journeys as journey_store
from storage.journeys import LockerItemRow

CHUNK_SIZE = 1000


class JourneyRecord(Protocol):
    """What a list is made from: a stored journey row, or its plain `services.packing.journeys.Journey`."""

    @property
    def id(self) -> int: ...

    @property
    def user_id(self) -> int: ...

    @property
    def starts_at(self) -> dt.date: ...

    @property
    def ends_at(self) -> dt.date: ...

    @property
    def participants(self) -> Sequence[str]: ...

    @property
    def weather(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class PackingDecision:
    item_id: int
    quantity: int
    reasons: tuple[str, ...]


def quantity_for(quantity_per_day: float, quantity: int, days: int) -> int:
    """`ceil(per_day × days)` for per-day items; the fixed quantity otherwise."""
    if quantity_per_day > 0:
        return math.ceil(round(quantity_per_day * days, 9))  # round: 0.1 × 30 is 3, not 3.0000000000000004
    return quantity


def decide(item: LockerItemRow, journey: JourneyFacts) -> PackingDecision | None:
    if not all_hold(item.properties, journey):
        return None
    quantity = quantity_for(item.quantity_per_day, item.quantity, journey.days)
    return PackingDecision(item.id, quantity, tuple(item.properties or ()))


def plan(
    items: Iterable[LockerItemRow], journey: JourneyFacts, holds: dict[tuple[str, ...], bool] | None = None
) -> Iterator[PackingDecision]:
    """`decide` for each item. A locker has few distinct property sets, so whether one holds is worked out
    once per set (in `holds`, which may be shared by the chunks of one list), not once per item."""
    holds = {} if holds is None else holds
    for item in items:
        reasons = tuple(item.properties or ())
        if (included := holds.get(reasons)) is None:
            included = holds[reasons] = all_hold(list(reasons), journey)
        if included:
            yield PackingDecision(
                item.id, quantity_for(item.quantity_per_day, item.quantity, journey.days), reasons
            )


def facts_of(journey: JourneyRecord) -> JourneyFacts:
    return JourneyFacts(
        starts_at=journey.starts_at,
        ends_at=journey.ends_at,
        participants=frozenset(Participant(value) for value in journey.participants),
        forecast=WeatherForecast.from_json(journey.weather),
    )


async def regenerate(session: AsyncSession, journey: JourneyRecord, *, chunk_size: int = CHUNK_SIZE) -> int:
    """Replace the journey's packing list with a fresh one; returns the number of items on it."""
    facts = facts_of(journey)
    await journey_store.clear_journey_items(session, journey.id)
    total = 0
    holds: dict[tuple[str, ...], bool] = {}
    async for chunk in journey_store.iter_items(session, journey.user_id, chunk_size):
        decisions = list(plan(chunk, facts, holds))
        await journey_store.insert_journey_items(session, journey.id, decisions)
        total += len(decisions)
    return total
