"""Lead and appointment counts of a workspace, optionally narrowed to one campaign's leads."""

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import TextClause, text

from capacity_service.kit.repository import Repository


@dataclass(frozen=True)
class AppointmentCounts:
    booked: int
    canceled: int
    rescheduled: int
    showed: int
    no_show: int
    upcoming_confirmed: int


def _counts_sql(*, campaign: bool) -> TextClause:
    lead_scope = "AND l.campaign_id = :campaign_id" if campaign else ""
    appointment_join = (
        "JOIN lead AS al ON al.id = a.lead_id AND al.campaign_id = :campaign_id" if campaign else ""
    )
    return text(
        f"""
        SELECT l.total, l.new, a.*
        FROM (
            SELECT count(*) AS total,
                   count(*) FILTER (WHERE l.created_at >= :period_start
                                      AND l.created_at < :now) AS new
            FROM lead AS l
            WHERE l.workspace_id = :workspace_id {lead_scope}
        ) AS l,
        (
            SELECT count(*) FILTER (WHERE coalesce(a.booked_at, a.created_at) >= :period_start
                                      AND coalesce(a.booked_at, a.created_at) < :now) AS booked,
                   count(*) FILTER (WHERE a.start_at >= :period_start AND a.start_at < :now
                                      AND a.status = 'CANCELED') AS canceled,
                   count(*) FILTER (WHERE a.start_at >= :period_start AND a.start_at < :now
                                      AND a.status = 'RESCHEDULED') AS rescheduled,
                   count(*) FILTER (WHERE a.start_at >= :period_start AND a.start_at < :now
                                      AND a.status = 'SHOWED') AS showed,
                   count(*) FILTER (WHERE a.start_at >= :period_start AND a.start_at < :now
                                      AND a.status = 'NO_SHOW') AS no_show,
                   count(*) FILTER (WHERE a.status = 'CONFIRMED' AND a.start_at >= :now
                                      AND a.start_at < :window_end) AS upcoming_confirmed
            FROM appointment AS a {appointment_join}
            WHERE a.workspace_id = :workspace_id
        ) AS a
        """
    )


# Both counts in one round trip, the statements built once (one for each scope).
_WORKSPACE_COUNTS = _counts_sql(campaign=False)
_CAMPAIGN_COUNTS = _counts_sql(campaign=True)


class AnalyticsRepository(Repository):
    async def counts(
        self,
        workspace_id: uuid.UUID,
        campaign_id: uuid.UUID | None,
        *,
        period_start: dt.datetime,
        now: dt.datetime,
        window_end: dt.datetime,
    ) -> tuple[int, int, AppointmentCounts]:
        """(all leads, leads created in [period_start, now), the appointment counts)."""
        params: dict[str, object] = {
            "workspace_id": workspace_id,
            "period_start": period_start,
            "now": now,
            "window_end": window_end,
        }
        if campaign_id is not None:
            params["campaign_id"] = campaign_id
        stmt = _WORKSPACE_COUNTS if campaign_id is None else _CAMPAIGN_COUNTS
        row = (await self.session.execute(stmt, params)).one()
        return (
            int(row.total),
            int(row.new),
            AppointmentCounts(
                booked=int(row.booked),
                canceled=int(row.canceled),
                rescheduled=int(row.rescheduled),
                showed=int(row.showed),
                no_show=int(row.no_show),
                upcoming_confirmed=int(row.upcoming_confirmed),
            ),
        )
