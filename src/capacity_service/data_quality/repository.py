"""All SQL behind the data-quality signals, batched over many workspaces for the operator list.

Every signal is derived from the tables that already record it (the availability cache, the
stored webhooks, backfill runs) except the reconcile time, which only reconcile knows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.repository import Repository
from capacity_service.models import Workspace, WorkspaceAvailabilityCache, WorkspaceProviderSync


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


_LAST_WEBHOOKS = text(
    """
    SELECT w.id AS workspace_id, p.provider::text AS provider,
           (SELECT max(e.received_at) FROM webhook_event AS e
             WHERE e.workspace_id = w.id AND e.provider = p.provider) AS received_at
    FROM unnest(CAST(:ids AS uuid[])) AS w(id)
    CROSS JOIN (VALUES ('ghl'::provider), ('calendly'::provider)) AS p(provider)
    """
)

_LAST_BACKFILLS = text(
    """
    SELECT DISTINCT ON (r.workspace_id) r.workspace_id, r.status, r.created_at, r.finished_at,
           (SELECT max(f.finished_at) FROM backfill_run AS f
             WHERE f.workspace_id = r.workspace_id) AS last_finished_at
    FROM backfill_run AS r
    WHERE r.workspace_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY r.workspace_id, r.created_at DESC, r.id
    """
)


class DataQualityRepository(Repository):
    async def workspaces(self, workspace_ids: Sequence[uuid.UUID]) -> Sequence[Workspace]:
        return (
            await self.session.scalars(select(Workspace).where(Workspace.id.in_(workspace_ids)))
        ).all()

    async def all_workspaces(self) -> Sequence[Workspace]:
        return (await self.session.scalars(select(Workspace).order_by(Workspace.name))).all()

    async def cache_signals(
        self, workspace_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[CacheSignal]]:
        cache = WorkspaceAvailabilityCache
        rows = await self.session.execute(
            select(
                cache.workspace_id,
                cache.source,
                cache.provider,
                cache.identifier,
                cache.fetched_at,
                cache.last_error,
                cache.last_error_kind,
                cache.last_error_at,
                cache.consecutive_failures,
            ).where(cache.workspace_id.in_(workspace_ids))
        )
        found: dict[uuid.UUID, list[CacheSignal]] = {}
        for row in rows.all():
            found.setdefault(row.workspace_id, []).append(
                CacheSignal(
                    source=row.source,
                    provider=row.provider,
                    identifier=row.identifier,
                    fetched_at=row.fetched_at,
                    last_error=row.last_error,
                    last_error_kind=row.last_error_kind,
                    last_error_at=row.last_error_at,
                    consecutive_failures=row.consecutive_failures,
                )
            )
        return found

    async def last_webhooks(
        self, workspace_ids: Sequence[uuid.UUID]
    ) -> dict[tuple[uuid.UUID, Provider], datetime]:
        """Per workspace and provider, when its last webhook was received: one index probe
        each on (workspace_id, provider, received_at)."""
        if not workspace_ids:
            return {}
        rows = await self.session.execute(_LAST_WEBHOOKS, {"ids": list(workspace_ids)})
        return {
            (row.workspace_id, Provider(row.provider)): row.received_at
            for row in rows
            if row.received_at is not None
        }

    async def last_backfills(
        self, workspace_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, BackfillSignal]:
        if not workspace_ids:
            return {}
        rows = await self.session.execute(_LAST_BACKFILLS, {"ids": list(workspace_ids)})
        return {
            row.workspace_id: BackfillSignal(
                status=row.status,
                created_at=row.created_at,
                finished_at=row.finished_at,
                last_finished_at=row.last_finished_at,
            )
            for row in rows
        }

    async def reconciles(
        self, workspace_ids: Sequence[uuid.UUID]
    ) -> dict[tuple[uuid.UUID, Provider], ReconcileSignal]:
        sync = WorkspaceProviderSync
        rows = await self.session.scalars(select(sync).where(sync.workspace_id.in_(workspace_ids)))
        return {
            (row.workspace_id, row.provider): ReconcileSignal(
                at=row.last_reconciled_at,
                seen=row.last_reconcile_seen,
                errors=row.last_reconcile_errors,
            )
            for row in rows.all()
        }

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
