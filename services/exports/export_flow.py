"""The /export flow without a chat: which periods are offered, what a typed range means, the weapon
choice and the formats. Plain data in and out, for any transport."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from services.attendance import year_before
from services.validation import InvalidInput

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
