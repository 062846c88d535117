"""Data-quality signals of one workspace, and of every workspace for the operator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from capacity_service.auth import AdminDep, CallerWorkspaceDep
from capacity_service.data_quality import service
from capacity_service.data_quality.schemas import DataQuality, DataQualityOverview
from capacity_service.db import SessionDep
from capacity_service.exceptions import Forbidden, NotFound, Unauthorized, error_responses
from capacity_service.kit.pagination import PageDep

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/data-quality",
    tags=["data quality"],
    responses=error_responses(Unauthorized, NotFound),
)
admin_router = APIRouter(
    prefix="/v1/admin/data-quality",
    tags=["admin: data quality"],
    dependencies=[AdminDep],
    responses=error_responses(Unauthorized, Forbidden),
)


@router.get("")
async def get_data_quality(workspace: CallerWorkspaceDep, session: SessionDep) -> DataQuality:
    """Per source: configured or not, last successful refresh, last error and its kind,
    consecutive failures; per provider: last webhook and last reconcile; last backfill."""
    return await service.workspace_data_quality(session, workspace)


@admin_router.get("")
async def list_data_quality(
    session: SessionDep,
    page: PageDep,
    trustworthy: Annotated[
        bool | None, Query(description="Only workspaces whose figures are (not) trustworthy.")
    ] = None,
) -> DataQualityOverview:
    """Every workspace's signals, those whose figures are doubtful first."""
    rows, untrustworthy = await service.data_quality_overview(session, trustworthy=trustworthy)
    return DataQualityOverview(
        items=rows[page.offset : page.offset + page.limit],
        total=len(rows),
        limit=page.limit,
        offset=page.offset,
        untrustworthy_count=untrustworthy,
    )
