"""Scheduled reconcile: every workspace, once per `reconcile_interval_seconds`, spread out.

Covers appointments starting between now and the end of the longest window the metric can ask
for, so booked counts stay true even when a webhook was missed. Each provider is reconciled in
a transaction of its own: a Calendly outage does not undo what HighLevel just returned.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from capacity_service.availability.service import MAX_WINDOW_DAYS
from capacity_service.jobs.context import JobContext
from capacity_service.jobs.queue import EnqueuedJob, Target, enqueue
from capacity_service.jobs.registry import Task, WorkspaceSchedule, workspace_dedupe_key
from capacity_service.kit.time import utcnow
from capacity_service.providers.errors import ProviderError
from capacity_service.reconcile.service import configured_providers, reconcile_workspace
from capacity_service.workspaces.repository import WorkspaceRepository

RECONCILE_ENTRYPOINT = "reconcile.workspace"

logger = logging.getLogger(__name__)


async def enqueue_reconcile(target: Target, workspace_id: uuid.UUID) -> EnqueuedJob:
    return await enqueue(
        target,
        RECONCILE_ENTRYPOINT,
        {"workspaceId": str(workspace_id)},
        dedupe_key=workspace_dedupe_key(RECONCILE_ENTRYPOINT, workspace_id),
    )


async def reconcile_task(ctx: JobContext, payload: dict[str, Any]) -> None:
    workspace_id = uuid.UUID(str(payload["workspaceId"]))
    start = utcnow()
    end = start + timedelta(days=MAX_WINDOW_DAYS + ctx.settings.availability_margin_days)
    async with ctx.sessionmaker() as session:
        workspace = await WorkspaceRepository(session).get(workspace_id)
        targets = [] if workspace is None else configured_providers(workspace)
    if workspace is None:
        return
    for provider in targets:
        try:
            async with ctx.sessionmaker() as session, session.begin():
                (result,) = await reconcile_workspace(
                    session,
                    ctx.providers,
                    ctx.cipher,
                    workspace,
                    provider=provider,
                    start=start,
                    end=end,
                )
        except ProviderError as exc:
            logger.warning(
                "scheduled reconcile failed: workspace=%s provider=%s: %s",
                workspace_id,
                provider.value,
                exc,
            )
            continue
        logger.info(
            "reconciled: workspace=%s provider=%s seen=%d written=%d errors=%d",
            workspace_id,
            provider.value,
            result.seen,
            result.written,
            len(result.errors),
        )


TASKS = [Task(RECONCILE_ENTRYPOINT, reconcile_task)]
SCHEDULES = [WorkspaceSchedule(RECONCILE_ENTRYPOINT, lambda s: s.reconcile_interval_seconds)]
