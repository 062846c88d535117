"""All SQL of the insight views. Counting and bucketing happen in PostgreSQL.

Local dates and hours come from `AT TIME ZONE` on each instant, so daylight-saving changes are
applied by the database's zone rules. Appointments are read through
`idx_appointment_workspace_window` (workspace_id, status, start_at).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, and_, cast, extract, func, select, text
from sqlalchemy.sql.expression import literal_column

from capacity_service.capacity.repository import appointment_attribution
from capacity_service.insight_views.minutes import GapBucket
from capacity_service.kit.enums import AppointmentStatus
from capacity_service.kit.repository import Repository
from capacity_service.models import Appointment

HELD_STATUSES = (AppointmentStatus.CONFIRMED, AppointmentStatus.SHOWED, AppointmentStatus.NO_SHOW)
"""Bookings that stood: a day's final bookings are these, whatever happened at the meeting."""


@dataclass(frozen=True)
class BookedCount:
    count: int
    minutes: float


@dataclass(frozen=True)
class LeadTimeHistory:
    histogram: dict[int, int]
    """Lead days (local start date minus local booking date) -> held bookings."""
    days: int
    """Distinct local days those bookings took place on."""
    without_booked_at: int
    """Held bookings left out because their booking time is unknown."""


def _local(column: Any, timezone: str) -> Any:
    return func.timezone(timezone, column)


def _minutes(start: Any, end: Any) -> Any:
    return cast(extract("epoch", end - start), Float) / 60


