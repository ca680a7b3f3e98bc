"""One-time codes that link a Matrix account to a Telegram user's logbook, so one person has one logbook.

The code is issued on Telegram (/link) and sent from Matrix (`!link CODE`); it is eight digits, lives ten
minutes and works once. Typed with spaces or dashes ("4829 1307") it still counts.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from services.unit_of_work import UnitOfWork
from storage import matrix as store

CODE_DIGITS = 8
LIFETIME = store.LINK_CODE_LIFETIME


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalized(typed: str) -> str | None:
    """The code in what the user typed, or None when it cannot be one."""
    digits = "".join(char for char in typed if char not in " -")
    return digits if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit() else None


async def issue(uow: UnitOfWork, user_id: int, now: dt.datetime) -> str:
    """A new code for the user's logbook, valid for LIFETIME from `now`."""
    code = new_code()
    async with uow.transaction() as session:
        await store.add_link_code(session, user_id, code, now + LIFETIME)
    return code


async def redeem(session: AsyncSession, typed: str, now: dt.datetime) -> int | None:
    """The Telegram user whose valid code this is (spent now), or None."""
    code = normalized(typed)
    return None if code is None else await store.redeem_link_code(session, code, now)
