"""Putting jobs on the queue, from a request's session or from any asyncpg connection.

Enqueueing through the caller's session makes the job part of its transaction: a request that
rolls back leaves no job behind, and a worker never sees a job before the data it refers to.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeAlias, cast

import asyncpg
from pgqueuer import AsyncpgDriver, Queries
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

Target: TypeAlias = AsyncSession | asyncpg.Connection
"""Where to enqueue: a session (joins its transaction) or a bare asyncpg connection."""


@dataclass(frozen=True, slots=True)
class EnqueuedJob:
    """`created` is False when a job with the same dedupe key was already queued or running;
    `id` is then that job's id."""

    id: int
    created: bool


def asyncpg_dsn(database_url: str) -> str:
    """A libpq-style DSN for asyncpg from the service's SQLAlchemy URL.

    Keeps query parameters, so the embedded server's `?host=/socket/dir` form still works.
    """
    for prefix in ("postgresql+asyncpg://", "postgres+asyncpg://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql://" + database_url[len(prefix) :]
    return database_url


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(payload), separators=(",", ":"), default=str).encode()


def decode_payload(raw: bytes | None) -> dict[str, Any]:
    if not raw:
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("a job payload must be a JSON object")
    return value


async def driver_connection(target: Target) -> asyncpg.Connection:
    """The asyncpg connection under a session, inside the session's current transaction."""
    if isinstance(target, asyncpg.Connection):
        return target
    connection = await target.connection()
    raw = await connection.get_raw_connection()
    driver = cast(asyncpg.Connection, raw.driver_connection)
    if not driver.is_in_transaction():
        # SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its first statement; without
        # one the job would be committed on its own, whatever becomes of the transaction.
        await connection.execute(text("SELECT 1"))
    return driver


async def enqueue(
    target: Target,
    entrypoint: str,
    payload: Mapping[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
    execute_after: timedelta | None = None,
    priority: int = 0,
) -> EnqueuedJob:
    """Queue one job; with a dedupe key, at most one such job is queued or running at a time."""
    connection = await driver_connection(target)
    queries = Queries(AsyncpgDriver(connection))
    body = encode_payload(payload or {})
    for _ in range(3):
        ids = await queries.enqueue(
            entrypoint,
            body,
            priority,
            execute_after,
            dedupe_key,
            on_conflict="skip",
        )
        if ids[0] is not None:
            return EnqueuedJob(id=int(ids[0]), created=True)
        assert dedupe_key is not None
        existing = await active_job_id(connection, dedupe_key)
        if existing is not None:
            return EnqueuedJob(id=existing, created=False)
        # The other job finished between the insert and the lookup: try again.
    raise RuntimeError(f"could not enqueue {entrypoint} with dedupe key {dedupe_key}")


async def enqueue_unless_active(
    target: Target,
    entrypoint: str,
    payload: Mapping[str, Any],
    *,
    dedupe_key: str,
    execute_after: timedelta | None = None,
) -> bool:
    """Queue one job unless one with the dedupe key is queued or running; True when queued.

    One statement, for callers that do not need the job's id: `enqueue` must look the
    existing job up when it skips, a second round trip on the paths that skip most often.
    """
    connection = await driver_connection(target)
    ids = await Queries(AsyncpgDriver(connection)).enqueue(
        entrypoint,
        encode_payload(payload),
        0,
        execute_after,
        dedupe_key,
        on_conflict="skip",
    )
    return ids[0] is not None


async def enqueue_many(
    target: Target,
    entrypoint: str,
    items: Sequence[tuple[Mapping[str, Any], str | None, timedelta | None]],
) -> int:
    """Queue (payload, dedupe key, delay) items in one statement; returns how many were new."""
    if not items:
        return 0
    connection = await driver_connection(target)
    ids = await Queries(AsyncpgDriver(connection)).enqueue(
        [entrypoint] * len(items),
        [encode_payload(payload) for payload, _, _ in items],
        [0] * len(items),
        [delay for _, _, delay in items],
        [key for _, key, _ in items],
        on_conflict="skip",
    )
    return sum(1 for i in ids if i is not None)


async def active_job_id(target: Target, dedupe_key: str) -> int | None:
    """The queued or running job holding a dedupe key, if any."""
    connection = await driver_connection(target)
    value = await connection.fetchval(
        "SELECT id FROM pgqueuer WHERE dedupe_key = $1 AND status IN ('queued', 'picked')",
        dedupe_key,
    )
    return None if value is None else int(value)


async def job_status(target: Target, job_id: int) -> str | None:
    """`queued`/`picked` while in the queue, else the last logged outcome (`successful`,
    `exception`, ...); None for an unknown id or a job deleted before any outcome. The log
    also records `queued` and `picked`: those never stand for a job no longer in the queue."""
    connection = await driver_connection(target)
    value = await connection.fetchval(
        """
        SELECT coalesce(
            (SELECT status::text FROM pgqueuer WHERE id = $1),
            (SELECT status::text FROM pgqueuer_log
             WHERE job_id = $1 AND status NOT IN ('queued', 'picked')
             ORDER BY created DESC, id DESC LIMIT 1)
        )
        """,
        job_id,
    )
    return None if value is None else str(value)
