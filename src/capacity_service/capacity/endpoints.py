from typing import Annotated

from fastapi import APIRouter, Query

from capacity_service.auth import AdminDep
from capacity_service.capacity import service
from capacity_service.capacity.dependencies import StalenessDep, WindowDaysDep
from capacity_service.capacity.schemas import CapacityOverview
from capacity_service.data_quality.service import data_quality_for_ids
from capacity_service.db import SessionDep
from capacity_service.exceptions import Forbidden, Unauthorized, error_responses
from capacity_service.kit.dependencies import NowDep
from capacity_service.kit.pagination import PageDep

router = APIRouter(
    prefix="/v1/admin/capacity",
    tags=["admin: capacity"],
    dependencies=[AdminDep],
    responses=error_responses(Unauthorized, Forbidden),
)


@router.get("")
async def capacity_overview(
    session: SessionDep,
    page: PageDep,
    window_days: WindowDaysDep,
    staleness: StalenessDep,
    now: NowDep,
    threshold_pct: Annotated[
        float,
        Query(alias="thresholdPct", ge=0, le=100, description="Constrained at or over this %."),
    ] = 80.0,
    constrained_only: Annotated[
        bool, Query(alias="constrainedOnly", description="Only workspaces at or over it.")
    ] = False,
) -> CapacityOverview:
    """Every workspace's combined and per-source % booked, most constrained first (unknown
    percentages last): the clients that need more team members or more open time."""
    overview = await service.capacity_overview(
        session,
        window_days=window_days,
        now=now,
        staleness_threshold=staleness,
        threshold_pct=threshold_pct,
        constrained_only=constrained_only,
        limit=page.limit,
        offset=page.offset,
    )
    signals = await data_quality_for_ids(session, [row.workspace_id for row in overview.items])
    for row in overview.items:
        row.data_quality = signals.get(row.workspace_id)
    return overview
