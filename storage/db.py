"""Async engine and session factory (SQLAlchemy 2 asyncio) for SQLite (aiosqlite) or PostgreSQL (asyncpg).

SQLite gets its pragmas on every connection (foreign keys on, for ON DELETE CASCADE / SET NULL, and WAL);
PostgreSQL gets a connection pool sized for one process serving updates, its jobs and the per-update
persistence lock (see bot/persistence.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# An update holds one connection for its persistence lock while its handler uses others; jobs need a few.
POSTGRES_POOL: dict[str, Any] = {
    "pool_size": 10,
    "max_overflow": 20,
    "pool_timeout": 30,
    "pool_recycle": 1800,  # below common idle timeouts of proxies and managed servers
    "pool_pre_ping": True,  # a restarted server or a dropped connection costs a retry, not an error
}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # ON DELETE CASCADE / SET NULL only work with foreign keys on, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine: for SQLite, make the file's folder and set the pragmas on every connection;
    for PostgreSQL, a pool (`kwargs` override it, e.g. `poolclass=NullPool` for migrations)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    options = {} if "poolclass" in kwargs else dict(POSTGRES_POOL)
    return create_async_engine(url, **(options | kwargs))


class _SqliteTurn:
    """One SQLite transaction of this process at a time, first come, first served.

    Chats are served concurrently (bot/update_processor.py), so transactions would overlap, and SQLite has
    one writer: a transaction that read and then writes after another one committed fails at once with
    "database is locked", and waiting writers poll with growing sleeps. Taking turns in the event loop
    costs nothing of that. A task that already holds the turn (a session opened inside another) goes on.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None
        self._depth = 0

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        if self._holder is not task:
            await self._lock.acquire()
            self._holder = task
        self._depth += 1

    async def __aexit__(self, *exc_info: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._holder = None
            self._lock.release()


class Database:
    """The engine and its session factory; one `session()` per update."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.engine = create_engine(url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self._turn = _SqliteTurn() if self.engine.dialect.name == "sqlite" else None

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that commits on success and rolls back on error."""
        if self._turn is None:
            async with self.sessionmaker() as session, session.begin():
                yield session
            return
        async with self._turn, self.sessionmaker() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
