"""The packing list's use cases: open it, tick a box, why an item is on it.

Every one is scoped to the user's journeys: a line of another user's list, or of a list that is gone
(deleted, or made again), is not found (None) and nothing is written.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from services.packing.checklist import ChecklistItem
from services.packing.conditions import WeatherForecast
from services.packing.journeys import Journey, checklist_of, reason_text, weather_text
from services.texts import Text
from services.unit_of_work import UnitOfWork
from storage import journeys as store


class Side(enum.StrEnum):
    """A line's two boxes: packed for departure, packed for the return."""

    DEPARTURE = "d"
    RETURN = "r"


@dataclass(frozen=True)
class ChecklistView:
    journey: Journey
    items: tuple[ChecklistItem, ...]


async def checklist(
    uow: UnitOfWork, user_id: int, journey_id: int, *, reasons: bool = False
) -> ChecklistView | None:
    """The user's journey and its list (with each line's reasons when `reasons`)."""
    async with uow.transaction() as session:
        journey = await store.get_journey(session, user_id, journey_id)
        if journey is None:
            return None
        rows = await store.checklist_rows(session, user_id, journey_id, reasons=reasons)
        return ChecklistView(Journey.of(journey), tuple(checklist_of(rows)))


class _Outdated(Exception):
    """The tapped line is not (or no longer) the one the user saw: roll the flip back."""


async def toggle_packed(
    uow: UnitOfWork,
    user_id: int,
    item_id: int,
    side: Side,
    seen: Callable[[ChecklistItem], bool] | None = None,
) -> ChecklistView | None:
    """Flip one box in one UPDATE scoped to the user's journeys, then read the list back, in one transaction.

    SQLite hands the ids of a deleted list to the next one, so a button of a list made again may name a line
    of the new list: `seen` tells whether the line now under `item_id` is the one the tapped button showed;
    when it is not, the flip is rolled back and None is returned, as for a line that is not theirs.
    """
    try:
        async with uow.transaction() as session:
            journey_id = await store.toggle_packed(session, user_id, item_id, side)
            journey = (
                await store.get_journey(session, user_id, journey_id) if journey_id is not None else None
            )
            if journey is None:
                raise _Outdated
            items = checklist_of(await store.checklist_rows(session, user_id, journey.id))
            line = next(item for item in items if item.id == item_id)
            if seen is not None and not seen(line):
                raise _Outdated
            return ChecklistView(Journey.of(journey), tuple(items))
    except _Outdated:
        return None


async def item_reasons(uow: UnitOfWork, user_id: int, item_id: int) -> Text | None:
    """Why a line is on the user's list: the conditions that held, or that it is always packed."""
    async with uow.transaction() as session:
        row = await store.journey_item(session, user_id, item_id)
    if row is None:
        return None
    forecast = WeatherForecast.from_json(row.weather)
    reasons = [reason_text(reason, forecast) for reason in row.reasons or ()]
    values = {"name": row.name, "quantity": row.quantity, "reasons": reasons}
    return ("packing.name_reasons" if row.reasons else "packing.name_always"), values


def why_texts(journey: Journey, items: Sequence[ChecklistItem]) -> list[Text]:
    """The list's "Why?": the weather it was made with and, by name, why each conditional item is on it."""
    forecast = journey.forecast
    texts: list[Text] = [("packing.why_title", {"destination": journey.destination}), weather_text(forecast)]
    explained = [item for item in sorted(items, key=lambda item: item.name.casefold()) if item.reasons]
    texts += [
        ("packing.why_item", {"name": item.name, "reasons": [reason_text(r, forecast) for r in item.reasons]})
        for item in explained
    ]
    texts.append(("packing.why_always", {}) if explained else ("packing.why_none", {}))
    return texts
