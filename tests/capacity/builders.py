"""Availability cache rows written directly, as the refresh would leave them."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.models import Workspace, WorkspaceAvailabilityCache


async def make_cache(
    session: AsyncSession,
    workspace: Workspace,
    source: AvailabilitySource,
    identifier: str,
    slots: list[datetime],
    *,
    fetched_at: datetime | None,
    provider: Provider = Provider.GHL,
    range_end_at: datetime | None = None,
    last_error: str | None = None,
) -> WorkspaceAvailabilityCache:
    row = WorkspaceAvailabilityCache(
        workspace_id=workspace.id,
        source=source,
        provider=provider,
        identifier=identifier,
        slots=sorted(slots),
        range_start_at=fetched_at,
        range_end_at=range_end_at
        if range_end_at is not None or fetched_at is None
        else fetched_at + timedelta(days=92),
        fetched_at=fetched_at,
        last_error=last_error,
        last_error_at=fetched_at if last_error else None,
    )
    session.add(row)
    await session.flush()
    return row
