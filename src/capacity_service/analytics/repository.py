"""Lead and appointment counts of a workspace, optionally narrowed to one campaign's leads."""

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select

from capacity_service.kit.enums import AppointmentStatus
from capacity_service.kit.repository import Repository
from capacity_service.models import Appointment, Lead


@dataclass(frozen=True)
class AppointmentCounts:
    booked: int
    canceled: int
    rescheduled: int
    showed: int
    no_show: int
    upcoming_confirmed: int


class AnalyticsRepository(Repository):
    async def lead_counts(
        self,
        workspace_id: uuid.UUID,
        campaign_id: uuid.UUID | None,
        *,
        period_start: dt.datetime,
        period_end: dt.datetime,
    ) -> tuple[int, int]:
        """(all leads, leads created in [period_start, period_end))."""
        new = and_(Lead.created_at >= period_start, Lead.created_at < period_end)
        stmt = select(func.count(), func.count().filter(new)).where(
            Lead.workspace_id == workspace_id
        )
        if campaign_id is not None:
            stmt = stmt.where(Lead.campaign_id == campaign_id)
        row = (await self.session.execute(stmt)).one()
        return int(row[0]), int(row[1])

    async def appointment_counts(
        self,
        workspace_id: uuid.UUID,
        campaign_id: uuid.UUID | None,
        *,
        period_start: dt.datetime,
        now: dt.datetime,
        window_end: dt.datetime,
    ) -> AppointmentCounts:
        a = Appointment
        booked_at = func.coalesce(a.booked_at, a.created_at)
        in_period = and_(a.start_at >= period_start, a.start_at < now)

        def started_in_period(status: AppointmentStatus) -> ColumnElement[bool]:
            return and_(in_period, a.status == status)

        stmt = select(
            func.count().filter(and_(booked_at >= period_start, booked_at < now)),
            func.count().filter(started_in_period(AppointmentStatus.CANCELED)),
            func.count().filter(started_in_period(AppointmentStatus.RESCHEDULED)),
            func.count().filter(started_in_period(AppointmentStatus.SHOWED)),
            func.count().filter(started_in_period(AppointmentStatus.NO_SHOW)),
            func.count().filter(
                and_(
                    a.status == AppointmentStatus.CONFIRMED,
                    a.start_at >= now,
                    a.start_at < window_end,
                )
            ),
        ).where(a.workspace_id == workspace_id)
        if campaign_id is not None:
            stmt = stmt.join(Lead, Lead.id == a.lead_id).where(Lead.campaign_id == campaign_id)
        row = (await self.session.execute(stmt)).one()
        return AppointmentCounts(*(int(n) for n in row))
