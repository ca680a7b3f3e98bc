"""The schema: migrations agree with the models, and the database enforces what the seeds ask for."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from storage import coach
from storage.db import Database
from storage.job_runs import claim_run
from storage.migrations import check, downgrade, upgrade
from storage.models import (
    AiReflection,
    AiStatus,
    GearCategory,
    GearItem,
    GearJourney,
    GearJourneyItem,
    JobRun,
    SessionWeaponEntry,
    ShootingSession,
    User,
    Weapon,
)

SEED_COLUMNS = {
    "weapons": {
        "user_id",
        "name",
        "type",
        "caliber",
        "serial_number",
        "storage_location",
        "notes",
        "purchased_at",
        "retired_at",
        "created_at",
        "updated_at",
    },
    "shooting_sessions": {
        "user_id",
        "date",
        "location",
        "club",
        "weather",
        "ammo_brand",
        "manual_reflection",
        "raw_notes",
        "start_time",
        "end_time",
    },
    "session_weapon_entries": {
        "session_id",
        "weapon_id",
        "distance_m",
        "shot_count",
        "ammo_caliber",
        "score",
        "grouping_note",
    },
    "attachments": {"attachable_type", "attachable_id", "user_id", "path", "mime", "size", "original_name"},
    "ai_reflections": {
        "session_id",
        "summary",
        "went_well",
        "needs_improvement",
        "next_focus",
        "provider",
        "model",
        "status",
        "error",
        "generated_at",
    },
    "ai_weapon_insights": {
        "weapon_id",
        "trends",
        "typical_issues",
        "recommendations",
        "provider",
        "model",
        "status",
        "error",
        "generated_at",
    },
    "coach_threads": {"user_id", "topic"},
    "coach_messages": {"coach_thread_id", "role", "content", "tokens"},
    "gear_journeys": {
        "user_id",
        "destination",
        "latitude",
        "longitude",
        "starts_at",
        "ends_at",
        "participants",
    },
    "gear_categories": {"user_id", "name"},
    "gear_items": {"user_id", "category_id", "name", "quantity_per_day", "quantity", "properties"},
    "gear_journey_items": {"journey_id", "item_id", "quantity", "packed_for_departure", "packed_for_return"},
    "users": {"id", "language", "time_zone", "display_name", "licence_number"},
}


def test_migrations_go_up_down_and_up_again_and_match_the_models(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    downgrade(empty_database_url, "base")
    upgrade(empty_database_url)
    check(empty_database_url)  # raises if models and migrations disagree


async def test_every_seed_field_has_a_column(db: Database) -> None:
    async with db.engine.connect() as connection:
        columns = await connection.run_sync(
            lambda sync: {
                table: {c["name"] for c in inspect(sync).get_columns(table)} for table in SEED_COLUMNS
            }
        )
    for table, expected in SEED_COLUMNS.items():
        assert expected <= columns[table], f"{table} lacks {expected - columns[table]}"


async def test_sqlite_connections_enforce_foreign_keys_and_use_wal(db: Database) -> None:
    if db.is_postgresql:
        pytest.skip("SQLite's pragmas")
    async with db.engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"


async def _user_with_locker(db: Database) -> tuple[int, int, int]:
    async with db.session() as session:
        session.add(User(id=1, display_name="Anna"))
        await session.flush()
        category = GearCategory(user_id=1, name="Clothing")
        item = GearItem(user_id=1, name="Socks", category=category, quantity_per_day=1)
        journey = GearJourney(
            user_id=1,
            destination="Oslo",
            latitude=Decimal("59.91"),
            longitude=Decimal("10.75"),
            starts_at=dt.date(2026, 12, 1),
            ends_at=dt.date(2026, 12, 3),
            participants=["adult"],
        )
        session.add_all([category, item, journey])
        await session.flush()
        session.add(GearJourneyItem(journey_id=journey.id, item_id=item.id, quantity=3))
    return category.id, item.id, journey.id


async def test_deleting_a_category_leaves_its_items_uncategorised(db: Database) -> None:
    category_id, item_id, _ = await _user_with_locker(db)
    async with db.session() as session:
        await session.execute(text("DELETE FROM gear_categories WHERE id = :id"), {"id": category_id})
    async with db.session() as session:
        item = await session.get(GearItem, item_id)
        assert item is not None and item.category_id is None


async def test_deleting_a_journey_removes_its_packing_list(db: Database) -> None:
    _, _, journey_id = await _user_with_locker(db)
    async with db.session() as session:
        await session.execute(text("DELETE FROM gear_journeys WHERE id = :id"), {"id": journey_id})
    async with db.session() as session:
        assert (await session.scalars(select(GearJourneyItem))).all() == []


async def test_a_journey_cannot_end_before_it_starts(db: Database) -> None:
    await _user_with_locker(db)
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            session.add(
                GearJourney(
                    user_id=1,
                    destination="Rome",
                    latitude=Decimal("41.9"),
                    longitude=Decimal("12.5"),
                    starts_at=dt.date(2026, 12, 5),
                    ends_at=dt.date(2026, 12, 4),
                    participants=["adult"],
                )
            )


async def test_a_weapon_with_history_cannot_be_deleted_but_its_sessions_cascade(db: Database) -> None:
    async with db.session() as session:
        session.add(User(id=1))
        await session.flush()
        weapon = Weapon(user_id=1, name="CZ Shadow 2", type="pistol", caliber="9mm")
        shooting = ShootingSession(user_id=1, date=dt.date(2026, 11, 21), club="SV De Roos")
        shooting.entries.append(
            SessionWeaponEntry(weapon=weapon, distance_m=25, shot_count=50, ammo_caliber="9mm", score=471)
        )
        session.add(shooting)
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            await session.execute(text("DELETE FROM weapons"))
    async with db.session() as session:
        await session.execute(text("DELETE FROM shooting_sessions"))
    async with db.session() as session:
        assert (await session.scalars(select(SessionWeaponEntry))).all() == []


async def test_a_negative_shot_count_is_refused_by_the_database(db: Database) -> None:
    async with db.session() as session:
        session.add(User(id=1))
        await session.flush()
        weapon = Weapon(user_id=1, name="Glock 17", type="pistol", caliber="9mm")
        shooting = ShootingSession(user_id=1, date=dt.date(2026, 11, 21))
        session.add_all([weapon, shooting])
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            session.add(
                SessionWeaponEntry(
                    session_id=shooting.id,
                    weapon_id=weapon.id,
                    distance_m=25,
                    shot_count=-5,
                    ammo_caliber="9mm",
                )
            )


async def _pending_reflection(db: Database) -> AiReflection:
    async with db.session() as session:
        session.add(User(id=1))
        await session.flush()
        shooting = ShootingSession(user_id=1, date=dt.date(2026, 11, 21))
        session.add(shooting)
        await session.flush()
        reflection = AiReflection(session_id=shooting.id, status=AiStatus.PENDING)
        session.add(reflection)
    return reflection


async def _claim(db: Database, row: AiReflection, now: dt.datetime) -> bool:
    async with db.session() as session:
        return await coach.claim(session, row, now)


async def test_a_pending_ai_row_is_claimed_by_one_process_at_a_time(db: Database) -> None:
    row = await _pending_reflection(db)
    now = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
    # At once (on PostgreSQL the later UPDATEs wait for the first to commit, then find the row claimed).
    assert sorted(await asyncio.gather(*(_claim(db, row, now) for _ in range(3)))) == [False, False, True]
    async with db.session() as session:
        assert not await coach.claim(session, row, now + coach.CLAIM_LEASE / 2)
        # A claim older than the lease belongs to a process that stopped: another takes it over.
        assert await coach.claim(session, row, now + coach.CLAIM_LEASE * 2)
        fresh = await session.get_one(AiReflection, row.id)
        coach.mark_succeeded(fresh, {"summary": "ok"}, "offline", "stats")
    async with db.session() as session:
        assert not await coach.claim(session, row, now + coach.CLAIM_LEASE * 5), "done: nothing to claim"
        assert (await session.get_one(AiReflection, row.id)).claimed_at is None


async def test_a_job_period_is_claimed_once(db: Database) -> None:
    claims = [claim_run(db, "attendance_reminders", "2026-W47", f"host:{pid}") for pid in (1, 2, 3)]
    assert sorted(await asyncio.gather(*claims)) == [False, False, True]
    assert await claim_run(db, "attendance_reminders", "2026-W48", "host:1")
    assert await claim_run(db, "gear-weather-recheck", "2026-11-22", "host:2")
    async with db.session() as session:
        runs = (await session.scalars(select(JobRun).order_by(JobRun.id))).all()
    assert [(run.name, run.period) for run in runs] == [
        ("attendance_reminders", "2026-W47"),
        ("attendance_reminders", "2026-W48"),
        ("gear-weather-recheck", "2026-11-22"),
    ]
