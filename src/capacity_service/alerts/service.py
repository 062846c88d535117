"""Alert rules applied to the database: open and clear alerts as conditions change, queue their
webhooks, and read them back.

`evaluate_workspace_alerts` is the one entry point of evaluation. It changes state only when a
condition starts or ends, so evaluating again and again fires nothing new; the partial unique
index on open alerts and a per-workspace advisory lock keep concurrent evaluations from firing
twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.alerts.dispatch import enqueue_delivery_attempt
from capacity_service.alerts.repository import (
    AlertDeliveryRepository,
    AlertFilter,
    AlertMemoryRepository,
    AlertRepository,
    AlertSettingsRepository,
)
from capacity_service.alerts.rules import (
    SourceState,
    Thresholds,
    evaluate_conditions,
    sources_with_slots,
)
from capacity_service.alerts.schemas import AlertSettingsUpdate
from capacity_service.availability.repository import AvailabilityCacheRepository
from capacity_service.capacity.service import compute_capacity
from capacity_service.config import Settings
from capacity_service.exceptions import NotFound, UnprocessableEntity
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import iso_utc, iso_utc_or_none, to_utc
from capacity_service.models import Alert, AlertDelivery, Workspace, WorkspaceAlertSettings
from capacity_service.workspaces.sources import configured_sources


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    fired: list[Alert] = field(default_factory=list)
    cleared: list[Alert] = field(default_factory=list)
    deliveries: list[AlertDelivery] = field(default_factory=list)


def thresholds_for(row: WorkspaceAlertSettings | None, settings: Settings) -> Thresholds:
    return Thresholds(
        over_capacity_pct=(
            row.over_capacity_pct
            if row is not None and row.over_capacity_pct is not None
            else settings.alert_over_capacity_pct
        ),
        under_used_pct=(
            row.under_used_pct
            if row is not None and row.under_used_pct is not None
            else settings.alert_under_used_pct
        ),
    )


async def evaluate_workspace_alerts(
    session: AsyncSession, workspace: Workspace, now: datetime, *, settings: Settings
) -> EvaluationResult:
    """Open the alerts whose condition started and clear those whose condition ended, queueing
    one webhook delivery per state change and target."""
    now = to_utc(now)
    alerts = AlertRepository(session)
    await alerts.lock_workspace(workspace.id)
    settings_row = await AlertSettingsRepository(session).get(workspace.id)
    thresholds = thresholds_for(settings_row, settings)

    capacity = await compute_capacity(
        session,
        workspace,
        window_days=settings.default_window_days,
        now=now,
        staleness_threshold=timedelta(minutes=settings.staleness_threshold_minutes),
    )
    configs = {s: c for s, c in configured_sources(workspace).items() if c is not None}
    cached = await AvailabilityCacheRepository(session).read_window(
        workspace.id, configs.values(), now, now
    )
    sources = {
        source: SourceState(config, cached[source].meta if source in cached else None)
        for source, config in configs.items()
    }
    memory = AlertMemoryRepository(session)
    had_slots = await memory.sources_with_slots(workspace.id)

    result = EvaluationResult()
    for finding in evaluate_conditions(capacity, sources, thresholds, had_slots):
        if finding.active is True:
            opened = await alerts.open(
                workspace.id,
                kind=finding.kind.value,
                scope=finding.scope.value,
                summary=finding.summary,
                figures=finding.figures,
                now=now,
            )
            if opened is not None:
                result.fired.append(opened)
                result.deliveries.extend(
                    await _queue_deliveries(
                        session, opened, "fired", workspace, settings_row, settings
                    )
                )
        elif finding.active is False:
            cleared = await alerts.clear(
                workspace.id,
                kind=finding.kind.value,
                scope=finding.scope.value,
                figures=finding.figures,
                now=now,
            )
            if cleared is not None:
                result.cleared.append(cleared)
                result.deliveries.extend(
                    await _queue_deliveries(
                        session, cleared, "cleared", workspace, settings_row, settings
                    )
                )

    await memory.store(
        workspace.id,
        sources_with_slots=sources_with_slots(capacity, sources, had_slots),
        figures=capacity.model_dump(mode="json", by_alias=True, exclude={"daily"}),
        now=now,
    )
    await session.flush()
    return result


def alert_payload(alert: Alert, event: str, workspace: Workspace) -> dict[str, Any]:
    """The JSON body of an alert webhook (see README, "Alerts")."""
    occurred = alert.opened_at if event == "fired" else (alert.cleared_at or alert.opened_at)
    return {
        "id": f"{alert.id}.{event}",
        "type": f"alert.{event}",
        "occurredAtIso": iso_utc(occurred),
        "alert": {
            "id": str(alert.id),
            "workspaceId": str(workspace.id),
            "workspaceName": workspace.name,
            "kind": alert.kind,
            "scope": alert.scope,
            "state": alert.state,
            "summary": alert.summary,
            "figures": alert.figures,
            "clearedFigures": alert.cleared_figures,
            "openedAtIso": iso_utc(alert.opened_at),
            "clearedAtIso": iso_utc_or_none(alert.cleared_at),
        },
    }


def delivery_targets(
    settings_row: WorkspaceAlertSettings | None, settings: Settings
) -> list[tuple[str, str]]:
    targets: list[tuple[str, str]] = []
    if settings_row is not None and settings_row.webhook_url:
        targets.append(("workspace", settings_row.webhook_url))
    if settings.alert_webhook_url:
        targets.append(("operator", settings.alert_webhook_url))
    return targets


async def _queue_deliveries(
    session: AsyncSession,
    alert: Alert,
    event: str,
    workspace: Workspace,
    settings_row: WorkspaceAlertSettings | None,
    settings: Settings,
) -> list[AlertDelivery]:
    repository = AlertDeliveryRepository(session)
    payload = alert_payload(alert, event, workspace)
    queued = []
    for target, url in delivery_targets(settings_row, settings):
        delivery = await repository.add(
            AlertDelivery(
                id=uuid.uuid4(),
                alert_id=alert.id,
                event=event,
                target=target,
                url=url,
                payload=payload,
                status="pending",
                attempts=0,
            )
        )
        await enqueue_delivery_attempt(session, delivery.id, 1)
        queued.append(delivery)
    return queued


# ---- reading and settings --------------------------------------------------------------------


async def list_alerts(
    session: AsyncSession, filters: AlertFilter, *, limit: int, offset: int
) -> tuple[Sequence[tuple[Alert, str]], int]:
    return await AlertRepository(session).list(filters, limit=limit, offset=offset)


async def get_alert(session: AsyncSession, alert_id: uuid.UUID) -> Alert:
    alert = await AlertRepository(session).get(alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    return alert


async def list_deliveries(session: AsyncSession, alert_id: uuid.UUID) -> Sequence[AlertDelivery]:
    return await AlertDeliveryRepository(session).list_for_alert(alert_id)


async def get_alert_settings(
    session: AsyncSession, workspace_id: uuid.UUID
) -> WorkspaceAlertSettings | None:
    return await AlertSettingsRepository(session).get(workspace_id)


async def update_alert_settings(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    changes: AlertSettingsUpdate,
    cipher: SecretCipher,
) -> WorkspaceAlertSettings:
    """Apply the fields present; `null` goes back to the service default (or no webhook)."""
    row = await AlertSettingsRepository(session).get_or_create(workspace_id)
    for name in changes.model_fields_set:
        value = getattr(changes, name)
        if name == "webhook_secret":
            row.webhook_secret_encrypted = cipher.encrypt_optional(value)
        else:
            setattr(row, name, value)
    if row.webhook_url and row.webhook_secret_encrypted is None:
        raise UnprocessableEntity("webhookSecret: required while webhookUrl is set")
    await session.flush()
    await session.refresh(row)
    return row
