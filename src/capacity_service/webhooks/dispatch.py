"""Queueing a stored webhook event for processing by a worker."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.jobs.queue import (
    Target,
    driver_connection,
    encode_payload,
    enqueue_many,
    enqueue_unless_active,
)
from capacity_service.webhooks.repository import QueuedJob

PROCESS_ENTRYPOINT = "webhooks.process"


def _dedupe_key(event_id: uuid.UUID) -> str:
    return f"{PROCESS_ENTRYPOINT}:{event_id}"


def processing_job(event_id: uuid.UUID) -> QueuedJob:
    """The job that processes a new event, for the statement that stores and queues it."""
    return QueuedJob(
        PROCESS_ENTRYPOINT, encode_payload({"eventId": str(event_id)}), _dedupe_key(event_id)
    )


async def queue_processing(target: Target, event_id: uuid.UUID) -> None:
    """Queue the event's processing in the caller's transaction (or on its own, on a bare
    connection); at most one job per event is queued or running, so redeliveries and the sweep
    never stack jobs."""
    await enqueue_unless_active(
        target, PROCESS_ENTRYPOINT, {"eventId": str(event_id)}, dedupe_key=_dedupe_key(event_id)
    )


async def queue_processing_of(session: AsyncSession, event_ids: Sequence[uuid.UUID]) -> int:
    """Queue many events at once (the sweep); returns how many jobs were new."""
    return await enqueue_many(
        session,
        PROCESS_ENTRYPOINT,
        [({"eventId": str(event_id)}, _dedupe_key(event_id), None) for event_id in event_ids],
    )


async def take_queued_processing(session: AsyncSession, event_ids: Sequence[uuid.UUID]) -> None:
    """Remove the queued (not yet picked) processing jobs of these events, for a caller that
    applies them itself."""
    connection = await driver_connection(session)
    await connection.execute(
        "DELETE FROM pgqueuer WHERE dedupe_key = ANY($1::text[]) AND status = 'queued'",
        [_dedupe_key(event_id) for event_id in event_ids],
    )
