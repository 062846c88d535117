"""The counts behind % booked, all done by PostgreSQL.

Appointments are counted through `idx_appointment_workspace_window` (workspace_id, status,
start_at): one range scan per workspace whatever its number of leads. Slots are counted from the
`timestamptz[]` column without ever shipping or parsing them in Python.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text

from capacity_service.kit.enums import AppointmentStatus, AvailabilitySource, Provider
from capacity_service.kit.repository import Repository
from capacity_service.models import Appointment, WorkspaceAvailabilityCache


@dataclass(frozen=True)
class CacheRow:
    """A cache row without its slots."""

    id: uuid.UUID
    source: AvailabilitySource
    provider: Provider | None
    identifier: str | None
    fetched_at: dt.datetime | None
    range_end_at: dt.datetime | None
    last_error: str | None


def _local_day(column: Any, timezone: str) -> Any:
    return func.date(func.timezone(timezone, column))


class CapacityRepository(Repository):
    async def cache_rows(self, workspace_id: uuid.UUID) -> list[CacheRow]:
        cache = WorkspaceAvailabilityCache
        result = await self.session.execute(
            select(
                cache.id,
                cache.source,
                cache.provider,
                cache.identifier,
                cache.fetched_at,
                cache.range_end_at,
                cache.last_error,
            ).where(cache.workspace_id == workspace_id)
        )
        return [CacheRow(*row) for row in result.all()]

    async def slots_by_day(
        self,
        cache_ids: Sequence[uuid.UUID],
        *,
        start: dt.datetime,
        end: dt.datetime,
        timezone: str,
    ) -> dict[tuple[uuid.UUID, dt.date], int]:
        """Open slots starting in [start, end) per cache row and local calendar day."""
        if not cache_ids:
            return {}
        result = await self.session.execute(
            text(
                """
                SELECT c.id, (slot AT TIME ZONE :tz)::date AS day, count(*) AS n
                FROM workspace_availability_cache AS c
                CROSS JOIN LATERAL unnest(c.slots) AS slot
                WHERE c.id = ANY(:ids) AND slot >= :start AND slot < :end
                GROUP BY c.id, day
                """
            ),
            {"ids": list(cache_ids), "start": start, "end": end, "tz": timezone},
        )
        return {(row[0], row[1]): int(row[2]) for row in result.all()}

    async def confirmed_by_attribution_and_day(
        self,
        workspace_id: uuid.UUID,
        *,
        start: dt.datetime,
        end: dt.datetime,
        timezone: str,
    ) -> dict[tuple[str | None, dt.date], int]:
        """CONFIRMED appointments starting in [start, end) per attribution and local day.

        The attribution is the HighLevel calendar id or the Calendly event type URI (NULL when
        unknown).
        """
        appointment = Appointment
        key = func.coalesce(appointment.ghl_calendar_id, appointment.calendly_event_type_uri).label(
            "attribution"
        )
        day = _local_day(appointment.start_at, timezone).label("day")
        result = await self.session.execute(
            select(key, day, func.count())
            .where(
                appointment.workspace_id == workspace_id,
                appointment.status == AppointmentStatus.CONFIRMED,
                appointment.start_at >= start,
                appointment.start_at < end,
            )
            .group_by(text("attribution"), text("day"))
        )
        return {(row[0], row[1]): int(row[2]) for row in result.all()}
