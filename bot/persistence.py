"""PTB persistence backed by the bot's database, so conversations and flow drafts survive a restart."""

from __future__ import annotations

import json
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from storage import persistence as store
from storage.db import Database
from storage.persistence import ConversationKey


class DatabasePersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    """Stores conversation states and user/chat data as JSON rows; bot data and callback data stay in memory.

    Writes are skipped when a value has not changed since it was last written, so flushing after every
    update (see `AimTrackApplication.process_update`) costs a write only when something changed.
    """

    def __init__(self, database: Database) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=True, user_data=True, callback_data=False),
            update_interval=60,
        )
        self._db = database
        self._written: dict[tuple[str, object], str] = {}

    def _changed(self, marker: tuple[str, object], value: object) -> bool:
        encoded = json.dumps(value, sort_keys=True, default=str)
        if self._written.get(marker) == encoded:
            return False
        self._written[marker] = encoded
        return True

    async def _load(self, scope: str) -> dict[int, dict[str, Any]]:
        async with self._db.session() as session:
            data = await store.load_data(session, scope)
        for owner_id, value in data.items():
            self._changed((scope, owner_id), value)
        return data

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return await self._load("user")

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return await self._load("chat")

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> Any | None:
        return None

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        async with self._db.session() as session:
            conversations = await store.load_conversations(session, name)
        for key, state in conversations.items():
            self._changed(("conversation", (name, key)), state)
        return conversations

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        if self._changed(("conversation", (name, tuple(key))), new_state):
            async with self._db.session() as session:
                await store.save_conversation(session, name, tuple(key), new_state)

    async def _save(self, scope: str, owner_id: int, data: dict[str, Any]) -> None:
        if self._changed((scope, owner_id), data):
            async with self._db.session() as session:
                await store.save_data(session, scope, owner_id, data)

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        await self._save("user", user_id, data)

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        await self._save("chat", chat_id, data)

    async def _drop(self, scope: str, owner_id: int) -> None:
        self._written.pop((scope, owner_id), None)
        async with self._db.session() as session:
            await store.drop_data(session, scope, owner_id)

    async def drop_user_data(self, user_id: int) -> None:
        await self._drop("user", user_id)

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._drop("chat", chat_id)

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        """Bot data is not persisted (it holds the database handle and other runtime objects)."""

    async def update_callback_data(self, data: Any) -> None:
        """Callback data is plain strings in this bot (see DESIGN.md), so there is nothing to store."""

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        """One process owns its users' data between restarts; nothing to refresh."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        """See `refresh_user_data`."""

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        """Bot data is not persisted."""

    async def flush(self) -> None:
        """Every update is written when it happens; nothing is buffered."""
