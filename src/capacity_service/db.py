"""Engine, sessions and the one-transaction-per-request dependency."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, cast

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
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


@asynccontextmanager
async def autocommit_connection(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[asyncpg.Connection]:
    """A pooled asyncpg connection whose statements each commit by themselves.

    For a hot path whose work is one atomic statement (a webhook's receipt): no BEGIN and
    COMMIT round trips, no session, no SQLAlchemy execution layer. Errors come out as
    SQLAlchemy's, and a connection that broke is invalidated, so the 503 of an outage, the 422
    of refused text and the pool's recovery are those of every other statement.

    A sessionmaker bound to a connection rather than an engine (the tests', whose connection
    holds a transaction rolled back at the end) gets a session on it, as a request would: the
    statements join that transaction, and the session's savepoint is released at the end.
    """
    bind = sessionmaker.kw.get("bind")
    if isinstance(bind, AsyncEngine):
        async with bind.connect() as connection:
            async with _bare(connection) as driver:
                yield driver
        return
    async with sessionmaker() as session, session.begin():
        async with _bare(await session.connection()) as driver:
            yield driver


@asynccontextmanager
async def _bare(connection: AsyncConnection) -> AsyncIterator[asyncpg.Connection]:
    raw = await connection.get_raw_connection()
    driver = cast(asyncpg.Connection, raw.driver_connection)
    try:
        yield driver
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        sqlstate = str(getattr(exc, "sqlstate", "") or "")
        lost = driver.is_closed() or sqlstate.startswith(("08", "57P"))
        if lost:
            await connection.invalidate(exc)
        raise DBAPIError.instance(None, None, exc, Exception, connection_invalidated=lost) from exc
