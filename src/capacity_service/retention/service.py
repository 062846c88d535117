"""What is deleted and when.

Webhook events keep raw bodies with personal data: processed and ignored ones go after
CAPACITY_WEBHOOK_EVENT_RETENTION_DAYS; failed (or never finished) ones stay until
CAPACITY_FAILED_WEBHOOK_EVENT_RETENTION_DAYS so they can still be replayed (a replay that
succeeds makes them `processed`, and the shorter rule applies). Job outcomes in pgqueuer_log go
after CAPACITY_JOB_LOG_RETENTION_DAYS. Each batch is its own transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.config import Settings
from capacity_service.kit.time import utcnow
from capacity_service.retention.repository import RetentionRepository

BATCH_SIZE = 1000


@dataclass(frozen=True, slots=True)
class PruneResult:
    webhook_events: int
    failed_webhook_events: int
    job_log: int


async def prune(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> PruneResult:
    at = now or utcnow()

    def older_than(days: int) -> datetime:
        return at - timedelta(days=days)

    return PruneResult(
        webhook_events=await _in_batches(
            sessionmaker,
            lambda repo: repo.delete_done_webhook_events(
                older_than(settings.webhook_event_retention_days), batch_size
            ),
            batch_size,
        ),
        failed_webhook_events=await _in_batches(
            sessionmaker,
            lambda repo: repo.delete_undone_webhook_events(
                older_than(settings.failed_webhook_event_retention_days), batch_size
            ),
            batch_size,
        ),
        job_log=await _in_batches(
            sessionmaker,
            lambda repo: repo.delete_job_log(
                older_than(settings.job_log_retention_days), batch_size
            ),
            batch_size,
        ),
    )


async def _in_batches(
    sessionmaker: async_sessionmaker[AsyncSession],
    delete: Callable[[RetentionRepository], Awaitable[int]],
    batch_size: int,
) -> int:
    total = 0
    while True:
        async with sessionmaker() as session, session.begin():
            deleted = await delete(RetentionRepository(session))
        total += deleted
        if deleted < batch_size:
            return total
