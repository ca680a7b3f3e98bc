"""PTB persistence backed by the bot's database: conversations and flow drafts survive a restart, and several
bot processes (webhook mode behind one URL) share them.

The database is the source of truth, read and written per update (`DatabasePersistence.handling`):

- before an update is handled, the rows it can see — its user's and chat's data and its conversation
  states — are loaded into PTB's memory (one query), replacing whatever this process remembered;
- after it, only the values the handler changed are written, and only that user's and chat's rows.

On PostgreSQL the update also holds a lock per user and chat (`pg_advisory_xact_lock`) from the load until
its writes commit, so the user's next update, on whichever process, waits for them and never reads a stale
state; the lock is a transaction's, so a crash or a cancelled update releases it. SQLite serves one process;
there the update processor keeps each chat's updates in order. Handlers that run as tasks (`block=False`,
the coach) must not change user_data: it is written when the update's blocking handlers are done.

PTB's own batched writes (`update_*`, on a timer and at shutdown) are not used: they would write without
the update's lock, and everything was written when its update ended.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BasePersistence, ConversationHandler, PersistenceInput
from telegram.ext._utils.trackingdict import TrackingDict

from storage import persistence as store
from storage.db import Database
from storage.persistence import ConversationKey, Owner

Data = dict[str, Any]


def _encoded(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class Memory:
    """PTB's in-memory copies that the persistence keeps in step with the database."""

    user_data: MutableMapping[int, Data]
    chat_data: MutableMapping[int, Data]
    conversations: Mapping[str, TrackingDict[ConversationKey, object]]  # by conversation name
    handlers: tuple[ConversationHandler[Any], ...]  # the persistent conversations


@dataclass(frozen=True)
class Scope:
    """What one update can see: its user's data, its chat's data, and its key in each conversation."""

    user_id: int | None
    chat_id: int | None
    conversations: tuple[tuple[str, ConversationKey], ...]

    @classmethod
    def of(cls, update: object, handlers: tuple[ConversationHandler[Any], ...]) -> Scope | None:
        if not isinstance(update, Update) or not (update.effective_user or update.effective_chat):
            return None
        keys = []
        for handler in handlers:
            try:
                keys.append((handler.name, handler._get_key(update)))  # the key PTB will look up
            except RuntimeError:  # the update has no chat or user this conversation is keyed by
                continue
        user, chat = update.effective_user, update.effective_chat
        return cls(user.id if user else None, chat.id if chat else None, tuple(keys))

    @property
    def owners(self) -> list[Owner]:
        owners: list[Owner] = []
        if self.user_id is not None:
            owners.append(("user", self.user_id))
        if self.chat_id is not None:
            owners.append(("chat", self.chat_id))
        return owners


@dataclass
class _Snapshot:
    """What the database held when the update started, encoded, to tell what the handler changed."""

    states: dict[tuple[str, ConversationKey], str]
    data: dict[Owner, str]


@dataclass
class _Changes:
    states: list[tuple[str, ConversationKey, object]]
    data: list[tuple[Owner, Data]]

    def __bool__(self) -> bool:
        return bool(self.states or self.data)


class DatabasePersistence(BasePersistence[Data, Data, Data]):
    """Conversation states and user/chat data as JSON rows; bot data and callback data stay in memory."""

    def __init__(self, database: Database) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=True, user_data=True, callback_data=False),
            update_interval=60,  # only empties PTB's bookkeeping of changed keys; `update_*` write nothing
        )
        self._db = database

    @asynccontextmanager
    async def handling(self, update: object, memory: Memory) -> AsyncIterator[None]:
        """Load what `update` can see before it is handled (the body), write what changed after it."""
        scope = Scope.of(update, memory.handlers)
        if scope is None:
            yield
            return
        if self._db.is_postgresql:
            async with self._db.session() as session:
                await store.lock_owners(session, [owner for _, owner in scope.owners])
                snapshot = await self._refresh(session, scope, memory)
                yield
                await self._write(session, self._changes(scope, memory, snapshot))
            return
        async with self._db.session() as session:
            snapshot = await self._refresh(session, scope, memory)
        yield
        if changes := self._changes(scope, memory, snapshot):  # most taps change no state: no transaction
            async with self._db.session() as session:
                await self._write(session, changes)

    @staticmethod
    def _data_of(memory: Memory, owner: Owner) -> MutableMapping[int, Data]:
        return memory.user_data if owner[0] == "user" else memory.chat_data

    async def _refresh(self, session: AsyncSession, scope: Scope, memory: Memory) -> _Snapshot:
        states, values = await store.load_rows(session, [key for _, key in scope.conversations], scope.owners)
        snapshot = _Snapshot({}, {})
        for name, key in scope.conversations:
            conversations = memory.conversations[name]
            state = states.get((name, key))
            if state is None:
                conversations.data.pop(key, None)  # ended elsewhere (or never begun): untracked
            else:
                conversations.update_no_track({key: state})
            snapshot.states[name, key] = _encoded(state)
        for owner in scope.owners:
            stored = values.get(owner, {})
            data = self._data_of(memory, owner)
            if stored or owner[1] in data:
                current = data[owner[1]]  # PTB's data dicts create missing entries
                current.clear()
                current.update(stored)
            snapshot.data[owner] = _encoded(stored)
        return snapshot

    def _changes(self, scope: Scope, memory: Memory, snapshot: _Snapshot) -> _Changes:
        """The conversation states and data of `scope` that differ from what was loaded."""
        changes = _Changes([], [])
        for name, key in scope.conversations:
            state = memory.conversations[name].get(key)
            if _encoded(state) != snapshot.states[name, key]:
                changes.states.append((name, key, state))
        for owner in scope.owners:
            data = dict(self._data_of(memory, owner).get(owner[1], {}))
            if _encoded(data) != snapshot.data[owner]:
                changes.data.append((owner, data))
        return changes

    @staticmethod
    async def _write(session: AsyncSession, changes: _Changes) -> None:
        for name, key, state in changes.states:
            await store.save_conversation(session, name, key, state)
        for (scope, owner_id), data in changes.data:
            await store.save_data(session, scope, owner_id, data)

    # --- PTB's interface ------------------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, Data]:
        """Nothing is loaded at start: each update loads its own rows (see `handling`)."""
        return {}

    async def get_chat_data(self) -> dict[int, Data]:
        return {}

    async def get_bot_data(self) -> Data:
        return {}

    async def get_callback_data(self) -> Any | None:
        return None

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        return {}

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        """Written by the update that changed it (see the module's docstring)."""

    async def update_user_data(self, user_id: int, data: Data) -> None:
        """Written by the update that changed it."""

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        """Written by the update that changed it."""

    async def drop_user_data(self, user_id: int) -> None:
        async with self._db.session() as session:
            await store.drop_data(session, "user", user_id)

    async def drop_chat_data(self, chat_id: int) -> None:
        async with self._db.session() as session:
            await store.drop_data(session, "chat", chat_id)

    async def update_bot_data(self, data: Data) -> None:
        """Bot data is not persisted (it holds the database handle and other runtime objects)."""

    async def update_callback_data(self, data: Any) -> None:
        """Callback data is plain strings (handlers/callback_data.py), so there is nothing to store."""

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        """Loaded before the update is dispatched (see `handling`)."""

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        """Loaded before the update is dispatched (see `handling`)."""

    async def refresh_bot_data(self, bot_data: Data) -> None:
        """Bot data is not persisted."""

    async def flush(self) -> None:
        """Every update is written when it ends; nothing is buffered."""
