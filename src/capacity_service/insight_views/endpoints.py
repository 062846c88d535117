"""Insight views of a workspace's capacity: forecast, heatmap, minutes and what-if.

Served from the database and the availability cache only; no provider is called.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from capacity_service.auth import CallerWorkspaceDep
from capacity_service.capacity.dependencies import StalenessDep, WindowDaysDep
from capacity_service.db import SessionDep
from capacity_service.exceptions import (
    NotFound,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from capacity_service.insight_views import service
from capacity_service.insight_views.schemas import (
    CapacityForecast,
    CapacityHeatmap,
    CapacityMinutes,
    WhatIfRequest,
    WhatIfResult,
)
from capacity_service.kit.dependencies import NowDep, SettingsDep

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/capacity",
    tags=["capacity insights"],
    responses=error_responses(Unauthorized, NotFound),
)


def _history_days(
    history_days: Annotated[
        int,
        Query(
            alias="historyDays",
            ge=7,
            le=365,
            description="Trailing days of bookings the curve or the history grid is read from.",
        ),
    ] = 90,
) -> int:
    return history_days


HistoryDaysDep = Annotated[int, Depends(_history_days)]


@router.get("/forecast")
async def get_forecast(
    workspace: CallerWorkspaceDep,
    session: SessionDep,
    window_days: WindowDaysDep,
    history_days: HistoryDaysDep,
    staleness: StalenessDep,
    now: NowDep,
) -> CapacityForecast:
    """Pacing forecast: each day's projected final bookings from the usual lead-time curve,
    the window's projected % booked and the first day projected to be full."""
    return await service.capacity_forecast(
        session,
        workspace,
        window_days=window_days,
        history_days=history_days,
        now=now,
        staleness_threshold=staleness,
    )


@router.get("/heatmap")
async def get_heatmap(
    workspace: CallerWorkspaceDep,
    session: SessionDep,
    window_days: WindowDaysDep,
    history_days: HistoryDaysDep,
    staleness: StalenessDep,
    now: NowDep,
) -> CapacityHeatmap:
    """% booked per local weekday and hour over the window, and when bookings took place over
    the trailing history."""
    return await service.capacity_heatmap(
        session,
        workspace,
        window_days=window_days,
        history_days=history_days,
        now=now,
        staleness_threshold=staleness,
    )


@router.get("/minutes")
async def get_minutes(
    workspace: CallerWorkspaceDep,
    session: SessionDep,
    window_days: WindowDaysDep,
    staleness: StalenessDep,
    now: NowDep,
) -> CapacityMinutes:
    """Minutes-weighted % booked (booking lengths, slot lengths, seats) beside the slot count."""
    return await service.capacity_minutes(
        session, workspace, window_days=window_days, now=now, staleness_threshold=staleness
    )


@router.post("/what-if", responses=error_responses(UnprocessableEntity))
async def post_what_if(
    body: WhatIfRequest,
    workspace: CallerWorkspaceDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> WhatIfResult:
    """The window's % booked if recurring weekly hours were added or removed; nothing is
    stored."""
    return await service.what_if(
        session,
        workspace,
        body,
        window_days=body.window_days or settings.default_window_days,
        now=now,
    )
