"""One backfill per workspace at a time, across every process and machine on the database.

A session-level PostgreSQL advisory lock, held on a connection of its own for the whole run:
it is released when the run ends or, if the process dies, when PostgreSQL notices the closed
connection. A run that cannot take it does not fetch anything.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

_NAMESPACE = "capacity_service.backfill:"


def _key(workspace_id: uuid.UUID) -> object:
    return func.hashtextextended(_NAMESPACE + str(workspace_id), 0)


@asynccontextmanager
async def workspace_backfill_lock(
    engine: AsyncEngine, workspace_id: uuid.UUID
) -> AsyncIterator[bool]:
    """Yield True while this process holds the workspace's backfill lock, False if another does."""
    async with engine.connect() as conn:
        acquired = bool(await conn.scalar(select(func.pg_try_advisory_lock(_key(workspace_id)))))
        # Session-level: the lock outlives this transaction, which must not stay open (idle in
        # transaction) for the length of the run.
        await conn.commit()
        if not acquired:
            yield False
            return
        try:
            yield True
        finally:
            await _release(conn, workspace_id)


async def _release(conn: AsyncConnection, workspace_id: uuid.UUID) -> None:
    try:
        await conn.scalar(select(func.pg_advisory_unlock(_key(workspace_id))))
        await conn.commit()
    except BaseException:
        # A connection that may still hold the lock must never go back to the pool.
        await conn.invalidate()
        raise


async def backfill_lock_is_free(session: AsyncSession, workspace_id: uuid.UUID) -> bool:
    """Whether no process holds the workspace's lock (probed and released at once)."""
    acquired = bool(await session.scalar(select(func.pg_try_advisory_lock(_key(workspace_id)))))
    if acquired:
        await session.scalar(select(func.pg_advisory_unlock(_key(workspace_id))))
    return acquired
