"""Alert jobs: evaluate a workspace's alerts, and make one attempt of a webhook delivery."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from capacity_service.alerts.delivery import attempt_delivery
from capacity_service.alerts.dispatch import DELIVER_ENTRYPOINT, EVALUATE_ENTRYPOINT
from capacity_service.alerts.service import evaluate_workspace_alerts
from capacity_service.jobs.context import JobContext
from capacity_service.jobs.registry import Task
from capacity_service.kit.time import utcnow
from capacity_service.workspaces.repository import WorkspaceRepository

logger = logging.getLogger(__name__)


async def evaluate_task(ctx: JobContext, payload: dict[str, Any]) -> None:
    workspace_id = uuid.UUID(str(payload["workspaceId"]))
    async with ctx.sessionmaker() as session, session.begin():
        workspace = await WorkspaceRepository(session).get(workspace_id)
        if workspace is None:
            return
        result = await evaluate_workspace_alerts(
            session, workspace, utcnow(), settings=ctx.settings
        )
    for alert in result.fired:
        logger.info("alert fired: workspace=%s %s/%s", workspace_id, alert.kind, alert.scope)
    for alert in result.cleared:
        logger.info("alert cleared: workspace=%s %s/%s", workspace_id, alert.kind, alert.scope)


async def deliver_task(ctx: JobContext, payload: dict[str, Any]) -> None:
    await attempt_delivery(
        ctx.sessionmaker, ctx.cipher, ctx.settings, uuid.UUID(str(payload["deliveryId"]))
    )


TASKS = [Task(EVALUATE_ENTRYPOINT, evaluate_task), Task(DELIVER_ENTRYPOINT, deliver_task)]
