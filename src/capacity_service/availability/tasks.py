"""Availability jobs: refresh one workspace's cache (on demand and on the refresh interval)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.alerts.dispatch import enqueue_alert_evaluation
from capacity_service.availability.service import (
    RefreshResult,
    apply_refresh,
    fetch_sources,
    plan_refresh,
)
from capacity_service.config import Settings
from capacity_service.jobs.context import JobContext
from capacity_service.jobs.queue import EnqueuedJob, Target, enqueue
from capacity_service.jobs.registry import Task, WorkspaceSchedule, workspace_dedupe_key
from capacity_service.kit.secrets import SecretCipher
from capacity_service.providers import ProviderClients

REFRESH_ENTRYPOINT = "availability.refresh"

logger = logging.getLogger(__name__)


async def enqueue_refresh(target: Target, workspace_id: uuid.UUID) -> EnqueuedJob:
    """Queue a refresh of the workspace unless one is already queued or running (then that
    job's id is returned): one refresh per workspace at a time, across all workers."""
    return await enqueue(
        target,
        REFRESH_ENTRYPOINT,
        {"workspaceId": str(workspace_id)},
        dedupe_key=workspace_dedupe_key(REFRESH_ENTRYPOINT, workspace_id),
    )


async def refresh_workspace(
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    workspace_id: uuid.UUID,
) -> RefreshResult | None:
    """Read the configuration, fetch without holding a transaction, write in one transaction."""
    async with sessionmaker() as session, session.begin():
        plan = await plan_refresh(session, workspace_id)
    if plan is None:
        logger.info("availability refresh skipped: workspace %s no longer exists", workspace_id)
        return None
    fetched = await fetch_sources(plan, providers, cipher, settings)
    async with sessionmaker() as session, session.begin():
        result = await apply_refresh(session, plan, fetched)
        # Alerts follow every refresh; queued in the same transaction as the new cache state.
        await enqueue_alert_evaluation(session, workspace_id)
        return result


async def refresh_task(ctx: JobContext, payload: dict[str, Any]) -> None:
    workspace_id = uuid.UUID(str(payload["workspaceId"]))
    result = await refresh_workspace(
        ctx.sessionmaker, ctx.providers, ctx.cipher, ctx.settings, workspace_id
    )
    if result is not None:
        logger.info(
            "availability refreshed: workspace=%s %s",
            workspace_id,
            ", ".join(
                f"{s.source.value}={s.slot_count if s.error_kind is None else s.error_kind}"
                for s in result.sources
            )
            or "no sources configured",
        )


TASKS = [Task(REFRESH_ENTRYPOINT, refresh_task)]
SCHEDULES = [WorkspaceSchedule(REFRESH_ENTRYPOINT, lambda s: s.refresh_interval_seconds)]
