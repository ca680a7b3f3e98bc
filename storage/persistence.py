"""Rows behind the bot's persistence: conversation states and per-user/per-chat data (flow drafts)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, and_, cast, delete, false, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState, PersistedData

ConversationKey = tuple[int | str, ...]
Owner = tuple[str, int]  # ("user" | "chat", id)


def _encode_key(key: ConversationKey) -> str:
    return json.dumps(list(key), separators=(",", ":"))


async def lock_owners(session: AsyncSession, owner_ids: Iterable[int]) -> None:
    """PostgreSQL: wait for, then hold until this transaction ends, the lock of each user/chat id, so that
    one update of a user is handled at a time across processes. Ids are locked in order (no deadlock)."""
    for owner_id in sorted(set(owner_ids)):
        await session.execute(select(func.pg_advisory_xact_lock(owner_id)))


async def load_rows(
    session: AsyncSession, keys: Iterable[ConversationKey], owners: Iterable[Owner]
) -> tuple[dict[tuple[str, ConversationKey], object], dict[Owner, dict[str, Any]]]:
    """In one query: the state of every conversation at `keys` (by name and key), and the owners' data."""
    encoded = sorted({_encode_key(key) for key in keys})
    owned = [and_(PersistedData.scope == scope, PersistedData.owner_id == owner) for scope, owner in owners]
    conversations = select(
        literal("conversation").label("kind"),
        ConversationState.name.label("name"),
        ConversationState.key.label("key"),
        ConversationState.state.label("value"),
    ).where(ConversationState.key.in_(encoded) if encoded else false())
    data = select(
        literal("data"), PersistedData.scope, cast(PersistedData.owner_id, String), PersistedData.data
    ).where(or_(false(), *owned))
    states: dict[tuple[str, ConversationKey], object] = {}
    values: dict[Owner, dict[str, Any]] = {}
    for kind, name, key, value in await session.execute(union_all(conversations, data)):
        if kind == "conversation":
            states[name, tuple(json.loads(key))] = value
        else:
            values[name, int(key)] = dict(value)
    return states, values


async def load_conversations(session: AsyncSession, name: str) -> dict[ConversationKey, object]:
    rows = await session.execute(
        select(ConversationState.key, ConversationState.state).where(ConversationState.name == name)
    )
    return {tuple(json.loads(key)): state for key, state in rows}


async def save_conversation(
    session: AsyncSession, name: str, key: ConversationKey, state: object | None
) -> None:
    """Store a conversation's state; `None` (the conversation ended) removes the row."""
    encoded = _encode_key(key)
    row = await session.scalar(
        select(ConversationState).where(ConversationState.name == name, ConversationState.key == encoded)
    )
    if state is None:
        if row is not None:
            await session.delete(row)
    elif row is None:
        session.add(ConversationState(name=name, key=encoded, state=state))
    else:
        row.state = state


async def load_data(session: AsyncSession, scope: str) -> dict[int, dict[str, Any]]:
    rows = await session.execute(
        select(PersistedData.owner_id, PersistedData.data).where(PersistedData.scope == scope)
    )
    return {owner_id: dict(data) for owner_id, data in rows}


async def save_data(session: AsyncSession, scope: str, owner_id: int, data: dict[str, Any]) -> None:
    """Store a user's or chat's data; empty data removes the row, so nothing is kept for passers-by."""
    row = await session.scalar(
        select(PersistedData).where(PersistedData.scope == scope, PersistedData.owner_id == owner_id)
    )
    if not data:
        if row is not None:
            await session.delete(row)
    elif row is None:
        session.add(PersistedData(scope=scope, owner_id=owner_id, data=data))
    else:
        row.data = data


async def drop_data(session: AsyncSession, scope: str, owner_id: int) -> None:
    await session.execute(
        delete(PersistedData).where(PersistedData.scope == scope, PersistedData.owner_id == owner_id)
    )
