"""SQL of the backfill: its run rows, the rows still lacking attribution, and the narrow writes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    Uuid,
    and_,
    bindparam,
    column,
    func,
    or_,
    select,
    text,
    update,
    values,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.sql.elements import ColumnElement

from capacity_service.kit.enums import Provider
from capacity_service.kit.repository import Repository
from capacity_service.models import Appointment, BackfillRun

ACTIVE_STATUSES = ("queued", "running")


@dataclass(frozen=True, slots=True)
class PendingRow:
    """One appointment whose attribution is still unknown, with what the provider needs."""

    appointment_id: uuid.UUID
    provider: Provider
    ghl_appointment_id: str | None
    calendly_invitee_uri: str | None
    calendly_scheduled_event_uri: str | None


@dataclass(frozen=True, slots=True)
class FoundAttribution:
    appointment_id: uuid.UUID
    attribution: str
    calendly_scheduled_event_uri: str | None = None


def _unattributed(provider: Provider) -> ColumnElement[bool]:
    """Rows of `provider` the provider could attribute and that still lack it."""
    if provider is Provider.GHL:
        return and_(
            Appointment.ghl_appointment_id.is_not(None), Appointment.ghl_calendar_id.is_(None)
        )
    return and_(
        or_(
            Appointment.calendly_invitee_uri.is_not(None),
            Appointment.calendly_scheduled_event_uri.is_not(None),
        ),
        Appointment.calendly_event_type_uri.is_(None),
    )


def _pending(provider: Provider) -> ColumnElement[bool]:
    """Rows of `provider` still to look up: no attribution and no permanent lookup failure."""
    return and_(_unattributed(provider), Appointment.attribution_lookup_error.is_(None))


class BackfillRunRepository(Repository):
    async def get(self, run_id: uuid.UUID) -> BackfillRun | None:
        return await self.session.get(BackfillRun, run_id, populate_existing=True)

    async def get_active(self, workspace_id: uuid.UUID) -> BackfillRun | None:
        result = await self.session.execute(
            select(BackfillRun)
            .where(
                BackfillRun.workspace_id == workspace_id,
                BackfillRun.status.in_(ACTIVE_STATUSES),
            )
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def insert_queued(self, workspace_id: uuid.UUID) -> uuid.UUID | None:
        """A new queued run, or None when the workspace already has an active one.

        The partial unique index decides, so concurrent requests (in any process) agree.
        """
        statement = (
            insert(BackfillRun)
            .values(id=uuid.uuid4(), workspace_id=workspace_id, status="queued", errors=[])
            .on_conflict_do_nothing(
                index_elements=[BackfillRun.workspace_id],
                # Literal, as in the index: a bound parameter would not match its predicate.
                index_where=text("status IN ('queued', 'running')"),
            )
            .returning(BackfillRun.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def start(self, run_id: uuid.UUID, *, total: int, now: datetime) -> bool:
        """Mark an active run as running; False if it has already finished."""
        result = await self.session.execute(
            update(BackfillRun)
            .where(BackfillRun.id == run_id, BackfillRun.status.in_(ACTIVE_STATUSES))
            .values(
                status="running",
                total=total,
                started_at=func.coalesce(BackfillRun.started_at, now),
            )
            .returning(BackfillRun.id)
        )
        return result.scalar_one_or_none() is not None

    async def add_progress(
        self,
        run_id: uuid.UUID,
        *,
        ghl_updated: int,
        calendly_updated: int,
        error_count: int,
        new_errors: Sequence[dict[str, Any]],
    ) -> None:
        changes: dict[str, Any] = {
            "ghl_updated": BackfillRun.ghl_updated + ghl_updated,
            "calendly_updated": BackfillRun.calendly_updated + calendly_updated,
            "error_count": BackfillRun.error_count + error_count,
        }
        if new_errors:
            appended = bindparam("new_errors", list(new_errors), type_=JSONB)
            changes["errors"] = BackfillRun.errors.op("||", return_type=JSONB)(appended)
        await self.session.execute(
            update(BackfillRun).where(BackfillRun.id == run_id).values(**changes)
        )

    async def finish(self, run_id: uuid.UUID, *, status: str, now: datetime) -> None:
        await self.session.execute(
            update(BackfillRun)
            .where(BackfillRun.id == run_id)
            .values(status=status, finished_at=now)
        )


class AttributionRepository(Repository):
    async def count_pending(self, workspace_id: uuid.UUID, provider: Provider) -> int:
        total = await self.session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.workspace_id == workspace_id, _pending(provider))
        )
        return int(total or 0)

    async def pending_batch(
        self,
        workspace_id: uuid.UUID,
        provider: Provider,
        *,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[PendingRow]:
        """The next rows after `after` in id order (keyset), so a run never sees a row twice."""
        statement = (
            select(
                Appointment.id,
                Appointment.ghl_appointment_id,
                Appointment.calendly_invitee_uri,
                Appointment.calendly_scheduled_event_uri,
            )
            .where(Appointment.workspace_id == workspace_id, _pending(provider))
            .order_by(Appointment.id)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(Appointment.id > after)
        rows = (await self.session.execute(statement)).all()
        return [
            PendingRow(
                appointment_id=row.id,
                provider=provider,
                ghl_appointment_id=row.ghl_appointment_id,
                calendly_invitee_uri=row.calendly_invitee_uri,
                calendly_scheduled_event_uri=row.calendly_scheduled_event_uri,
            )
            for row in rows
        ]

    async def fill(self, provider: Provider, found: Sequence[FoundAttribution]) -> int:
        """Set attribution on rows that still lack it; the number of rows actually filled.

        Only the attribution columns (and the lookup-error pair) change: no upsert, so the lead
        rollup is untouched. A row filled meanwhile by a webhook or a reconcile keeps its value.
        """
        if not found:
            return 0
        incoming = values(
            column("id", Uuid()),
            column("attribution", String()),
            column("event_uri", String()),
            name="incoming",
        ).data([(f.appointment_id, f.attribution, f.calendly_scheduled_event_uri) for f in found])
        if provider is Provider.GHL:
            target = Appointment.ghl_calendar_id
            changes: dict[Any, Any] = {target: incoming.c.attribution}
        else:
            target = Appointment.calendly_event_type_uri
            changes = {
                target: incoming.c.attribution,
                Appointment.calendly_scheduled_event_uri: func.coalesce(
                    Appointment.calendly_scheduled_event_uri, incoming.c.event_uri
                ),
            }
        changes[Appointment.attribution_lookup_error] = None
        changes[Appointment.attribution_lookup_failed_at] = None
        statement = (
            update(Appointment)
            .where(Appointment.id == incoming.c.id, target.is_(None))
            .values(changes)
            .returning(Appointment.id)
            .execution_options(synchronize_session=False)
        )
        return len((await self.session.execute(statement)).all())

    async def clear_lookup_errors(self, workspace_id: uuid.UUID) -> int:
        """Forget the permanent lookup failures of rows still unattributed, so the next run
        asks about them again; the number of rows cleared."""
        result = await self.session.execute(
            update(Appointment)
            .where(
                Appointment.workspace_id == workspace_id,
                Appointment.attribution_lookup_error.is_not(None),
                or_(*(_unattributed(provider) for provider in Provider)),
            )
            .values(attribution_lookup_error=None, attribution_lookup_failed_at=None)
            .returning(Appointment.id)
            .execution_options(synchronize_session=False)
        )
        return len(result.all())

    async def mark_lookup_failed(
        self, appointment_id: uuid.UUID, provider: Provider, message: str, *, now: datetime
    ) -> None:
        """A permanent failure: later runs skip the row until the error is cleared.

        A row attributed meanwhile (webhook, reconcile) is left clean.
        """
        await self.session.execute(
            update(Appointment)
            .where(Appointment.id == appointment_id, _pending(provider))
            .values(attribution_lookup_error=message[:1000], attribution_lookup_failed_at=now)
            .execution_options(synchronize_session=False)
        )
