"""The data the benchmarks run on, written straight to the database (deterministic: a seeded random)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import insert, select

from services.packing.conditions import GearProperty
from services.packing.generator import regenerate
from storage.db import Database
from storage.models import (
    Competition,
    GearCategory,
    GearItem,
    GearJourney,
    GearJourneyItem,
    SessionWeaponEntry,
    ShootingSession,
    User,
    Weapon,
)

CATEGORIES = ("Clothing", "Documents", "Electronics", "Kitchen", "Toiletries", "Tools")
# Most of a locker goes on every list; the rest depends on the weather and who travels.
PROPERTIES: tuple[list[str] | None, ...] = (
    None,
    None,
    None,
    None,
    [GearProperty.RAIN_EXPECTED.value],
    [GearProperty.COLD_WEATHER.value],
    [GearProperty.WARM_WEATHER.value],
    [GearProperty.ADULT_SPECIFIC.value],
    [GearProperty.CHILD_SPECIFIC.value],
)
COLD_AND_WET = {"average_temp_celsius": 6.0, "max_precipitation_chance": 70.0, "source": "forecast"}
WEAPONS = (
    ("Glock 17", "pistol", "9mm"),
    ("Walther KK500", "rifle", ".22 LR"),
    ("CZ Shadow 2", "pistol", "9mm"),
    ("Anschütz 1907", "rifle", ".22 LR"),
)
CLUBS = ("SV De Roos", "SV Utrecht", "KSV Amersfoort")
NOTES = ("low left", "tight group", "flyer high", "trigger jerk", None, None, None)


async def users(db: Database, ids: Sequence[int]) -> None:
    async with db.session() as session:
        known = set((await session.scalars(select(User.id).where(User.id.in_(ids)))).all())
        session.add_all(
            User(id=user_id, display_name=f"Shooter {user_id}") for user_id in ids if user_id not in known
        )


async def locker(db: Database, user_id: int, size: int, *, conditional: bool = True, seed: int = 8) -> None:
    """`size` items in six categories; with `conditional`, half of them with a packing condition (else all
    of them go on every list)."""
    rng = random.Random(seed)
    async with db.session() as session:
        categories = [GearCategory(user_id=user_id, name=name) for name in CATEGORIES]
        session.add_all(categories)
        await session.flush()
        rows = [
            {
                "user_id": user_id,
                "category_id": rng.choice(categories).id if number % 10 else None,
                "name": f"Item {number:05d}",
                "properties": rng.choice(PROPERTIES) if conditional else None,
                "quantity_per_day": rng.choice((0.0, 0.0, 0.0, 1.0, 0.5)),
                "quantity": rng.randint(1, 3),
            }
            for number in range(size)
        ]
        await session.execute(insert(GearItem), rows)


async def journey(db: Database, user_id: int, *, generate: bool = True) -> int:
    """A cold and wet week for one adult, starting tomorrow; with its packing list unless told not to."""
    start = dt.date.today() + dt.timedelta(days=1)
    async with db.session() as session:
        row = GearJourney(
            user_id=user_id,
            destination="Bergen, Norway",
            latitude=Decimal("60.39"),
            longitude=Decimal("5.32"),
            starts_at=start,
            ends_at=start + dt.timedelta(days=6),
            participants=["adult"],
            weather=COLD_AND_WET,
        )
        session.add(row)
        await session.flush()
        if generate:
            await regenerate(session, row)
        return row.id


async def list_size(db: Database, journey_id: int) -> int:
    async with db.session() as session:
        rows = await session.scalars(
            select(GearJourneyItem.id).where(GearJourneyItem.journey_id == journey_id)
        )
        return len(rows.all())


async def weapons(db: Database, user_id: int) -> list[int]:
    async with db.session() as session:
        rows = [
            Weapon(user_id=user_id, name=name, type=kind, caliber=caliber) for name, kind, caliber in WEAPONS
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


async def shooting_log(db: Database, user_id: int, sessions: int, *, years: int = 5, seed: int = 8) -> None:
    """`sessions` sessions spread over the last `years` years with the user's four weapons: one or two
    entries each, scores that slowly improve, a note now and then, and some matches."""
    weapon_ids = await weapons(db, user_id)
    rng = random.Random(seed)
    last = dt.date.today()
    span = years * 365
    days = sorted(last - dt.timedelta(days=rng.randrange(span)) for _ in range(sessions))
    async with db.session() as session:
        for index, day in enumerate(days):
            progress = index / max(sessions - 1, 1)
            row = ShootingSession(
                user_id=user_id,
                date=day,
                club=rng.choice(CLUBS),
                location="Utrecht",
                competition=rng.choices(list(Competition), weights=(20, 1, 2))[0],
                manual_reflection=rng.choice(("Calm and steady", None, None, None)),
            )
            row.entries = [
                SessionWeaponEntry(
                    weapon_id=weapon_ids[(index + block) % len(weapon_ids)],
                    distance_m=rng.choice((10, 25, 50)),
                    shot_count=rng.choice((30, 50, 60)),
                    ammo_caliber="9mm",
                    score=int(400 + 80 * progress + rng.randint(-25, 25)),
                    grouping_note=rng.choice(NOTES),
                )
                for block in range(rng.choice((1, 1, 2)))
            ]
            session.add(row)
