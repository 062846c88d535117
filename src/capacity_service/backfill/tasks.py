"""The backfill as a queue job: the admin endpoint enqueues, any worker runs it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.backfill.runner import backfill_appointment_attribution
from capacity_service.jobs.context import JobContext
from capacity_service.jobs.queue import enqueue
from capacity_service.jobs.registry import Task, workspace_dedupe_key

ENTRYPOINT = "backfill.run"


async def enqueue_backfill(
    session: AsyncSession, run_id: uuid.UUID, workspace_id: uuid.UUID
) -> int:
    """Queue the run in the caller's transaction (no job without its run row, and vice versa)."""
    job = await enqueue(
        session,
        ENTRYPOINT,
        {"runId": str(run_id), "workspaceId": str(workspace_id)},
        dedupe_key=workspace_dedupe_key(ENTRYPOINT, workspace_id),
    )
    return job.id


async def run_backfill_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await backfill_appointment_attribution(
        uuid.UUID(payload["workspaceId"]),
        run_id=uuid.UUID(payload["runId"]),
        # The workspace lock is held on a connection of its own, outside the run's sessions.
        engine=ctx.engine,
        sessionmaker=ctx.sessionmaker,
        providers=ctx.providers,
        cipher=ctx.cipher,
        concurrency=ctx.settings.backfill_concurrency,
        batch_size=ctx.settings.backfill_batch_size,
    )


TASKS = [Task(ENTRYPOINT, run_backfill_job)]
