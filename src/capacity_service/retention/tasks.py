"""The daily prune, as a pgqueuer cron schedule: one worker runs it, whatever their number."""

from __future__ import annotations

import logging

from capacity_service.jobs.context import WorkerResources
from capacity_service.jobs.registry import CronSchedule
from capacity_service.retention.service import prune

PRUNE_ENTRYPOINT = "retention.prune"
PRUNE_CRON = "17 3 * * *"  # daily, 03:17 UTC: off the hour most other jobs pick

logger = logging.getLogger(__name__)


async def prune_task(resources: WorkerResources) -> None:
    result = await prune(resources.sessionmaker, resources.settings)
    logger.info(
        "retention: deleted %d processed/ignored and %d failed webhook events, %d job log rows",
        result.webhook_events,
        result.failed_webhook_events,
        result.job_log,
    )


CRON_SCHEDULES = [CronSchedule(PRUNE_ENTRYPOINT, PRUNE_CRON, prune_task)]
