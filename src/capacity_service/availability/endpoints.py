"""Availability cache of a workspace: its state, and refreshing it on demand."""

from __future__ import annotations

from fastapi import APIRouter, status

from capacity_service.auth import CallerWorkspaceDep
from capacity_service.availability.schemas import (
    AvailabilityRead,
    RefreshAccepted,
    SourceAvailabilityRead,
)
from capacity_service.availability.service import SourceAvailability, availability_overview
from capacity_service.availability.tasks import enqueue_refresh
from capacity_service.data_quality.service import workspace_data_quality
from capacity_service.db import SessionDep
from capacity_service.exceptions import NotFound, Unauthorized, error_responses
from capacity_service.kit.dependencies import SettingsDep
from capacity_service.kit.time import iso_utc, iso_utc_or_none

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/availability",
    tags=["availability"],
    responses=error_responses(Unauthorized, NotFound),
)


@router.post("/refresh", status_code=status.HTTP_202_ACCEPTED)
async def refresh_availability(
    workspace: CallerWorkspaceDep, session: SessionDep
) -> RefreshAccepted:
    """Queue a refresh of every configured source; a worker fetches the providers.

    One refresh per workspace is queued or running at a time: asking again while one is pending
    returns that job. Read the outcome with `GET .../availability`.
    """
    job = await enqueue_refresh(session, workspace.id)
    return RefreshAccepted(job_id=job.id, already_queued=not job.created)


@router.get("")
async def get_availability(
    workspace: CallerWorkspaceDep, session: SessionDep, settings: SettingsDep
) -> AvailabilityRead:
    """Per source: what the cache holds for the configured identifier over the default window."""
    overview = await availability_overview(session, workspace, settings)
    return AvailabilityRead(
        workspace_id=str(workspace.id),
        window_days=settings.default_window_days,
        window_start_iso=iso_utc(overview.window_start),
        window_end_iso=iso_utc(overview.window_end),
        sources=[_source_read(s) for s in overview.sources],
        data_quality=await workspace_data_quality(session, workspace),
    )


def _source_read(item: SourceAvailability) -> SourceAvailabilityRead:
    meta = item.cached.meta if item.cached is not None else None
    return SourceAvailabilityRead(
        source=item.source,
        configured=item.config is not None,
        provider=item.config.provider if item.config else None,
        identifier=item.config.identifier if item.config else None,
        slot_count=item.cached.slot_count if item.cached is not None else 0,
        range_start_iso=iso_utc_or_none(meta.range_start_at) if meta else None,
        range_end_iso=iso_utc_or_none(meta.range_end_at) if meta else None,
        fetched_at_iso=iso_utc_or_none(meta.fetched_at) if meta else None,
        is_stale=item.is_stale,
        last_error=meta.last_error if meta else None,
        last_error_kind=meta.last_error_kind if meta else None,
        last_error_at_iso=iso_utc_or_none(meta.last_error_at) if meta else None,
        consecutive_failures=meta.consecutive_failures if meta else 0,
    )
