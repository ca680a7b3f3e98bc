"""Every row of one user, table by table: read for /mydata, deleted for /deleteme.

A row belongs to a user directly (`user_id`), through its parent (an entry through its session, a coach
message through its thread, ...), or — for the bot's own state — through its key: a conversation state is
keyed by `[chat id, user id]`, persisted data by the user's id (scope `user`) or their private chat's id,
which Telegram makes equal to the user's id (scope `chat`).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.attachments import paths_in
from storage.models import (
    AiReflection,
    AiWeaponInsight,
    Attachment,
    Base,
    CoachMessage,
    CoachThread,
    ConversationState,
    GearCategory,
    GearItem,
    GearJourney,
    GearJourneyItem,
    MatrixAccount,
    MatrixLinkCode,
    PersistedData,
    SessionWeaponEntry,
    ShootingSession,
    User,
    Weapon,
)

# Children before parents: the order rows are deleted in (weapons are RESTRICTed by entries).
USER_MODELS: tuple[type[Base], ...] = (
    SessionWeaponEntry,
    AiReflection,
    AiWeaponInsight,
    CoachMessage,
    CoachThread,
    GearJourneyItem,
    GearJourney,
    GearItem,
    GearCategory,
    Attachment,
    ShootingSession,
    Weapon,
    ConversationState,
    PersistedData,
    MatrixLinkCode,
    MatrixAccount,
    User,
)
# Tables that hold no user's data (the bot's own bookkeeping); a new table must be listed in one of the two.
NOT_USER_TABLES: frozenset[str] = frozenset({"bot_claim", "job_runs", "matrix_sync"})

Row = dict[str, Any]


def _conditions(user_id: int) -> dict[type[Base], ColumnElement[bool]]:
    sessions = select(ShootingSession.id).where(ShootingSession.user_id == user_id)
    weapons = select(Weapon.id).where(Weapon.user_id == user_id)
    threads = select(CoachThread.id).where(CoachThread.user_id == user_id)
    journeys = select(GearJourney.id).where(GearJourney.user_id == user_id)
    return {
        User: User.id == user_id,
        Weapon: Weapon.user_id == user_id,
        ShootingSession: ShootingSession.user_id == user_id,
        SessionWeaponEntry: SessionWeaponEntry.session_id.in_(sessions),
        Attachment: Attachment.user_id == user_id,
        AiReflection: AiReflection.session_id.in_(sessions),
        AiWeaponInsight: AiWeaponInsight.weapon_id.in_(weapons),
        CoachThread: CoachThread.user_id == user_id,
        CoachMessage: CoachMessage.coach_thread_id.in_(threads),
        GearJourney: GearJourney.user_id == user_id,
        GearCategory: GearCategory.user_id == user_id,
        GearItem: GearItem.user_id == user_id,
        GearJourneyItem: GearJourneyItem.journey_id.in_(journeys),
        # Narrowed by the key's text here, then exactly by its last element in `_conversation_ids`.
        ConversationState: ConversationState.key.like(f"%{user_id}]"),
        PersistedData: and_(PersistedData.scope.in_(("user", "chat")), PersistedData.owner_id == user_id),
        MatrixAccount: MatrixAccount.user_id == user_id,
        MatrixLinkCode: MatrixLinkCode.user_id == user_id,
    }


def _table(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


async def _conversation_ids(session: AsyncSession, user_id: int) -> list[int]:
    """The ids of the conversation states whose key names this user (its last element is the user id)."""
    rows = await session.execute(
        select(ConversationState.id, ConversationState.key).where(_conditions(user_id)[ConversationState])
    )
    return [row_id for row_id, key in rows if _key_user(key) == user_id]


def _key_user(key: str) -> object:
    try:
        decoded = json.loads(key)
    except ValueError:
        return None
    return decoded[-1] if isinstance(decoded, list) and decoded else None


async def _condition(session: AsyncSession, model: type[Base], user_id: int) -> ColumnElement[bool]:
    if model is ConversationState:
        return ConversationState.id.in_(await _conversation_ids(session, user_id))
    return _conditions(user_id)[model]


async def collect_rows(session: AsyncSession, user_id: int) -> dict[str, list[Row]]:
    """Every row of the user, per table name, as column -> Python value, ordered by primary key."""
    collected: dict[str, list[Row]] = {}
    for model in reversed(USER_MODELS):  # parents first reads naturally in an export
        table = _table(model)
        condition = await _condition(session, model, user_id)
        result = await session.execute(select(table).where(condition).order_by(*table.primary_key.columns))
        collected[table.name] = [dict(row._mapping) for row in result]
    return collected


async def count_rows(session: AsyncSession, user_id: int) -> dict[str, int]:
    """How many rows of the user each table holds."""
    counts: dict[str, int] = {}
    for model in USER_MODELS:
        condition = await _condition(session, model, user_id)
        count = await session.scalar(select(func.count()).select_from(_table(model)).where(condition))
        counts[_table(model).name] = count or 0
    return counts


async def delete_rows(session: AsyncSession, user_id: int) -> set[str]:
    """Delete every row of the user; returns the file paths (relative to the data dir) those rows
    referenced: their attachments', and those of files waiting in their drafts (persisted data)."""
    paths = set(
        await session.scalars(select(Attachment.path).where(Attachment.user_id == user_id).distinct())
    )
    for data in await session.scalars(select(PersistedData.data).where(_conditions(user_id)[PersistedData])):
        paths |= paths_in(data)
    for model in USER_MODELS:
        condition = await _condition(session, model, user_id)
        await session.execute(delete(_table(model)).where(condition))
    return paths
