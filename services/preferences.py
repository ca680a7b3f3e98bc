"""The user's preferences: which time zones to offer and how to read a typed one."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_TIME_ZONE = "Europe/Amsterdam"
# Offered as buttons; anything else can be typed.
COMMON_TIME_ZONES = (
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Helsinki",
    "UTC",
    "America/New_York",
    "Asia/Tokyo",
)


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def parse_time_zone(text: str) -> str | None:
    """The IANA name for what the user typed (case and spaces forgiven), or None if there is no such zone."""
    candidate = "_".join(text.strip().split()).casefold()
    if not candidate or len(candidate) > 64:
        return None
    return _zones_by_folded_name().get(candidate)


def zone_of(time_zone: str | None) -> ZoneInfo:
    return ZoneInfo(time_zone or DEFAULT_TIME_ZONE)


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(day: dt.date, language: str) -> str:
    """A day as the user's language writes it: 21-11-2026 in Dutch, 21 Nov 2026 in English."""
    if language == "nl":
        return day.strftime("%d-%m-%Y")
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def today_in(time_zone: str | None) -> dt.date:
    return local_now(time_zone).date()


def local_now(time_zone: str | None, *, now: dt.datetime | None = None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).astimezone(zone_of(time_zone))
