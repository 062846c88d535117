"""The Insights context pack: the analytics of a workspace or campaign, said plainly."""

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.analytics.service import CAMPAIGN_CAPACITY_REASON, workspace_analytics
from capacity_service.campaigns.service import get_campaign
from capacity_service.insights.schemas import CampaignRef, ContextPack, WorkspaceRef
from capacity_service.insights.summary import DEFINITIONS, capacity_summary
from capacity_service.models import Workspace


async def context_pack(
    session: AsyncSession,
    workspace: Workspace,
    *,
    window_days: int,
    now: dt.datetime,
    staleness_threshold: dt.timedelta,
    campaign_id: uuid.UUID | None = None,
) -> ContextPack:
    campaign = (
        None if campaign_id is None else await get_campaign(session, workspace.id, campaign_id)
    )
    analytics = await workspace_analytics(
        session,
        workspace,
        window_days=window_days,
        now=now,
        staleness_threshold=staleness_threshold,
        campaign_id=campaign_id,
    )
    summary = (
        CAMPAIGN_CAPACITY_REASON
        if analytics.capacity is None
        else capacity_summary(analytics.capacity, now)
    )
    return ContextPack(
        scope="workspace" if campaign is None else "campaign",
        generated_at_iso=analytics.generated_at_iso,
        workspace=WorkspaceRef(id=workspace.id, name=workspace.name, timezone=workspace.timezone),
        campaign=None if campaign is None else CampaignRef(id=campaign.id, name=campaign.name),
        window_days=analytics.window_days,
        period=analytics.period,
        leads=analytics.leads,
        appointments=analytics.appointments,
        capacity=analytics.capacity,
        capacity_summary=summary,
        capacity_unavailable_reason=analytics.capacity_unavailable_reason,
        definitions=DEFINITIONS,
    )
