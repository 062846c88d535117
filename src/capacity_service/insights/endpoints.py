import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from capacity_service.auth import CallerWorkspaceDep
from capacity_service.capacity.dependencies import StalenessDep, WindowDaysDep
from capacity_service.db import SessionDep
from capacity_service.exceptions import NotFound, Unauthorized, error_responses
from capacity_service.insights import service
from capacity_service.insights.schemas import ContextPack
from capacity_service.kit.dependencies import NowDep

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/insights",
    tags=["insights"],
    responses=error_responses(Unauthorized, NotFound),
)


@router.get("/context-pack")
async def get_context_pack(
    workspace: CallerWorkspaceDep,
    session: SessionDep,
    window_days: WindowDaysDep,
    staleness: StalenessDep,
    now: NowDep,
    campaign_id: Annotated[
        uuid.UUID | None,
        Query(alias="campaignId", description="Campaign scope: capacity is stated unavailable."),
    ] = None,
) -> ContextPack:
    """The metrics snapshot an Insights chat model is given, with a one-line capacity summary
    and the definitions of every figure. Database and availability cache only."""
    return await service.context_pack(
        session,
        workspace,
        window_days=window_days,
        now=now,
        staleness_threshold=staleness,
        campaign_id=campaign_id,
    )
