"""The figures behind /stats: a user's scores per weapon and distance, rounds per month, session days.

Each use case reads the user's own sessions only, so a weapon of another user has no scores here. The
charts themselves are drawn by `services.charts` from these figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.attendance import year_before
from services.charts import (
    Month,
    cumulative_days,
    last_months,
    rounds_per_month,
    score_series,
    scored_distances,
)
from services.exports.session_export import ExportSession, export_session
from services.unit_of_work import UnitOfWork
from storage.attendance import session_facts
from storage.exports import sessions_between


@dataclass(frozen=True)
class ScoreBook:
    """The user's sessions with the weapons that have a score in them (id → name)."""

    sessions: tuple[ExportSession, ...]
    weapons: dict[int, str]

    def distances(self, weapon_id: int) -> list[int]:
        """The distances at which the weapon has a score, shortest first."""
        return scored_distances(self.sessions, weapon_id)

    def series(self, weapon_id: int, distance_m: int) -> list[tuple[dt.date, float]]:
        return score_series(self.sessions, weapon_id, distance_m)


@dataclass(frozen=True)
class MonthlyRounds:
    months: tuple[Month, ...]  # the last twelve calendar months, oldest first
    rounds: dict[str, list[int]]  # weapon name → shots in each month


async def _sessions(
    uow: UnitOfWork, user_id: int, first: dt.date, last: dt.date
) -> tuple[ExportSession, ...]:
    async with uow.transaction() as session:
        rows = await sessions_between(session, user_id, first, last)
        return tuple(found for row in rows if (found := export_session(row)) is not None)


async def score_book(uow: UnitOfWork, user_id: int, today: dt.date) -> ScoreBook:
    """Every session of the user up to today, and the weapons scored in them."""
    sessions = await _sessions(uow, user_id, dt.date.min, today)
    weapons = {e.weapon_id: e.weapon for row in sessions for e in row.entries if e.score is not None}
    return ScoreBook(sessions, weapons)


async def monthly_rounds(uow: UnitOfWork, user_id: int, today: dt.date) -> MonthlyRounds:
    """Shots per weapon in each of the last twelve calendar months."""
    months = last_months(today)
    sessions = await _sessions(uow, user_id, dt.date(*months[0], 1), today)
    return MonthlyRounds(tuple(months), rounds_per_month(sessions, months))


async def session_days_curve(uow: UnitOfWork, user_id: int, today: dt.date) -> list[tuple[dt.date, int]]:
    """The user's distinct session days in the last 12 months, counted up: (day, days so far)."""
    async with uow.transaction() as session:
        facts = await session_facts(session, user_id, year_before(today))
    return cumulative_days((day for day, _ in facts), today)
