"""Workspace and campaign analytics: what happened in the last N days and how full the next N
days are. Database and availability cache only; never a provider call."""

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.analytics.repository import AnalyticsRepository
from capacity_service.analytics.schemas import (
    Analytics,
    AppointmentFigures,
    LeadFigures,
    Period,
)
from capacity_service.campaigns.service import get_campaign
from capacity_service.capacity.service import capacity_window, compute_capacity
from capacity_service.kit.time import iso_utc, to_utc
from capacity_service.models import Workspace

CAMPAIGN_CAPACITY_REASON = (
    "Capacity (% booked) is not available for a campaign: availability belongs to the "
    "workspace's calendars and event types, not to campaigns. Use the workspace scope."
)


async def workspace_analytics(
    session: AsyncSession,
    workspace: Workspace,
    *,
    window_days: int,
    now: dt.datetime,
    staleness_threshold: dt.timedelta,
    campaign_id: uuid.UUID | None = None,
) -> Analytics:
    """Figures of the workspace, or of one campaign's leads when `campaign_id` is given.

    A campaign of another workspace is NotFound.
    """
    now = to_utc(now)
    if campaign_id is not None:
        await get_campaign(session, workspace.id, campaign_id)
    window = capacity_window(now, window_days)
    period_start = now - dt.timedelta(days=window_days)
    repository = AnalyticsRepository(session)
    total, new, counts = await repository.counts(
        workspace.id, campaign_id, period_start=period_start, now=now, window_end=window.end
    )
    capacity = (
        None
        if campaign_id is not None
        else await compute_capacity(
            session,
            workspace,
            window_days=window_days,
            now=now,
            staleness_threshold=staleness_threshold,
        )
    )
    return Analytics(
        workspace_id=workspace.id,
        campaign_id=campaign_id,
        generated_at_iso=iso_utc(now),
        window_days=window_days,
        period=Period(start_iso=iso_utc(period_start), end_iso=iso_utc(now), days=window_days),
        leads=LeadFigures(total=total, new_in_period=new),
        appointments=AppointmentFigures(
            booked=counts.booked,
            canceled=counts.canceled,
            rescheduled=counts.rescheduled,
            showed=counts.showed,
            no_show=counts.no_show,
            upcoming_confirmed=counts.upcoming_confirmed,
        ),
        capacity=capacity,
        capacity_unavailable_reason=CAMPAIGN_CAPACITY_REASON if campaign_id else None,
    )
