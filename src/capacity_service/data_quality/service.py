"""Data-quality signals per workspace and source, computed in a few batched queries.

A disconnected calendar looks like one with no openings, and a stale one like one always free;
these signals say which figures can be trusted. Only the configured identifier's cache row
counts: a row left from a previous calendar is treated as never fetched, like the metric does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.data_quality.repository import (
    BackfillSignal,
    CacheSignal,
    DataQualityRepository,
    ReconcileSignal,
)
from capacity_service.data_quality.schemas import (
    DataQuality,
    DataQualityRow,
    ProviderQuality,
    SourceQuality,
)
from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.time import iso_utc_or_none
from capacity_service.models import Workspace
from capacity_service.workspaces.sources import SourceConfig, configured_sources


def _credentials_set(workspace: Workspace, provider: Provider) -> bool:
    if provider is Provider.GHL:
        return bool(workspace.ghl_location_id and workspace.ghl_access_token_encrypted)
    return workspace.calendly_access_token_encrypted is not None


def _source_quality(
    workspace: Workspace,
    source: AvailabilitySource,
    config: SourceConfig | None,
    signals: list[CacheSignal],
) -> SourceQuality:
    if config is None:
        return SourceQuality(
            source=source,
            configured=False,
            provider=None,
            identifier=None,
            credentials_set=False,
            last_successful_refresh_iso=None,
            last_error=None,
            last_error_kind=None,
            last_error_at_iso=None,
            consecutive_failures=0,
        )
    row = next(
        (
            s
            for s in signals
            if s.source == source
            and s.provider == config.provider
            and s.identifier == config.identifier
        ),
        None,
    )
    return SourceQuality(
        source=source,
        configured=True,
        provider=config.provider,
        identifier=config.identifier,
        credentials_set=_credentials_set(workspace, config.provider),
        last_successful_refresh_iso=iso_utc_or_none(row.fetched_at) if row else None,
        last_error=row.last_error if row else None,
        last_error_kind=row.last_error_kind if row else None,
        last_error_at_iso=iso_utc_or_none(row.last_error_at) if row else None,
        consecutive_failures=row.consecutive_failures if row else 0,
    )


def _issues(sources: list[SourceQuality]) -> list[str]:
    configured = [s for s in sources if s.configured]
    if not configured:
        return ["no availability source is configured"]
    issues = []
    for s in configured:
        if s.last_error_kind is not None:
            issues.append(
                f"{s.source.value}: last refresh failed ({s.last_error_kind}, "
                f"{s.consecutive_failures} in a row)"
            )
        elif s.last_successful_refresh_iso is None:
            issues.append(f"{s.source.value}: never fetched")
    return issues


def build_data_quality(
    workspace: Workspace,
    *,
    cache: list[CacheSignal],
    webhooks: dict[tuple[uuid.UUID, Provider], datetime],
    reconciles: dict[tuple[uuid.UUID, Provider], ReconcileSignal],
    backfill: BackfillSignal | None,
    open_alerts: int,
    evaluated_at: datetime | None,
) -> DataQuality:
    configs = configured_sources(workspace)
    sources = [_source_quality(workspace, s, configs[s], cache) for s in AvailabilitySource]
    issues = _issues(sources)
    providers = []
    for provider in Provider:
        reconcile = reconciles.get((workspace.id, provider))
        providers.append(
            ProviderQuality(
                provider=provider,
                credentials_set=_credentials_set(workspace, provider),
                last_webhook_received_iso=iso_utc_or_none(webhooks.get((workspace.id, provider))),
                last_reconcile_iso=iso_utc_or_none(reconcile.at) if reconcile else None,
                last_reconcile_errors=reconcile.errors if reconcile else None,
            )
        )
    return DataQuality(
        workspace_id=workspace.id,
        trustworthy=not issues,
        issues=issues,
        sources=sources,
        providers=providers,
        last_backfill_iso=iso_utc_or_none(backfill.last_finished_at) if backfill else None,
        last_backfill_status=backfill.status if backfill else None,
        open_alerts=open_alerts,
        last_alert_evaluation_iso=iso_utc_or_none(evaluated_at),
    )


async def data_quality_for(
    session: AsyncSession, workspaces: Sequence[Workspace]
) -> dict[uuid.UUID, DataQuality]:
    """The signals of many workspaces in one statement, whatever their number."""
    if not workspaces:
        return {}
    signals = await DataQualityRepository(session).signals([w.id for w in workspaces])
    found: dict[uuid.UUID, DataQuality] = {}
    for w in workspaces:
        s = signals[w.id]
        found[w.id] = build_data_quality(
            w,
            cache=s.cache,
            webhooks={(w.id, provider): at for provider, at in s.webhooks.items()},
            reconciles={(w.id, provider): r for provider, r in s.reconciles.items()},
            backfill=s.backfill,
            open_alerts=s.open_alerts,
            evaluated_at=s.evaluated_at,
        )
    return found


async def data_quality_for_ids(
    session: AsyncSession, workspace_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, DataQuality]:
    """For lists that hold workspace ids only (e.g. the capacity overview's page)."""
    if not workspace_ids:
        return {}
    workspaces = await DataQualityRepository(session).workspaces(workspace_ids)
    return await data_quality_for(session, workspaces)


async def workspace_data_quality(session: AsyncSession, workspace: Workspace) -> DataQuality:
    return (await data_quality_for(session, [workspace]))[workspace.id]


async def record_reconcile(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    provider: Provider,
    *,
    at: datetime,
    seen: int,
    errors: int,
) -> None:
    """Note a whole-workspace reconcile of a provider (called by reconcile, in its transaction)."""
    await DataQualityRepository(session).record_reconcile(
        workspace_id, provider, at=at, seen=seen, errors=errors
    )


async def data_quality_overview(
    session: AsyncSession, *, trustworthy: bool | None = None
) -> tuple[list[DataQualityRow], int]:
    """Every workspace, untrustworthy first then by name; and how many are untrustworthy."""
    workspaces = await DataQualityRepository(session).all_workspaces()
    signals = await data_quality_for(session, workspaces)
    rows = [DataQualityRow(**signals[w.id].model_dump(), workspace_name=w.name) for w in workspaces]
    untrustworthy = sum(1 for r in rows if not r.trustworthy)
    if trustworthy is not None:
        rows = [r for r in rows if r.trustworthy is trustworthy]
    rows.sort(key=lambda r: r.trustworthy)
    return rows, untrustworthy
