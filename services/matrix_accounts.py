"""The Matrix accounts' use cases: which logbook a Matrix user keeps, linking it to a Telegram logbook, and
the bridge's sync token.

A Matrix user gets a logbook of their own on first contact (ids from `FIRST_MATRIX_USER_ID` up). A link code
from Telegram (services/linking.py) moves their account to that Telegram user's logbook instead, unless
their own Matrix logbook already holds something: a link never hides what they stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from core.audience import FIRST_MATRIX_USER_ID
from services import linking
from services.unit_of_work import UnitOfWork
from storage import matrix as store
from storage.models import ConversationState, MatrixAccount, PersistedData, User
from storage.user_data import count_rows
from storage.users import get_user

# A user's rows that are not their logbook: the account itself and the bot's bookkeeping of it.
_BOOKKEEPING = frozenset(
    model.__tablename__ for model in (User, PersistedData, ConversationState, MatrixAccount)
)


class LinkOutcome(StrEnum):
    DONE = "done"  # the Matrix account now keeps the Telegram user's logbook
    UNKNOWN = "unknown"  # no such code: mistyped, used or expired
    TAKEN = "taken"  # another Matrix account keeps that logbook already
    HAS_DATA = "has_data"  # the Matrix account's own logbook holds something: it stays


async def logbooks(uow: UnitOfWork, matrix_ids: Iterable[str]) -> dict[str, int]:
    """Each Matrix account's logbook id (a linked Telegram user's, or its own, made now if it is new)."""
    async with uow.transaction() as session:
        return {
            matrix_id: (await store.ensure_account(session, matrix_id)).user_id for matrix_id in matrix_ids
        }


async def enter(uow: UnitOfWork, matrix_id: str, room_id: str) -> int:
    """The Matrix user's logbook id; `room_id` becomes the room the bot answers them in."""
    async with uow.transaction() as session:
        return (await store.ensure_account(session, matrix_id, room_id)).user_id


async def room_of(uow: UnitOfWork, user_id: int) -> str | None:
    """The room of the Matrix account that keeps this logbook, if any."""
    async with uow.transaction() as session:
        account = await store.account_of_user(session, user_id)
    return account.room_id if account is not None else None


async def chosen_language(uow: UnitOfWork, user_id: int) -> str | None:
    """The language the user chose in the bot's settings (None: none chosen, or no such user)."""
    async with uow.transaction() as session:
        user = await get_user(session, user_id)
    return user.language if user is not None else None


async def keeps_a_logbook(uow: UnitOfWork, user_id: int) -> bool:
    """Whether the user has stored anything beyond their account and the bot's bookkeeping of it."""
    async with uow.transaction() as session:
        return await _holds_data(session, user_id)


async def link(uow: UnitOfWork, matrix_id: str, logbook_id: int, typed: str, now: dt.datetime) -> LinkOutcome:
    """`typed` (a link code) moves the Matrix account, keeping `logbook_id` now, to the code's Telegram
    logbook. A Matrix-only logbook that holds something stays (the code is not spent); a linked one stays on
    Telegram, so a second link just moves the account again."""
    async with uow.transaction() as session:
        if logbook_id >= FIRST_MATRIX_USER_ID and await _holds_data(session, logbook_id):
            return LinkOutcome.HAS_DATA
        owner = await linking.redeem(session, typed, now)
        if owner is None:
            return LinkOutcome.UNKNOWN
        if not await store.link_account(session, matrix_id, owner):
            return LinkOutcome.TAKEN
        return LinkOutcome.DONE


async def _holds_data(session: AsyncSession, user_id: int) -> bool:
    counts = await count_rows(session, user_id)
    return any(count for table, count in counts.items() if table not in _BOOKKEEPING)


async def sync_token(uow: UnitOfWork, bot_id: str) -> str | None:
    """Where the bot's Matrix sync left off: the token after the last batch it handled."""
    async with uow.transaction() as session:
        return await store.sync_token(session, bot_id)


async def save_sync_token(uow: UnitOfWork, bot_id: str, token: str) -> None:
    async with uow.transaction() as session:
        await store.save_sync_token(session, bot_id, token)
