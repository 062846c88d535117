"""Retention: what the daily prune deletes and what it keeps."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.config import Settings
from capacity_service.jobs.registry import load_registry
from capacity_service.kit.enums import Provider
from capacity_service.models import WebhookEvent
from capacity_service.retention.service import prune
from capacity_service.retention.tasks import PRUNE_ENTRYPOINT

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


async def _event(session: AsyncSession, status: str, age_days: float) -> str:
    key = f"{status}-{age_days}-{uuid.uuid4().hex[:6]}"
    session.add(
        WebhookEvent(
            provider=Provider.CALENDLY,
            event_key=key,
            raw_body=b"{}",
            status=status,
            received_at=NOW - timedelta(days=age_days),
        )
    )
    await session.flush()
    return key


async def _remaining_events(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(WebhookEvent.event_key))).all())


def _settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_event_retention_days": 30,
            "failed_webhook_event_retention_days": 90,
            "job_log_retention_days": 14,
        }
    )


async def test_processed_and_ignored_events_older_than_the_retention_are_deleted(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    old = [await _event(session, s, 31) for s in ("processed", "ignored", "processed")]
    recent = [await _event(session, s, 29) for s in ("processed", "ignored")]

    result = await prune(sessionmaker, _settings(settings), now=NOW, batch_size=2)

    assert result.webhook_events == len(old)
    session.expire_all()
    assert await _remaining_events(session) == set(recent)


async def test_failed_events_are_kept_for_replay_until_their_longer_retention(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    kept = [
        await _event(session, "failed", 31),
        await _event(session, "failed", 89),
        await _event(session, "received", 45),
    ]
    gone = [await _event(session, "failed", 91), await _event(session, "received", 91)]

    result = await prune(sessionmaker, _settings(settings), now=NOW)

    assert (result.webhook_events, result.failed_webhook_events) == (0, len(gone))
    session.expire_all()
    assert await _remaining_events(session) == set(kept)


async def test_job_log_rows_older_than_the_retention_are_deleted(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    for job_id, age in ((1, 15), (2, 20), (3, 13), (4, 1)):
        await session.execute(
            text(
                "INSERT INTO pgqueuer_log (created, job_id, status, priority, entrypoint) "
                "VALUES (:created, :job_id, 'successful', 0, 'availability.refresh')"
            ),
            {"created": NOW - timedelta(days=age), "job_id": job_id},
        )

    result = await prune(sessionmaker, _settings(settings), now=NOW, batch_size=1)

    assert result.job_log == 2
    remaining = await session.scalars(text("SELECT job_id FROM pgqueuer_log ORDER BY job_id"))
    assert list(remaining) == [3, 4]


def test_the_prune_is_a_daily_schedule_of_the_worker() -> None:
    registry = load_registry()
    (schedule,) = [s for s in registry.cron_schedules if s.entrypoint == PRUNE_ENTRYPOINT]
    minute, hour, *rest = schedule.cron.split()
    assert minute.isdigit()
    assert hour.isdigit()
    assert rest == ["*", "*", "*"]


def test_retention_settings_default_to_30_90_and_14_days() -> None:
    defaults = Settings.model_fields
    assert defaults["webhook_event_retention_days"].default == 30
    assert defaults["failed_webhook_event_retention_days"].default == 90
    assert defaults["job_log_retention_days"].default == 14
