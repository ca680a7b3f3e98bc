"""The user's account: created on first contact, the bot's owner by claim, and what the screens need of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.unit_of_work import UnitOfWork
from storage import users
from storage.models import User


@dataclass
class Account:
    """The user's row as the handlers see it (plain data, loaded once per update by the access gate)."""

    id: int
    display_name: str | None
    language: str | None  # None: follow the Telegram app's language
    telegram_language: str | None
    time_zone: str | None
    licence_number: str | None
    renewal_date: dt.date | None
    attendance_reminders: bool
    csv_separator: str
    claimed_at: dt.datetime | None

    @classmethod
    def of(cls, user: User) -> Account:
        return cls(
            id=user.id,
            display_name=user.display_name,
            language=user.language,
            telegram_language=user.telegram_language,
            time_zone=user.time_zone,
            licence_number=user.licence_number,
            renewal_date=user.renewal_date,
            attendance_reminders=user.attendance_reminders,
            csv_separator=user.csv_separator,
            claimed_at=user.claimed_at,
        )


async def enter(
    uow: UnitOfWork, user_id: int, display_name: str | None, telegram_language: str | None
) -> Account:
    """The user's account, created on first contact; name and app language follow Telegram's. A database
    locked by another writer is waited out (a few tries), so an update is not refused for a moment's
    contention; if it stays locked this raises, and the update stops (no handler runs without the row)."""

    async def load(session: AsyncSession) -> Account:
        return Account.of(await users.ensure_user(session, user_id, display_name, telegram_language))

    return await uow.retrying(load)


async def claim_owner(uow: UnitOfWork, user_id: int, display_name: str | None) -> None:
    """Make this user the bot's owner (whoever sent the start-up claim code first)."""
    async with uow.transaction() as session:
        await users.claim(session, user_id, display_name)


async def owner_ids(uow: UnitOfWork) -> set[int]:
    """The users who claimed the bot."""
    async with uow.transaction() as session:
        return await users.claimed_owner_ids(session)
