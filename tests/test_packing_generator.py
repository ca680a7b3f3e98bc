"""Packing conditions and the generator: boundaries, AND logic, quantities, idempotency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update

from services.packing.conditions import (
    GearProperty,
    JourneyFacts,
    Participant,
    WeatherForecast,
    WeatherSource,
    all_hold,
    condition_for,
)
from services.packing.generator import quantity_for, regenerate
from storage.db import Database
from storage.models import GearCategory, GearItem, GearJourney, GearJourneyItem, User

DAY = dt.date(2026, 12, 1)


def journey(
    temp: float | None = 15, rain: float = 0, people: frozenset[str] = frozenset({"adult"}), days: int = 3
) -> JourneyFacts:
    forecast = None if temp is None else WeatherForecast(temp, rain, WeatherSource.FORECAST)
    return JourneyFacts(DAY, DAY + dt.timedelta(days=days - 1), frozenset(map(Participant, people)), forecast)


TEMPERATURES = [
    (9.9, False, True),
    (10, False, True),
    (10.1, False, False),
    (19.9, False, False),
    (20, True, False),
]


@pytest.mark.parametrize(("temp", "warm", "cold"), TEMPERATURES)
def test_temperature_boundaries(temp: float, warm: bool, cold: bool) -> None:
    assert condition_for(GearProperty.WARM_WEATHER).should_be_included(journey(temp)) is warm
    assert condition_for(GearProperty.COLD_WEATHER).should_be_included(journey(temp)) is cold


@pytest.mark.parametrize(("chance", "expected"), [(39.9, False), (40, True), (100, True)])
def test_rain_boundary(chance: float, expected: bool) -> None:
    assert condition_for(GearProperty.RAIN_EXPECTED).should_be_included(journey(rain=chance)) is expected


def test_weather_conditions_do_not_hold_without_a_forecast() -> None:
    for prop in (GearProperty.WARM_WEATHER, GearProperty.COLD_WEATHER, GearProperty.RAIN_EXPECTED):
        assert not condition_for(prop).should_be_included(journey(temp=None))


def test_participant_conditions() -> None:
    family = journey(people=frozenset({"adult", "child"}))
    assert condition_for(GearProperty.CHILD_SPECIFIC).should_be_included(family)
    assert condition_for(GearProperty.ADULT_SPECIFIC).should_be_included(family)
    assert not condition_for(GearProperty.INFANT_SPECIFIC).should_be_included(family)


def test_every_property_has_a_condition() -> None:
    for prop in GearProperty:
        assert condition_for(prop) is not None


def test_all_conditions_must_hold() -> None:
    warm_and_wet = journey(temp=25, rain=60)
    assert all_hold(["warm-weather", "rain-expected"], warm_and_wet)
    assert not all_hold(["warm-weather", "rain-expected"], journey(temp=25, rain=10))
    assert all_hold([], warm_and_wet) and all_hold(None, warm_and_wet)
    assert not all_hold(["no-such-property"], warm_and_wet)


def test_days_are_counted_inclusively_and_quantities_rounded_up() -> None:
    assert journey(days=1).days == 1
    assert quantity_for(1.0, 1, 1) == 1
    assert quantity_for(0.5, 1, 3) == 2  # ceil(1.5)
    assert quantity_for(0.1, 1, 30) == 3  # no float noise
    assert quantity_for(0, 4, 10) == 4  # fixed quantity


async def _locker(db: Database, items: list[GearItem], **journey_fields: object) -> GearJourney:
    async with db.session() as session:
        session.add_all([User(id=1), User(id=2)])
        await session.flush()
        session.add_all(items)
        trip = GearJourney(
            user_id=1, destination="Oslo", latitude=Decimal("59.91"), longitude=Decimal("10.75"),
            starts_at=DAY, ends_at=DAY + dt.timedelta(days=2), participants=["adult"],
            weather={"average_temp_celsius": 5, "max_precipitation_chance": 70, "source": "forecast"},
        )  # fmt: skip
        for key, value in journey_fields.items():
            setattr(trip, key, value)
        session.add(trip)
    return trip


async def _list(db: Database, journey_id: int) -> dict[str, tuple[int, list[str]]]:
    async with db.session() as session:
        rows = await session.execute(
            select(GearItem.name, GearJourneyItem.quantity, GearJourneyItem.reasons)
            .join(GearItem, GearItem.id == GearJourneyItem.item_id)
            .where(GearJourneyItem.journey_id == journey_id)
        )
        return {name: (quantity, reasons) for name, quantity, reasons in rows}


async def test_generation_picks_items_with_quantities_and_reasons(db: Database) -> None:
    trip = await _locker(db, [
        GearItem(user_id=1, name="Socks", quantity_per_day=1),
        GearItem(user_id=1, name="Rain jacket", properties=["rain-expected"]),
        GearItem(user_id=1, name="Thermals", properties=["cold-weather", "adult-specific"]),
        GearItem(user_id=1, name="Sunscreen", properties=["warm-weather"]),
        GearItem(user_id=1, name="Diapers", quantity_per_day=6, properties=["infant-specific"]),
        GearItem(user_id=2, name="Someone else's tent"),
    ])  # fmt: skip
    async with db.session() as session:
        assert await regenerate(session, trip, chunk_size=2) == 3
    assert await _list(db, trip.id) == {
        "Socks": (3, []),
        "Rain jacket": (1, ["rain-expected"]),
        "Thermals": (1, ["cold-weather", "adult-specific"]),
    }


async def test_regenerating_replaces_the_list_and_resets_progress(db: Database) -> None:
    trip = await _locker(db, [GearItem(user_id=1, name="Socks", quantity_per_day=1)])
    async with db.session() as session:
        await regenerate(session, trip)
    async with db.session() as session:
        await session.execute(update(GearJourneyItem).values(packed_for_departure=True))
    async with db.session() as session:
        await regenerate(session, trip)
    async with db.session() as session:
        rows = (await session.scalars(select(GearJourneyItem))).all()
    assert len(rows) == 1 and not rows[0].packed_for_departure


async def test_a_deleted_locker_item_leaves_the_list(db: Database) -> None:
    trip = await _locker(db, [GearItem(user_id=1, name="Socks", quantity_per_day=1,
                                       category=GearCategory(user_id=1, name="Clothing"))])  # fmt: skip
    async with db.session() as session:
        await regenerate(session, trip)
        await session.execute(text("DELETE FROM gear_items"))
    assert await _list(db, trip.id) == {}
