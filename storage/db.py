"""Async engine and session factory (SQLAlchemy 2 asyncio) for SQLite (aiosqlite) or PostgreSQL (asyncpg).

SQLite gets its pragmas on every connection: foreign keys on (for ON DELETE CASCADE / SET NULL), WAL, and
`synchronous=FULL`, so that a commit (an answer the user saw) is on disk before it returns and survives a
power loss, not only a crash of the process. A transaction that finds the database locked by another
writer past the busy timeout is run again (`Database.transact`).
PostgreSQL gets a connection pool sized for one process serving updates, its jobs and the per-update
persistence lock (see bot/persistence.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

logger = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000  # how long SQLite waits for another writer's lock before "database is locked"
LOCKED_RETRY_DELAYS_S: tuple[float, ...] = (0.2, 1.0, 3.0)  # before running a locked transaction again

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
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
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

    async def transact(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`work` in one transaction (`session()`); run again, in a new transaction, while the database is
        locked by another writer (SQLite's "database is locked" after the busy timeout), up to
        `LOCKED_RETRY_DELAYS_S`; any other error, or the last locked one, is raised."""
        for delay in (*LOCKED_RETRY_DELAYS_S, None):
            try:
                async with self.session() as session:
                    return await work(session)
            except OperationalError as error:
                if delay is None or not is_locked(error):
                    raise
                logger.warning("The database is locked by another writer; trying again in %.1f s", delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def dispose(self) -> None:
        await self.engine.dispose()


def is_locked(error: OperationalError) -> bool:
    """Whether SQLite refused for another writer's lock (SQLITE_BUSY or SQLITE_LOCKED)."""
    message = str(error.orig).lower()
    return "database is locked" in message or "database table is locked" in message
