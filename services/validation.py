"""Reading what a user typed: dates, times, numbers, names. Plain Python, shared by every transport.

Each parser returns the value or raises `InvalidInput`, whose `key` names a catalog text (in `core/i18n`)
and whose `values` fill its placeholders, so the chat layer can answer in the user's language.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

MAX_NAME_LENGTH = 100
MAX_NOTE_LENGTH = 2000


@dataclass
class InvalidInput(ValueError):
    key: str
    values: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.key} {self.values}"


_TODAY_WORDS = {"today", "vandaag", "now", "nu"}
_YESTERDAY_WORDS = {"yesterday", "gisteren"}
_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{2}|\d{4}))?")
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def parse_date(text: str, today: dt.date, *, allow_future: bool = False) -> dt.date:
    """A day as people type it: `21-11`, `21-11-2026`, `21/11/26`, `2026-11-21`, vandaag, yesterday, …

    A day and month without a year mean the most recent such day (this year, or last year if that day is
    still ahead), unless `allow_future`, when they mean the next one.
    """
    cleaned = text.strip().lower()
    if cleaned in _TODAY_WORDS:
        return today
    if cleaned in _YESTERDAY_WORDS:
        return today - dt.timedelta(days=1)
    if match := _YMD.fullmatch(cleaned):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DMY.fullmatch(cleaned):
        day, month = int(match[1]), int(match[2])
        year = today.year if match[3] is None else int(match[3]) + (2000 if len(match[3]) == 2 else 0)
    else:
        raise InvalidInput("input.bad_date", {"value": text.strip()[:40]})
    try:
        day_value = dt.date(year, month, day)
    except ValueError:
        raise InvalidInput("input.no_such_date", {"value": text.strip()[:40]}) from None
    if match.re is _DMY and match[3] is None:
        if not allow_future and day_value > today:
            day_value = day_value.replace(year=year - 1)
        elif allow_future and day_value < today:
            day_value = day_value.replace(year=year + 1)
    if not allow_future and day_value > today:
        raise InvalidInput("input.future_date", {"value": day_value.isoformat()})
    return day_value


_TIME = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?")


def parse_time(text: str) -> dt.time:
    """`19:30`, `19.30`, `19h30` or `19`."""
    match = _TIME.fullmatch(text.strip().lower())
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise InvalidInput("input.bad_time", {"value": text.strip()[:20]})


def parse_int(text: str, *, minimum: int, maximum: int, key: str = "input.bad_number") -> int:
    """A whole number within [minimum, maximum]; `key` names the text that explains the range."""
    cleaned = text.strip().replace(".", "").replace(" ", "")
    if not re.fullmatch(r"-?\d{1,9}", cleaned):
        raise InvalidInput(key, {"value": text.strip()[:20], "minimum": minimum, "maximum": maximum})
    number = int(cleaned)
    if not minimum <= number <= maximum:
        raise InvalidInput(key, {"value": number, "minimum": minimum, "maximum": maximum})
    return number


def parse_name(text: str, *, maximum: int = MAX_NAME_LENGTH) -> str:
    """A name or short label: trimmed, one line, not empty, at most `maximum` characters."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidInput("input.empty")
    if len(cleaned) > maximum:
        raise InvalidInput("input.too_long", {"maximum": maximum, "length": len(cleaned)})
    return cleaned


def parse_note(text: str, *, maximum: int = MAX_NOTE_LENGTH) -> str:
    """Free text (notes, reflections): trimmed, line breaks kept, at most `maximum` characters."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("input.empty")
    if len(cleaned) > maximum:
        raise InvalidInput("input.too_long", {"maximum": maximum, "length": len(cleaned)})
    return cleaned
