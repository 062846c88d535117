"""Queueing alert work: evaluations (debounced per workspace) and webhook delivery attempts.

Both join the caller's transaction, so an evaluation is queued only if the change that asks for
it commits, and a delivery job exists only with the alert it announces.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from capacity_service.jobs.queue import EnqueuedJob, Target, enqueue, enqueue_unless_active
from capacity_service.jobs.registry import workspace_dedupe_key

EVALUATE_ENTRYPOINT = "alerts.evaluate"
DELIVER_ENTRYPOINT = "alerts.deliver"

APPOINTMENT_CHANGE_DELAY_SECONDS = 5.0
"""How long an evaluation waits after an appointment change, gathering the changes after it."""


async def enqueue_alert_evaluation_after_change(target: Target, workspace_id: uuid.UUID) -> bool:
    """The debounced evaluation every appointment write asks for; True when newly queued.

    In a burst most writes find the evaluation already queued, so this skips without looking
    the queued job up (one statement per write).
    """
    return await enqueue_unless_active(
        target,
        EVALUATE_ENTRYPOINT,
        {"workspaceId": str(workspace_id)},
        dedupe_key=workspace_dedupe_key(EVALUATE_ENTRYPOINT, workspace_id),
        execute_after=timedelta(seconds=APPOINTMENT_CHANGE_DELAY_SECONDS),
    )


async def enqueue_alert_evaluation(
    target: Target, workspace_id: uuid.UUID, *, delay_seconds: float = 0
) -> EnqueuedJob:
    """Queue an evaluation of the workspace's alerts unless one is already queued or running.

    With a delay, changes arriving in a burst (a reconcile writing many appointments, a run of
    webhooks) share one evaluation: the first queues it, the rest find it queued.
    """
    return await enqueue(
        target,
        EVALUATE_ENTRYPOINT,
        {"workspaceId": str(workspace_id)},
        dedupe_key=workspace_dedupe_key(EVALUATE_ENTRYPOINT, workspace_id),
        execute_after=timedelta(seconds=delay_seconds) if delay_seconds > 0 else None,
    )


async def enqueue_delivery_attempt(
    target: Target, delivery_id: uuid.UUID, attempt: int, *, delay_seconds: float = 0
) -> EnqueuedJob:
    """Queue attempt number `attempt` (1-based) of a delivery; at most one per attempt."""
    return await enqueue(
        target,
        DELIVER_ENTRYPOINT,
        {"deliveryId": str(delivery_id)},
        dedupe_key=f"{DELIVER_ENTRYPOINT}:{delivery_id}:{attempt}",
        execute_after=timedelta(seconds=delay_seconds) if delay_seconds > 0 else None,
    )
