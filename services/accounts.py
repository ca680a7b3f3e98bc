"""The user's account: created on first contact, the bot's owner by claim, and what the screens need of it.

The claim lives in the database, so every process sees the same: the one code out (`issue_claim_code`),
spent by the first who sends it (`claim`), and the one owner (`enter_as_owner`).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.access import code_matches, new_claim_code
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


async def enter_as_owner(
    uow: UnitOfWork, user_id: int, display_name: str | None, telegram_language: str | None
) -> Account | None:
    """The owner's account, as `enter` (a locked database waited out the same way); None (and nothing
    written) for anyone who is not the owner."""

    async def load(session: AsyncSession) -> Account | None:
        user = await users.get_user(session, user_id)
        if user is None or user.claimed_at is None:
            return None
        return Account.of(await users.ensure_user(session, user_id, display_name, telegram_language))

    return await uow.retrying(load)


class ClaimOutcome(enum.StrEnum):
    CLAIMED = "claimed"
    WRONG_CODE = "wrong_code"
    NOT_CLAIMABLE = "not_claimable"  # no code is out: the bot has an owner


@dataclass(frozen=True)
class Claim:
    outcome: ClaimOutcome
    account: Account | None = None  # the new owner's, when claimed


async def claim(
    uow: UnitOfWork, user_id: int, display_name: str | None, telegram_language: str | None, code: str
) -> Claim:
    """Make this user the bot's one owner if `code` is the code out: the code is spent in the same
    transaction, which holds the claim row, so of two senders (in any processes) one wins. A wrong code
    or a bot that has an owner writes nothing."""
    async with uow.transaction() as session:
        issued = await users.claim_code(session)
    if issued is None:
        return Claim(ClaimOutcome.NOT_CLAIMABLE)
    if not code_matches(code, issued):
        return Claim(ClaimOutcome.WRONG_CODE)
    async with uow.transaction() as session:
        row = await users.lock_claim(session)
        if row.code is None or await users.has_owner(session):
            row.code = None
            return Claim(ClaimOutcome.NOT_CLAIMABLE)
        if not code_matches(code, row.code):  # a new code since the read above
            return Claim(ClaimOutcome.WRONG_CODE)
        row.code = None
        await users.claim(session, user_id, display_name)
        return Claim(
            ClaimOutcome.CLAIMED,
            Account.of(await users.ensure_user(session, user_id, display_name, telegram_language)),
        )


async def issue_claim_code(uow: UnitOfWork) -> str | None:
    """The code that claims the bot, for the log: the one out already (which any process may have made),
    else a new one; None when the bot has an owner."""
    async with uow.transaction() as session:
        row = await users.lock_claim(session)
        if await users.has_owner(session):
            row.code = None
            return None
        if row.code is None:
            row.code = new_claim_code()
        return row.code