class InsightRepository(Repository):
    async def slots_by_day_hour(
        self,
        row_ids: Collection[uuid.UUID],
        *,
        start: dt.datetime,
        end: dt.datetime,
        timezone: str,
    ) -> dict[tuple[uuid.UUID, dt.date, int], int]:
        """Open slots starting in [start, end) per cache row, local date and local hour."""
        if not row_ids:
            return {}
        result = await self.session.execute(
            text(
                """
                SELECT c.id, (s.slot AT TIME ZONE :tz)::date AS day,
                       extract(hour FROM s.slot AT TIME ZONE :tz)::int AS hour, count(*) AS n
                FROM workspace_availability_cache AS c
                CROSS JOIN LATERAL unnest(c.slots) AS s(slot)
                WHERE c.id = ANY(:ids) AND s.slot >= :start AND s.slot < :end
                GROUP BY c.id, day, hour
                """
            ),
            {"ids": list(row_ids), "start": start, "end": end, "tz": timezone},
        )
        return {(row[0], row[1], row[2]): int(row[3]) for row in result.all()}

    async def slot_gap_buckets(
        self, row_ids: Collection[uuid.UUID], *, start: dt.datetime, end: dt.datetime
    ) -> dict[uuid.UUID, list[GapBucket]]:
        """Open slots starting in [start, end) per cache row, bucketed by seats and by the
        minutes to the row's next cached slot (which may lie after `end`)."""
        if not row_ids:
            return {}
        result = await self.session.execute(
            text(
                """
                SELECT id, gap, seats, count(*) AS n FROM (
                    SELECT c.id, u.slot, coalesce(u.seats, 1) AS seats,
                           extract(epoch FROM lead(u.slot) OVER (PARTITION BY c.id ORDER BY u.slot)
                                   - u.slot)::float8 / 60 AS gap
                    FROM workspace_availability_cache AS c
                    CROSS JOIN LATERAL unnest(c.slots, c.slot_seats) AS u(slot, seats)
                    WHERE c.id = ANY(:ids) AND u.slot >= :start AND u.slot IS NOT NULL
                ) AS s
                WHERE slot < :end
                GROUP BY id, gap, seats
                """
            ),
            {"ids": list(row_ids), "start": start, "end": end},
        )
        buckets: dict[uuid.UUID, list[GapBucket]] = {}
        for row_id, gap, seats, n in result.all():
            buckets.setdefault(row_id, []).append(
                GapBucket(None if gap is None else float(gap), int(seats), int(n))
            )
        return buckets

    async def window_slots(
        self, row_ids: Collection[uuid.UUID], *, start: dt.datetime, end: dt.datetime
    ) -> tuple[dict[uuid.UUID, list[tuple[dt.datetime, int]]], dict[uuid.UUID, dt.datetime]]:
        """Each row's open slots in [start, end) as sorted (start, seats), and its first cached
        slot at or after `end`. Only the what-if reads slots one by one."""
        if not row_ids:
            return {}, {}
        params = {"ids": list(row_ids), "start": start, "end": end}
        result = await self.session.execute(
            text(
                """
                SELECT c.id, u.slot, coalesce(u.seats, 1)
                FROM workspace_availability_cache AS c
                CROSS JOIN LATERAL unnest(c.slots, c.slot_seats) AS u(slot, seats)
                WHERE c.id = ANY(:ids) AND u.slot >= :start AND u.slot < :end
                ORDER BY c.id, u.slot
                """
            ),
            params,
        )
        slots: dict[uuid.UUID, list[tuple[dt.datetime, int]]] = {}
        for row_id, slot, seats in result.all():
            slots.setdefault(row_id, []).append((slot, int(seats)))
        after = await self.session.execute(
            text(
                """
                SELECT c.id, min(s.slot)
                FROM workspace_availability_cache AS c
                CROSS JOIN LATERAL unnest(c.slots) AS s(slot)
                WHERE c.id = ANY(:ids) AND s.slot >= :end
                GROUP BY c.id
                """
            ),
            params,
        )
        return slots, {row[0]: row[1] for row in after.all()}

    async def booked_by_day_hour(
        self,
        workspace_id: uuid.UUID,
        *,
        start: dt.datetime,
        end: dt.datetime,
        timezone: str,
        statuses: Sequence[AppointmentStatus] = (AppointmentStatus.CONFIRMED,),
    ) -> dict[tuple[str | None, dt.date, int], BookedCount]:
        """Appointments in `statuses` starting in [start, end) per attribution (calendar id or
        event type URI, None when unknown), local date and local hour, with their minutes."""
        appointment = Appointment
        local = _local(appointment.start_at, timezone)
        key = appointment_attribution().label("attribution")
        day = func.date(local).label("day")
        hour = cast(extract("hour", local), Float).label("hour")
        result = await self.session.execute(
            select(
                key,
                day,
                hour,
                func.count(),
                func.coalesce(func.sum(_minutes(appointment.start_at, appointment.end_at)), 0.0),
            )
            .where(
                appointment.workspace_id == workspace_id,
                appointment.status.in_(statuses),
                appointment.start_at >= start,
                appointment.start_at < end,
            )
            .group_by(literal_column("attribution"), literal_column("day"), literal_column("hour"))
        )
        return {
            (row[0], row[1], int(row[2])): BookedCount(int(row[3]), float(row[4]))
            for row in result.all()
        }

    async def window_bookings(
        self, workspace_id: uuid.UUID, *, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[str | None, dt.datetime, dt.datetime]]:
        """CONFIRMED appointments overlapping [start, end) as (attribution, start, end)."""
        appointment = Appointment
        result = await self.session.execute(
            select(appointment_attribution(), appointment.start_at, appointment.end_at).where(
                appointment.workspace_id == workspace_id,
                appointment.status == AppointmentStatus.CONFIRMED,
                appointment.start_at < end,
                appointment.start_at >= start - dt.timedelta(days=1),
                appointment.end_at > start,
            )
        )
        return [(row[0], row[1], row[2]) for row in result.all()]

    async def lead_time_history(
        self,
        workspace_id: uuid.UUID,
        *,
        start: dt.datetime,
        end: dt.datetime,
        timezone: str,
    ) -> LeadTimeHistory:
        """Lead days of the held bookings that took place in [start, end)."""
        appointment = Appointment
        in_period = and_(
            appointment.workspace_id == workspace_id,
            appointment.status.in_(HELD_STATUSES),
            appointment.start_at >= start,
            appointment.start_at < end,
        )
        start_day = func.date(_local(appointment.start_at, timezone))
        lead = (start_day - func.date(_local(appointment.booked_at, timezone))).label("lead")
        rows = await self.session.execute(
            select(lead, func.count())
            .where(in_period, appointment.booked_at.is_not(None))
            .group_by(literal_column("lead"))
        )
        histogram = {int(row[0]): int(row[1]) for row in rows.all()}
        summary = (
            await self.session.execute(
                select(
                    func.count(func.distinct(start_day)).filter(appointment.booked_at.is_not(None)),
                    func.count().filter(appointment.booked_at.is_(None)),
                ).where(in_period)
            )
        ).one()
        return LeadTimeHistory(
            histogram=histogram, days=int(summary[0]), without_booked_at=int(summary[1])
        )

    async def typical_durations(
        self, workspace_id: uuid.UUID, *, start: dt.datetime, end: dt.datetime
    ) -> dict[str, float]:
        """The most common length in minutes of held bookings starting in [start, end), per
        attribution: the slot length of a source whose provider duration is not cached yet."""
        appointment = Appointment
        length = _minutes(appointment.start_at, appointment.end_at)
        key = appointment_attribution().label("attribution")
        result = await self.session.execute(
            select(key, func.mode().within_group(length))
            .where(
                appointment.workspace_id == workspace_id,
                appointment.status.in_(HELD_STATUSES),
                appointment.start_at >= start,
                appointment.start_at < end,
                appointment_attribution().is_not(None),
            )
            .group_by(literal_column("attribution"))
        )
        return {row[0]: float(row[1]) for row in result.all() if row[1] is not None}
