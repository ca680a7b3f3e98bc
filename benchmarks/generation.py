"""3. Generation: a packing list from a big locker, beside the bare bulk insert of the same rows.

Both run in the bot's own database (a migrated SQLite file), each in one transaction with its commit, the
way the bot makes a list: `regenerate` reads the locker in chunks, decides every item and inserts the
list; the baseline only deletes the old list and inserts the rows that `regenerate` wrote.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from benchmarks import harness, seed
from benchmarks.harness import Figure, Profiler, ms, now, percentile, ratio
from services.packing.generator import regenerate
from storage.db import Database
from storage.models import GearJourney, GearJourneyItem

USER = 6001


async def _generate(db: Database, journey_id: int) -> float:
    started = now()
    async with db.session() as session:
        journey = await session.get(GearJourney, journey_id)
        await regenerate(session, journey)
    return now() - started


async def _bulk_insert(db: Database, journey_id: int, rows: list[dict[str, object]]) -> float:
    started = now()
    async with db.session() as session:
        await session.execute(delete(GearJourneyItem).where(GearJourneyItem.journey_id == journey_id))
        await session.execute(insert(GearJourneyItem), rows)
    return now() - started


async def run(locker: int, repeats: int, profiler: Profiler) -> list[Figure]:
    async with harness.data_dir() as folder, harness.database(folder) as db:
        await seed.users(db, [USER])
        await seed.locker(db, USER, locker)
        journey_id = await seed.journey(db, USER, generate=False)
        await _generate(db, journey_id)  # warm up: compiled statements, the file in the page cache
        async with db.session() as session:
            columns = (GearJourneyItem.journey_id, GearJourneyItem.item_id, GearJourneyItem.quantity)
            result = await session.execute(select(*columns, GearJourneyItem.reasons))
            rows = [
                {"journey_id": j, "item_id": i, "quantity": q, "reasons": r} for j, i, q, r in result.all()
            ]
        generated, inserted = [], []
        with profiler.section("generation"):
            for _ in range(repeats):
                generated.append(await _generate(db, journey_id))
                inserted.append(await _bulk_insert(db, journey_id, rows))
    took, bare = percentile(generated, 0.5), percentile(inserted, 0.5)
    return [
        Figure(
            3,
            f"Packing list from a {locker:,}-item locker ({len(rows):,} on the list), median of {repeats}",
            ms(took),
            f"bulk insert {ms(bare)} ({ratio(took, bare)})",
            "≤ 1.5× bulk insert, < 1 s",
            took <= 1.5 * bare and took < 1,
        )
    ]
