"""The user's preferences: the app's language, the time zone (which ones to offer and how to read a typed
one), the licence's renewal date and the attendance reminders, the licence number and the CSV separator of
exports; and how a day is written in each language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy.ext.asyncio import AsyncSession

from core import i18n
from services.unit_of_work import UnitOfWork
from storage import users
from storage.models import User

_Setter = Callable[[AsyncSession, int, Any], Awaitable[None]]

DEFAULT_TIME_ZONE = "Europe/Amsterdam"
CSV_SEPARATORS = (",", ";")
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


# --- the use cases: each changes one preference of the user and returns them all, as stored now ---------


@dataclass(frozen=True)
class Preferences:
    """What the user chose; the names are the account's (`services.accounts.Account`)."""

    language: str | None  # None: follow the Telegram app's language
    time_zone: str | None  # None: DEFAULT_TIME_ZONE
    renewal_date: dt.date | None  # when the shooting licence is to be renewed
    attendance_reminders: bool
    licence_number: str | None  # printed on exports
    csv_separator: str

    @classmethod
    def of(cls, user: User) -> Preferences:
        return cls(
            language=user.language,
            time_zone=user.time_zone,
            renewal_date=user.renewal_date,
            attendance_reminders=user.attendance_reminders,
            licence_number=user.licence_number,
            csv_separator=user.csv_separator,
        )


async def preferences_of(uow: UnitOfWork, user_id: int) -> Preferences | None:
    """The user's preferences; None for someone who never used the bot (no account)."""
    async with uow.transaction() as session:
        user = await users.get_user(session, user_id)
        return None if user is None else Preferences.of(user)


async def _changed(uow: UnitOfWork, user_id: int, setter: _Setter, value: Any) -> Preferences:
    async with uow.transaction() as session:
        await setter(session, user_id, value)
        return Preferences.of(await session.get_one(User, user_id))


async def set_language(uow: UnitOfWork, user_id: int, language: str | None) -> Preferences:
    """One of the catalog's languages, or None to follow the Telegram app's."""
    if language is not None and language not in i18n.LANGUAGES:
        raise ValueError(f"no such language: {language!r}")
    return await _changed(uow, user_id, users.set_language, language)


async def set_time_zone(uow: UnitOfWork, user_id: int, time_zone: str) -> Preferences:
    """An IANA zone name (as `parse_time_zone` gives it)."""
    if time_zone not in available_timezones():
        raise ValueError(f"no such time zone: {time_zone!r}")
    return await _changed(uow, user_id, users.set_time_zone, time_zone)


async def set_renewal_date(uow: UnitOfWork, user_id: int, renewal_date: dt.date | None) -> Preferences:
    """The licence's renewal date, or None to clear it (the attendance reminders count down to it)."""
    return await _changed(uow, user_id, users.set_renewal_date, renewal_date)


async def set_attendance_reminders(uow: UnitOfWork, user_id: int, enabled: bool) -> Preferences:
    return await _changed(uow, user_id, users.set_attendance_reminders, enabled)


async def set_licence_number(uow: UnitOfWork, user_id: int, number: str | None) -> Preferences:
    """The licence number printed on exports, or None to clear it."""
    return await _changed(uow, user_id, users.set_licence_number, number)


async def set_csv_separator(uow: UnitOfWork, user_id: int, separator: str) -> Preferences:
    """The column separator of CSV exports: a comma or a semicolon."""
    if separator not in CSV_SEPARATORS:
        raise ValueError(f"not a CSV separator: {separator!r}")
    return await _changed(uow, user_id, users.set_csv_separator, separator)
