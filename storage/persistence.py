"""Rows behind the bot's persistence: conversation states and per-user/per-chat data (flow drafts)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState, PersistedData

ConversationKey = tuple[int | str, ...]


def _encode_key(key: ConversationKey) -> str:
    return json.dumps(list(key), separators=(",", ":"))


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
