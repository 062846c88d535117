import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from capacity_service.analytics import service
from capacity_service.analytics.schemas import Analytics
from capacity_service.auth import CallerWorkspaceDep
from capacity_service.capacity.dependencies import StalenessDep, WindowDaysDep
from capacity_service.data_quality.service import workspace_data_quality
from capacity_service.db import SessionDep
from capacity_service.exceptions import NotFound, Unauthorized, error_responses
from capacity_service.kit.dependencies import NowDep

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/analytics",
    tags=["analytics"],
    responses=error_responses(Unauthorized, NotFound),
)


@router.get("")
async def get_analytics(
    workspace: CallerWorkspaceDep,
    session: SessionDep,
    window_days: WindowDaysDep,
    staleness: StalenessDep,
    now: NowDep,
    campaign_id: Annotated[
        uuid.UUID | None,
        Query(alias="campaignId", description="Only this campaign's leads; capacity is then null."),
    ] = None,
) -> Analytics:
    """Leads and appointments of the last `windowDays` days and % booked of the next ones.

    Served from the database and the availability cache only; no provider is called.
    """
    analytics = await service.workspace_analytics(
        session,
        workspace,
        window_days=window_days,
        now=now,
        staleness_threshold=staleness,
        campaign_id=campaign_id,
    )
    analytics.data_quality = await workspace_data_quality(session, workspace)
    return analytics
