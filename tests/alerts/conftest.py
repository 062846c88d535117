"""Helpers for alert tests: cache rows written through the refresh's own repository."""

from datetime import datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.availability.repository import AvailabilityCacheRepository
from capacity_service.config import Settings
from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.workspaces.sources import SourceConfig

HOOK_URL = "https://hooks.example.test/alerts"
HOOK_SECRET = "whsec-operator-0123456789abcdef"


def ghl_source(
    identifier: str, source: AvailabilitySource = AvailabilitySource.DEFAULT
) -> SourceConfig:
    return SourceConfig(source, Provider.GHL, identifier)


async def cache_slots(
    session: AsyncSession, workspace_id: object, config: SourceConfig, now: datetime, count: int
) -> None:
    """A successful refresh at `now` that found `count` hourly slots from tomorrow on."""
    slots = [now + timedelta(days=1, hours=i) for i in range(count)]
    await AvailabilityCacheRepository(session).store_success(
        workspace_id,  # type: ignore[arg-type]
        config,
        slots,
        range_start_at=now,
        range_end_at=now + timedelta(days=92),
        attempted_at=now,
    )


async def cache_failure(
    session: AsyncSession, workspace_id: object, config: SourceConfig, now: datetime, kind: str
) -> None:
    await AvailabilityCacheRepository(session).store_failure(
        workspace_id,  # type: ignore[arg-type]
        config,
        kind=kind,
        message=f"ghl: simulated {kind} (HTTP 401)",
        attempted_at=now,
    )


async def queued_jobs(session: AsyncSession, entrypoint: str) -> list[dict[str, object]]:
    rows = await session.execute(
        text(
            "SELECT payload, execute_after, created, dedupe_key FROM pgqueuer "
            "WHERE entrypoint = :e ORDER BY id"
        ),
        {"e": entrypoint},
    )
    return [dict(r._mapping) for r in rows]


@pytest.fixture
def operator_settings(settings: Settings) -> Settings:
    """Settings with the operator's webhook configured."""
    return settings.model_copy(
        update={"alert_webhook_url": HOOK_URL, "alert_webhook_secret": SecretStr(HOOK_SECRET)}
    )
