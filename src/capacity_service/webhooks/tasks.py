"""Webhook jobs: apply one stored event, and a sweep that re-queues events left waiting.

A job can be lost after its event was stored: pgqueuer deletes a job whose handler raised,
and a worker killed mid-job leaves its event `received`. The sweep, once a minute on one
worker, queues every event waiting longer than `WAITING_GRACE` again (one job per event at
most), so no acknowledged event stays unapplied.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.jobs.context import JobContext, WorkerResources
from capacity_service.jobs.registry import CronSchedule, Task
from capacity_service.kit.time import utcnow
from capacity_service.webhooks.dispatch import (
    PROCESS_ENTRYPOINT,
    queue_processing_of,
    take_queued_processing,
)
from capacity_service.webhooks.processors import PROCESSORS
from capacity_service.webhooks.repository import WebhookEventRepository
from capacity_service.webhooks.service import PROCESSED, RECEIVED, process_stored

SWEEP_ENTRYPOINT = "webhooks.sweep"
SWEEP_CRON = "* * * * *"
WAITING_GRACE = timedelta(minutes=2)
SWEEP_BATCH = 1000

logger = logging.getLogger(__name__)


async def apply_event(sessionmaker: async_sessionmaker[AsyncSession], event_id: uuid.UUID) -> None:
    """Apply one stored event in its own transaction, unless it is no longer waiting."""
    async with sessionmaker() as session, session.begin():
        event = await WebhookEventRepository(session).lock(event_id)
        if event is None or event.status != RECEIVED:
            return  # pruned, or already applied by a replay or another attempt
        outcome = await process_stored(session, PROCESSORS[event.provider], event)
    if outcome.event.status != PROCESSED:
        logger.info(
            "webhook event %s (%s): %s", event_id, outcome.event.status, outcome.event.error
        )


async def process_task(ctx: JobContext, payload: dict[str, Any]) -> None:
    await apply_event(ctx.sessionmaker, uuid.UUID(str(payload["eventId"])))


async def apply_now(
    sessionmaker: async_sessionmaker[AsyncSession], event_ids: Sequence[uuid.UUID]
) -> None:
    """Apply stored events in this process, in order, taking their queued jobs off the queue:
    for a process that runs no worker (the demo)."""
    async with sessionmaker() as session, session.begin():
        await take_queued_processing(session, event_ids)
    for event_id in event_ids:
        await apply_event(sessionmaker, event_id)


async def sweep_task(resources: WorkerResources) -> None:
    async with resources.sessionmaker() as session, session.begin():
        waiting = await WebhookEventRepository(session).waiting_ids(
            received_before=utcnow() - WAITING_GRACE, limit=SWEEP_BATCH
        )
        queued = await queue_processing_of(session, waiting)
    if queued:
        logger.warning("webhooks: re-queued %d events left waiting for processing", queued)


TASKS = [Task(PROCESS_ENTRYPOINT, process_task)]
CRON_SCHEDULES = [CronSchedule(SWEEP_ENTRYPOINT, SWEEP_CRON, sweep_task)]
