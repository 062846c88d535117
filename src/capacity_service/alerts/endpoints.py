"""Alerts of one workspace, of all workspaces, and a workspace's alert settings."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from capacity_service.alerts import service
from capacity_service.alerts.repository import AlertFilter
from capacity_service.alerts.rules import AlertKind, AlertScope
from capacity_service.alerts.schemas import (
    AlertDeliveryRead,
    AlertDetail,
    AlertRead,
    AlertSettingsRead,
    AlertSettingsUpdate,
    EvaluationRead,
)
from capacity_service.auth import AdminDep, CallerWorkspaceDep
from capacity_service.config import Settings
from capacity_service.db import SessionDep
from capacity_service.exceptions import (
    Forbidden,
    NotFound,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from capacity_service.kit.dependencies import CipherDep, NowDep, SettingsDep
from capacity_service.kit.pagination import PageDep
from capacity_service.kit.schemas import Page
from capacity_service.models import Alert, WorkspaceAlertSettings
from capacity_service.workspaces.service import get_workspace

StateQuery = Annotated[
    Literal["open", "cleared"] | None, Query(description="Only open or only cleared alerts.")
]
KindQuery = Annotated[AlertKind | None, Query(description="Only alerts of this kind.")]

workspace_router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/alerts",
    tags=["alerts"],
    responses=error_responses(Unauthorized, NotFound),
)
admin_router = APIRouter(
    prefix="/v1/admin",
    tags=["admin: alerts"],
    dependencies=[AdminDep],
    responses=error_responses(Unauthorized, Forbidden),
)


def _read(alert: Alert, workspace_name: str) -> AlertRead:
    return AlertRead(
        id=alert.id,
        workspace_id=alert.workspace_id,
        workspace_name=workspace_name,
        kind=AlertKind(alert.kind),
        scope=AlertScope(alert.scope),
        state=alert.state,
        summary=alert.summary,
        figures=alert.figures,
        cleared_figures=alert.cleared_figures,
        opened_at=alert.opened_at,
        cleared_at=alert.cleared_at,
    )


def _page(rows: list[tuple[Alert, str]], total: int, limit: int, offset: int) -> Page[AlertRead]:
    return Page[AlertRead](
        items=[_read(alert, name) for alert, name in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@workspace_router.get("")
async def list_workspace_alerts(
    workspace: CallerWorkspaceDep,
    session: SessionDep,
    page: PageDep,
    state: StateQuery = None,
    kind: KindQuery = None,
) -> Page[AlertRead]:
    """This workspace's alerts: open ones first, then the most recently opened."""
    rows, total = await service.list_alerts(
        session,
        AlertFilter(workspace_id=workspace.id, state=state, kind=kind),
        limit=page.limit,
        offset=page.offset,
    )
    return _page(list(rows), total, page.limit, page.offset)


@admin_router.get("/alerts")
async def list_all_alerts(
    session: SessionDep,
    page: PageDep,
    state: StateQuery = None,
    kind: KindQuery = None,
    workspace_id: Annotated[uuid.UUID | None, Query(alias="workspaceId")] = None,
) -> Page[AlertRead]:
    """Every workspace's alerts: open ones first, then the most recently opened."""
    rows, total = await service.list_alerts(
        session,
        AlertFilter(workspace_id=workspace_id, state=state, kind=kind),
        limit=page.limit,
        offset=page.offset,
    )
    return _page(list(rows), total, page.limit, page.offset)


@admin_router.get("/alerts/{alert_id}", responses=error_responses(NotFound))
async def get_alert(alert_id: uuid.UUID, session: SessionDep) -> AlertDetail:
    """One alert with every webhook delivery of it and their attempts."""
    alert = await service.get_alert(session, alert_id)
    workspace = await get_workspace(session, alert.workspace_id)
    deliveries = await service.list_deliveries(session, alert.id)
    return AlertDetail(
        **_read(alert, workspace.name).model_dump(),
        deliveries=[AlertDeliveryRead.model_validate(d) for d in deliveries],
    )


def _settings_read(
    workspace_id: uuid.UUID, row: WorkspaceAlertSettings | None, settings: Settings
) -> AlertSettingsRead:
    thresholds = service.thresholds_for(row, settings)
    return AlertSettingsRead(
        workspace_id=workspace_id,
        over_capacity_pct=row.over_capacity_pct if row else None,
        under_used_pct=row.under_used_pct if row else None,
        effective_over_capacity_pct=thresholds.over_capacity_pct,
        effective_under_used_pct=thresholds.under_used_pct,
        webhook_url=row.webhook_url if row else None,
        webhook_secret_set=row is not None and row.webhook_secret_encrypted is not None,
        operator_webhook_configured=settings.alert_webhook_url is not None,
    )


@admin_router.get("/workspaces/{workspace_id}/alert-settings", responses=error_responses(NotFound))
async def get_alert_settings(
    workspace_id: uuid.UUID, session: SessionDep, settings: SettingsDep
) -> AlertSettingsRead:
    """The workspace's own thresholds and webhook, and the thresholds in force."""
    await get_workspace(session, workspace_id)
    row = await service.get_alert_settings(session, workspace_id)
    return _settings_read(workspace_id, row, settings)


@admin_router.patch(
    "/workspaces/{workspace_id}/alert-settings",
    responses=error_responses(NotFound, UnprocessableEntity),
)
async def update_alert_settings(
    workspace_id: uuid.UUID,
    body: AlertSettingsUpdate,
    session: SessionDep,
    settings: SettingsDep,
    cipher: CipherDep,
) -> AlertSettingsRead:
    """Change thresholds or the webhook; fields left out are kept, `null` restores the service
    default (or removes the webhook). A webhook URL needs a signing secret."""
    await get_workspace(session, workspace_id)
    row = await service.update_alert_settings(session, workspace_id, body, cipher)
    return _settings_read(workspace_id, row, settings)


@admin_router.post(
    "/workspaces/{workspace_id}/alerts/evaluate", responses=error_responses(NotFound)
)
async def evaluate_alerts(
    workspace_id: uuid.UUID, session: SessionDep, settings: SettingsDep, now: NowDep
) -> EvaluationRead:
    """Evaluate the workspace's alerts now (the job system also does after every refresh and
    appointment change); returns what fired or cleared."""
    workspace = await get_workspace(session, workspace_id)
    result = await service.evaluate_workspace_alerts(session, workspace, now, settings=settings)
    return EvaluationRead(
        fired=[_read(a, workspace.name) for a in result.fired],
        cleared=[_read(a, workspace.name) for a in result.cleared],
        deliveries_queued=len(result.deliveries),
    )
