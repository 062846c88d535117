"""All SQL on alerts, their deliveries, alert settings and the evaluation memory."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from capacity_service.kit.repository import Repository
from capacity_service.models import (
    Alert,
    AlertDelivery,
    Workspace,
    WorkspaceAlertMemory,
    WorkspaceAlertSettings,
)


@dataclass(frozen=True, slots=True)
class AlertFilter:
    workspace_id: uuid.UUID | None = None
    state: str | None = None
    kind: str | None = None


class AlertRepository(Repository):
    async def lock_workspace(self, workspace_id: uuid.UUID) -> None:
        """Serialise evaluations of one workspace until the transaction ends."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('alerts'), hashtext(:id))"),
            {"id": str(workspace_id)},
        )

    async def open(
        self,
        workspace_id: uuid.UUID,
        *,
        kind: str,
        scope: str,
        summary: str,
        figures: dict[str, Any],
        now: datetime,
    ) -> Alert | None:
        """Open the alert unless one is open for this condition; None when it already was.

        The partial unique index decides, so two evaluations racing open it once.
        """
        stmt = (
            insert(Alert)
            .values(
                id=uuid.uuid4(),
                workspace_id=workspace_id,
                kind=kind,
                scope=scope,
                state="open",
                summary=summary,
                figures=figures,
                opened_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=["workspace_id", "kind", "scope"],
                index_where=text("state = 'open'"),
            )
            .returning(Alert)
        )
        return (await self.session.scalars(stmt)).one_or_none()

    async def clear(
        self,
        workspace_id: uuid.UUID,
        *,
        kind: str,
        scope: str,
        figures: dict[str, Any],
        now: datetime,
    ) -> Alert | None:
        """Clear the open alert of this condition; None when none was open."""
        stmt = (
            update(Alert)
            .where(
                Alert.workspace_id == workspace_id,
                Alert.kind == kind,
                Alert.scope == scope,
                Alert.state == "open",
            )
            .values(state="cleared", cleared_at=now, cleared_figures=figures)
            .returning(Alert)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self.session.scalars(stmt)).one_or_none()

    async def open_conditions(self, workspace_id: uuid.UUID) -> set[tuple[str, str]]:
        rows = await self.session.execute(
            select(Alert.kind, Alert.scope).where(
                Alert.workspace_id == workspace_id, Alert.state == "open"
            )
        )
        return {(kind, scope) for kind, scope in rows.all()}

    async def get(self, alert_id: uuid.UUID) -> Alert | None:
        return await self.session.get(Alert, alert_id)

    async def list(
        self, filters: AlertFilter, *, limit: int, offset: int
    ) -> tuple[Sequence[tuple[Alert, str]], int]:
        """Open alerts first, then the most recently opened; with the workspace name."""
        conditions = []
        if filters.workspace_id is not None:
            conditions.append(Alert.workspace_id == filters.workspace_id)
        if filters.state is not None:
            conditions.append(Alert.state == filters.state)
        if filters.kind is not None:
            conditions.append(Alert.kind == filters.kind)
        total = await self.session.scalar(
            select(func.count()).select_from(Alert).where(*conditions)
        )
        rows = await self.session.execute(
            select(Alert, Workspace.name)
            .join(Workspace, Workspace.id == Alert.workspace_id)
            .where(*conditions)
            .order_by((Alert.state == "open").desc(), Alert.opened_at.desc(), Alert.id)
            .limit(limit)
            .offset(offset)
        )
        return [(alert, name) for alert, name in rows.all()], int(total or 0)

    async def open_counts(self, workspace_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not workspace_ids:
            return {}
        rows = await self.session.execute(
            select(Alert.workspace_id, func.count())
            .where(Alert.workspace_id.in_(workspace_ids), Alert.state == "open")
            .group_by(Alert.workspace_id)
        )
        return {workspace_id: int(n) for workspace_id, n in rows.all()}


class AlertDeliveryRepository(Repository):
    async def add(self, delivery: AlertDelivery) -> AlertDelivery:
        self.session.add(delivery)
        await self.session.flush()
        return delivery

    async def lock(self, delivery_id: uuid.UUID) -> AlertDelivery | None:
        return (
            await self.session.scalars(
                select(AlertDelivery).where(AlertDelivery.id == delivery_id).with_for_update()
            )
        ).one_or_none()

    async def list_for_alert(self, alert_id: uuid.UUID) -> Sequence[AlertDelivery]:
        return (
            await self.session.scalars(
                select(AlertDelivery)
                .where(AlertDelivery.alert_id == alert_id)
                .order_by(AlertDelivery.created_at, AlertDelivery.id)
            )
        ).all()


class AlertSettingsRepository(Repository):
    async def get(self, workspace_id: uuid.UUID) -> WorkspaceAlertSettings | None:
        return await self.session.get(WorkspaceAlertSettings, workspace_id)

    async def get_or_create(self, workspace_id: uuid.UUID) -> WorkspaceAlertSettings:
        await self.session.execute(
            insert(WorkspaceAlertSettings)
            .values(workspace_id=workspace_id)
            .on_conflict_do_nothing(index_elements=["workspace_id"])
        )
        row = (
            await self.session.scalars(
                select(WorkspaceAlertSettings)
                .where(WorkspaceAlertSettings.workspace_id == workspace_id)
                .execution_options(populate_existing=True)
            )
        ).one()
        return row


class AlertMemoryRepository(Repository):
    async def sources_with_slots(self, workspace_id: uuid.UUID) -> list[str]:
        value = await self.session.scalar(
            select(WorkspaceAlertMemory.sources_with_slots).where(
                WorkspaceAlertMemory.workspace_id == workspace_id
            )
        )
        return list(value or [])

    async def store(
        self,
        workspace_id: uuid.UUID,
        *,
        sources_with_slots: list[str],
        figures: dict[str, Any],
        now: datetime,
    ) -> None:
        stmt = insert(WorkspaceAlertMemory).values(
            workspace_id=workspace_id,
            sources_with_slots=sources_with_slots,
            last_figures=figures,
            evaluated_at=now,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["workspace_id"],
                set_={
                    "sources_with_slots": stmt.excluded.sources_with_slots,
                    "last_figures": stmt.excluded.last_figures,
                    "evaluated_at": stmt.excluded.evaluated_at,
                },
            )
        )

    async def evaluated_at(self, workspace_id: uuid.UUID) -> datetime | None:
        return await self.session.scalar(
            select(WorkspaceAlertMemory.evaluated_at).where(
                WorkspaceAlertMemory.workspace_id == workspace_id
            )
        )

    async def evaluated_at_many(
        self, workspace_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, datetime]:
        rows = await self.session.execute(
            select(WorkspaceAlertMemory.workspace_id, WorkspaceAlertMemory.evaluated_at).where(
                WorkspaceAlertMemory.workspace_id.in_(workspace_ids)
            )
        )
        return {workspace_id: at for workspace_id, at in rows.all()}
