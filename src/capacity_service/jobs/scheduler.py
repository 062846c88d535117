"""The once-a-minute tick that turns `WorkspaceSchedule`s into per-workspace jobs.

pgqueuer's schedule table makes exactly one worker run each tick, however many are running.
Each tick covers the minute it was due for, so ticks tile the time line and each workspace is
enqueued once per interval at its own phase, with `execute_after` set to the second.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.config import Settings
from capacity_service.jobs.queue import enqueue_many
from capacity_service.jobs.registry import WorkspaceSchedule, workspace_dedupe_key
from capacity_service.jobs.spread import due_in_window, minute_floor
from capacity_service.kit.time import utcnow
from capacity_service.workspaces.repository import WorkspaceRepository

TICK_ENTRYPOINT = "jobs.workspace_schedules_tick"
TICK_CRON = "* * * * *"
TICK_SECONDS = 60.0

logger = logging.getLogger(__name__)


async def enqueue_due_workspace_jobs(
    session: AsyncSession,
    settings: Settings,
    schedules: list[WorkspaceSchedule],
    *,
    window_start: datetime | None = None,
) -> dict[str, int]:
    """Enqueue every workspace job due in the minute starting at `window_start` (default: the
    current minute); returns how many new jobs per entrypoint."""
    start = minute_floor(window_start or utcnow())
    lag = max(timedelta(0), utcnow() - start)
    workspace_ids = await WorkspaceRepository(session).list_ids()
    created: dict[str, int] = {}
    for schedule in schedules:
        interval = schedule.interval_seconds(settings)
        items = []
        for workspace_id in workspace_ids:
            delay = due_in_window(workspace_id, interval, start, TICK_SECONDS)
            if delay is None:
                continue
            items.append(
                (
                    {"workspaceId": str(workspace_id)},
                    workspace_dedupe_key(schedule.entrypoint, workspace_id),
                    max(timedelta(0), delay - lag),
                )
            )
        created[schedule.entrypoint] = await enqueue_many(session, schedule.entrypoint, items)
    if any(created.values()):
        logger.info("scheduled jobs: %s", created)
    return created
