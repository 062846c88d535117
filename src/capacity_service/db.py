"""Engine, sessions and the one-transaction-per-request dependency."""

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# A connection back in the pool for less than this is handed out without a ping.
PING_AFTER_IDLE_SECONDS = 1.0


def create_engine(database_url: str, *, pool_size: int = 10) -> AsyncEngine:
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=10,
        connect_args={"timeout": 5, "command_timeout": 30},
    )
    _ping_idle_connections(engine, PING_AFTER_IDLE_SECONDS)
    return engine


def _ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection before use only if it sat idle; a dead one is replaced.

    SQLAlchemy's pool_pre_ping costs three round trips (BEGIN, the ping, ROLLBACK) on every
    checkout, as much as the queries of a short request. A connection used moments ago is
    alive unless the server just went away, and then the first error on it marks the whole
    pool stale (SQLAlchemy invalidates every connection older than a disconnect), so the
    requests in flight at that moment get a 503 like any request during an outage.
    """
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool retries with a new connection
            raise DisconnectionError("pooled connection failed its ping") from exc


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the endpoint returns, rolled back on error.

    The commit happens before the response is sent (the dependency's exit runs inside the
    endpoint's scope), so a 2xx means the data is stored.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
