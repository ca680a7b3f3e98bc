"""Queries on users: who may use the bot, their language and time zone, renewal date and reminders."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BotClaim, User

CLAIM_ROW = 1  # the one row of bot_claim


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def ensure_user(
    session: AsyncSession, user_id: int, display_name: str | None, telegram_language: str | None = None
) -> User:
    """The user's row, created on first contact; display name and app language follow Telegram's."""
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id, display_name=display_name, telegram_language=telegram_language)
        session.add(user)
        await session.flush()
        return user
    if display_name and user.display_name != display_name:
        user.display_name = display_name
    if telegram_language and user.telegram_language != telegram_language:
        user.telegram_language = telegram_language
    return user


async def has_owner(session: AsyncSession) -> bool:
    """Whether a user claimed the bot."""
    return bool(await session.scalar(select(exists().where(User.claimed_at.is_not(None)))))


async def claim_code(session: AsyncSession) -> str | None:
    """The claim code out now (None: none), as the last committed transaction left it; not locked."""
    return await session.scalar(select(BotClaim.code).where(BotClaim.id == CLAIM_ROW))


async def lock_claim(session: AsyncSession) -> BotClaim:
    """The claim row, held by this transaction until it ends: a write first, so that SQLite takes its write
    lock (waiting for another process's) and PostgreSQL the row's lock, before anything is read."""
    locked = await session.execute(
        update(BotClaim)
        .where(BotClaim.id == CLAIM_ROW)
        .values(code=BotClaim.code)
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount == 0:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        session.add(BotClaim(id=CLAIM_ROW, code=None))  # a database made without the migration's row
        await session.flush()
    return await session.get_one(BotClaim, CLAIM_ROW, populate_existing=True)


async def claim(session: AsyncSession, user_id: int, display_name: str | None) -> User:
    """Make this user the bot's owner (the caller holds the claim row and checked the code)."""
    user = await ensure_user(session, user_id, display_name)
    user.claimed_at = dt.datetime.now(dt.UTC)
    return user


async def set_language(session: AsyncSession, user_id: int, language: str | None) -> None:
    user = await session.get_one(User, user_id)
    user.language = language


async def set_time_zone(session: AsyncSession, user_id: int, time_zone: str | None) -> None:
    user = await session.get_one(User, user_id)
    user.time_zone = time_zone


async def set_renewal_date(session: AsyncSession, user_id: int, renewal_date: dt.date | None) -> None:
    user = await session.get_one(User, user_id)
    user.renewal_date = renewal_date


async def set_attendance_reminders(session: AsyncSession, user_id: int, enabled: bool) -> None:
    user = await session.get_one(User, user_id)
    user.attendance_reminders = enabled


async def set_licence_number(session: AsyncSession, user_id: int, licence_number: str | None) -> None:
    user = await session.get_one(User, user_id)
    user.licence_number = licence_number


async def set_csv_separator(session: AsyncSession, user_id: int, separator: str) -> None:
    user = await session.get_one(User, user_id)
    user.csv_separator = separator
