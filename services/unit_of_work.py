"""The unit of work of one update or job: the database that its use cases read and write through.

The application makes one per update (and per job run) and hands it to handlers through the context;
a use case runs its reads and writes in `transaction()`, one transaction that commits when the block ends
and rolls back when it raises. Nothing above `services/` opens a database session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database

T = TypeVar("T")


class UnitOfWork:
    def __init__(self, db: Database) -> None:
        self.db = db

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        async with self.db.session() as session:
            yield session

    async def retrying(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`work` in one transaction, run again in a new one while another writer holds the database locked
        (`Database.transact`): for idempotent work that must not fail for a moment's contention."""
        return await self.db.transact(work)
