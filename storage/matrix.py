"""Matrix users' accounts (which logbook and room is theirs), link codes, and the bot's sync token."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audience import FIRST_MATRIX_USER_ID
from storage.models import MatrixAccount, MatrixLinkCode, MatrixSync

LINK_CODE_LIFETIME = dt.timedelta(minutes=10)


async def account(session: AsyncSession, matrix_id: str) -> MatrixAccount | None:
    return await session.get(MatrixAccount, matrix_id)


async def account_of_user(session: AsyncSession, user_id: int) -> MatrixAccount | None:
    return await session.scalar(select(MatrixAccount).where(MatrixAccount.user_id == user_id))


async def ensure_account(session: AsyncSession, matrix_id: str, room_id: str | None = None) -> MatrixAccount:
    """The Matrix user's account, made on first contact with the next free id; `room_id` becomes theirs."""
    found = await session.get(MatrixAccount, matrix_id)
    if found is None:
        highest = await session.scalar(
            select(func.max(MatrixAccount.user_id)).where(MatrixAccount.user_id >= FIRST_MATRIX_USER_ID)
        )
        found = MatrixAccount(matrix_id=matrix_id, user_id=(highest or FIRST_MATRIX_USER_ID - 1) + 1)
        session.add(found)
    if room_id is not None:
        found.room_id = room_id
    await session.flush()
    return found


async def sync_token(session: AsyncSession, bot_id: str) -> str | None:
    row = await session.get(MatrixSync, bot_id)
    return row.next_batch if row else None


async def save_sync_token(session: AsyncSession, bot_id: str, token: str) -> None:
    row = await session.get(MatrixSync, bot_id)
    if row is None:
        session.add(MatrixSync(account=bot_id, next_batch=token))
    else:
        row.next_batch = token


async def add_link_code(session: AsyncSession, user_id: int, code: str, expires_at: dt.datetime) -> None:
    """A new code for the user; their older codes and everyone's expired ones go."""
    await session.execute(
        delete(MatrixLinkCode).where(
            (MatrixLinkCode.user_id == user_id)
            | (MatrixLinkCode.expires_at < expires_at - LINK_CODE_LIFETIME)
        )
    )
    session.add(MatrixLinkCode(code=code, user_id=user_id, expires_at=expires_at))


async def redeem_link_code(session: AsyncSession, code: str, now: dt.datetime) -> int | None:
    """The user a valid code belongs to; the code is spent either way."""
    found = await session.get(MatrixLinkCode, code)
    if found is None:
        return None
    await session.delete(found)
    expires_at = found.expires_at if found.expires_at.tzinfo else found.expires_at.replace(tzinfo=dt.UTC)
    return found.user_id if expires_at > now else None


async def link_account(session: AsyncSession, matrix_id: str, user_id: int) -> bool:
    """Point the Matrix account at `user_id`'s logbook; False if another Matrix account has it already."""
    taken = await account_of_user(session, user_id)
    if taken is not None and taken.matrix_id != matrix_id:
        return False
    found = await ensure_account(session, matrix_id)
    found.user_id = user_id
    await session.flush()
    return True
