"""All SQL behind the data-quality signals, batched over many workspaces for the operator list.

Every signal is derived from the tables that already record it (the availability cache, the
stored webhooks, backfill runs) except the reconcile time, which only reconcile knows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.repository import Repository
from capacity_service.models import Workspace, WorkspaceProviderSync


@dataclass(frozen=True, slots=True)
class CacheSignal:
    source: AvailabilitySource
    provider: Provider | None
    identifier: str | None
    fetched_at: datetime | None
    last_error: str | None
    last_error_kind: str | None
    last_error_at: datetime | None
    consecutive_failures: int


@dataclass(frozen=True, slots=True)
class BackfillSignal:
    status: str
    created_at: datetime
    finished_at: datetime | None
    last_finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReconcileSignal:
    at: datetime
    seen: int
    errors: int


# Every signal of many workspaces in one statement, one row per workspace: the signals are
# embedded in analytics, availability and the operator lists, so their round trips add up.
# A workspace's cache rows come back as parallel arrays (array_agg keeps one row order).
_SIGNALS = text(
    """
    SELECT w.id AS workspace_id,
           (SELECT max(e.received_at) FROM webhook_event AS e
             WHERE e.workspace_id = w.id AND e.provider = 'ghl') AS ghl_webhook_at,
           (SELECT max(e.received_at) FROM webhook_event AS e
             WHERE e.workspace_id = w.id AND e.provider = 'calendly') AS calendly_webhook_at,
           g.last_reconciled_at AS ghl_reconciled_at, g.last_reconcile_seen AS ghl_seen,
           g.last_reconcile_errors AS ghl_errors,
           c.last_reconciled_at AS calendly_reconciled_at, c.last_reconcile_seen AS calendly_seen,
           c.last_reconcile_errors AS calendly_errors,
           b.status AS backfill_status, b.created_at AS backfill_created_at,
           b.finished_at AS backfill_finished_at,
           (SELECT max(f.finished_at) FROM backfill_run AS f
             WHERE f.workspace_id = w.id) AS backfill_last_finished_at,
           (SELECT count(*) FROM alert AS a
             WHERE a.workspace_id = w.id AND a.state = 'open') AS open_alerts,
           (SELECT m.evaluated_at FROM workspace_alert_memory AS m
             WHERE m.workspace_id = w.id) AS evaluated_at,
           k.sources, k.providers, k.identifiers, k.fetched_ats, k.last_errors,
           k.last_error_kinds, k.last_error_ats, k.consecutive_failures
    FROM unnest(CAST(:ids AS uuid[])) AS w(id)
    LEFT JOIN workspace_provider_sync AS g ON g.workspace_id = w.id AND g.provider = 'ghl'
    LEFT JOIN workspace_provider_sync AS c ON c.workspace_id = w.id AND c.provider = 'calendly'
    LEFT JOIN LATERAL (
        SELECT r.status, r.created_at, r.finished_at FROM backfill_run AS r
        WHERE r.workspace_id = w.id ORDER BY r.created_at DESC, r.id LIMIT 1
    ) AS b ON true
    CROSS JOIN LATERAL (
        SELECT array_agg(x.source::text) AS sources, array_agg(x.provider::text) AS providers,
               array_agg(x.identifier) AS identifiers, array_agg(x.fetched_at) AS fetched_ats,
               array_agg(x.last_error) AS last_errors,
               array_agg(x.last_error_kind) AS last_error_kinds,
               array_agg(x.last_error_at) AS last_error_ats,
               array_agg(x.consecutive_failures) AS consecutive_failures
        FROM workspace_availability_cache AS x WHERE x.workspace_id = w.id
    ) AS k
    """
)


@dataclass(frozen=True, slots=True)
class WorkspaceSignals:
    """What the tables record about one workspace's data quality."""

    cache: list[CacheSignal]
    webhooks: dict[Provider, datetime]
    reconciles: dict[Provider, ReconcileSignal]
    backfill: BackfillSignal | None
    open_alerts: int
    evaluated_at: datetime | None


def _signals(row: Any) -> WorkspaceSignals:
    columns = zip(
        row.sources or [],
        row.providers or [],
        row.identifiers or [],
        row.fetched_ats or [],
        row.last_errors or [],
        row.last_error_kinds or [],
        row.last_error_ats or [],
        row.consecutive_failures or [],
        strict=True,
    )
    cache = [
        CacheSignal(
            source=AvailabilitySource(source),
            provider=None if provider is None else Provider(provider),
            identifier=identifier,
            fetched_at=fetched_at,
            last_error=last_error,
            last_error_kind=last_error_kind,
            last_error_at=last_error_at,
            consecutive_failures=failures,
        )
        for (
            source,
            provider,
            identifier,
            fetched_at,
            last_error,
            last_error_kind,
            last_error_at,
            failures,
        ) in columns
    ]
    webhooks = {
        provider: at
        for provider, at in (
            (Provider.GHL, row.ghl_webhook_at),
            (Provider.CALENDLY, row.calendly_webhook_at),
        )
        if at is not None
    }
    reconciles = {
        provider: ReconcileSignal(at=at, seen=seen, errors=errors)
        for provider, at, seen, errors in (
            (Provider.GHL, row.ghl_reconciled_at, row.ghl_seen, row.ghl_errors),
            (Provider.CALENDLY, row.calendly_reconciled_at, row.calendly_seen, row.calendly_errors),
        )
        if at is not None
    }
    backfill = (
        None
        if row.backfill_status is None
        else BackfillSignal(
            status=row.backfill_status,
            created_at=row.backfill_created_at,
            finished_at=row.backfill_finished_at,
            last_finished_at=row.backfill_last_finished_at,
        )
    )
    return WorkspaceSignals(
        cache=cache,
        webhooks=webhooks,
        reconciles=reconciles,
        backfill=backfill,
        open_alerts=int(row.open_alerts),
        evaluated_at=row.evaluated_at,
    )


class DataQualityRepository(Repository):
    async def signals(
        self, workspace_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, WorkspaceSignals]:
        """Every data-quality signal of these workspaces, in one statement."""
        if not workspace_ids:
            return {}
        rows = await self.session.execute(_SIGNALS, {"ids": list(workspace_ids)})
        return {row.workspace_id: _signals(row) for row in rows}

    async def workspaces(self, workspace_ids: Sequence[uuid.UUID]) -> Sequence[Workspace]:
        return (
            await self.session.scalars(select(Workspace).where(Workspace.id.in_(workspace_ids)))
        ).all()

    async def all_workspaces(self) -> Sequence[Workspace]:
        return (await self.session.scalars(select(Workspace).order_by(Workspace.name))).all()

    async def record_reconcile(
        self, workspace_id: uuid.UUID, provider: Provider, *, at: datetime, seen: int, errors: int
    ) -> None:
        """Keep the latest reconcile per workspace and provider; an older one never wins."""
        stmt = insert(WorkspaceProviderSync).values(
            workspace_id=workspace_id,
            provider=provider,
            last_reconciled_at=at,
            last_reconcile_seen=seen,
            last_reconcile_errors=errors,
        )
        excluded = stmt.excluded
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["workspace_id", "provider"],
                set_={
                    "last_reconciled_at": excluded.last_reconciled_at,
                    "last_reconcile_seen": excluded.last_reconcile_seen,
                    "last_reconcile_errors": excluded.last_reconcile_errors,
                },
                where=WorkspaceProviderSync.last_reconciled_at <= excluded.last_reconciled_at,
            )
        )
