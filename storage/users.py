"""Queries on users: who may use the bot, their language and time zone, renewal date and reminders."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User


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


async def claimed_owner_ids(session: AsyncSession) -> set[int]:
    result = await session.scalars(select(User.id).where(User.claimed_at.is_not(None)))
    return set(result)


async def claim(session: AsyncSession, user_id: int, display_name: str | None) -> User:
    """Make this user the bot's owner (the claim-code flow)."""
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
