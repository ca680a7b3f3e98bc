"""The /export flow without a chat: which periods are offered, what a typed range means, the weapon
choice and the formats; and its use cases, what a period holds and the log's data. Plain data in and out,
for any transport; every read is of the user's own sessions and weapons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from services.attendance import year_before
from services.exports.session_export import ExportData, Shooter, collect
from services.unit_of_work import UnitOfWork
from services.validation import InvalidInput
from storage.exports import sessions_between
from storage.weapons import list_weapons

PERIODS = ("12m", "year", "last")  # the buttons; "custom" asks for two typed days
FORMATS: dict[str, tuple[str, ...]] = {"pdf": ("pdf",), "csv": ("csv",), "both": ("pdf", "csv")}


def period_of(choice: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days a period button means (None for an unknown button): the last 12 months up to today,
    this calendar year, or last calendar year."""
    if choice == "12m":
        return year_before(today) + dt.timedelta(days=1), today
    if choice == "year":
        return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    if choice == "last":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    return None


def check_range(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    if last < first:
        raise InvalidInput("export.bad_range", {"first": first})
    return first, last


def toggled(selected: Sequence[int], weapon_id: int, known: Sequence[int]) -> list[int]:
    """The selection after a tap on `weapon_id`; a weapon that is not the user's changes nothing."""
    if weapon_id not in known:
        return list(selected)
    if weapon_id in selected:
        return [wid for wid in selected if wid != weapon_id]
    return [wid for wid in known if wid in selected or wid == weapon_id]


@dataclass(frozen=True)
class WeaponOption:
    id: int
    name: str
    retired: bool


@dataclass(frozen=True)
class PeriodContents:
    """How many of the user's sessions a period holds, and the user's weapons (retired ones too) to choose."""

    sessions: int
    weapons: tuple[WeaponOption, ...]


async def period_contents(
    uow: UnitOfWork, user_id: int, first: dt.date, last: dt.date, max_weapons: int
) -> PeriodContents:
    async with uow.transaction() as session:
        rows = await sessions_between(session, user_id, first, last)
        weapons = await list_weapons(session, user_id, include_retired=True)
    options = tuple(WeaponOption(w.id, w.name, w.retired_at is not None) for w in weapons[:max_weapons])
    return PeriodContents(len(rows), options)


async def export_log(
    uow: UnitOfWork, shooter: Shooter, first: dt.date, last: dt.date, weapon_ids: Collection[int] | None
) -> ExportData:
    """The shooter's log from `first` to `last` with the chosen weapons (None: all)."""
    async with uow.transaction() as session:
        return await collect(session, shooter, first, last, weapon_ids)
