"""The counts behind % booked, all done by PostgreSQL.

Appointments are counted through `idx_appointment_workspace_window` (workspace_id, status,
start_at): one range scan per workspace whatever its number of leads. Slots are counted from the
`timestamptz[]` column without ever shipping or parsing them in Python.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text

from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.repository import Repository
from capacity_service.models import Appointment, WorkspaceAvailabilityCache


@dataclass(frozen=True)
class CacheRow:
    """A cache row without its slots."""

    id: uuid.UUID
    source: AvailabilitySource
    provider: Provider | None
    identifier: str | None
    slot_duration_minutes: int | None
    fetched_at: dt.datetime | None
    range_end_at: dt.datetime | None
    last_error: str | None
    last_error_kind: str | None
    last_error_at: dt.datetime | None
    consecutive_failures: int


def appointment_attribution() -> Any:
    """The HighLevel calendar id or the Calendly event type URI an appointment counts against
    (NULL when unknown)."""
    return func.coalesce(Appointment.ghl_calendar_id, Appointment.calendly_event_type_uri)


def _local_day(column: Any, timezone: str) -> Any:
    return func.date(func.timezone(timezone, column))


@dataclass(frozen=True)
class CapacityFigures:
    cache_rows: list[CacheRow]
    # Open slots per cache row and local day; CONFIRMED bookings per attribution and local day.
    slots: dict[tuple[uuid.UUID, dt.date], int]
    booked: dict[tuple[str | None, dt.date], int]


# Appointments are counted on the capacity index (workspace_id, status, start_at) with the
# attribution columns included; slots are unnested in PostgreSQL, never shipped. The cache rows
# come back as one array of records: asyncpg decodes them, the row count stays one.
_FIGURES = text(
    """
    WITH booked AS (
        SELECT coalesce(a.ghl_calendar_id, a.calendly_event_type_uri) AS attribution,
               date(timezone(:tz, a.start_at)) AS day, count(*) AS n
        FROM appointment AS a
        WHERE a.workspace_id = :workspace_id AND a.status = 'CONFIRMED'
          AND a.start_at >= :start AND a.start_at < :end
        GROUP BY 1, 2
    ),
    cache AS (
        SELECT c.id, c.source::text, c.provider::text, c.identifier, c.slot_duration_minutes,
               c.fetched_at, c.range_end_at, c.last_error, c.last_error_kind, c.last_error_at,
               c.consecutive_failures, s.days, s.counts
        FROM workspace_availability_cache AS c
        CROSS JOIN LATERAL (
            SELECT array_agg(d.day) AS days, array_agg(d.n) AS counts
            FROM (
                SELECT date(timezone(:tz, slot)) AS day, count(*) AS n
                FROM unnest(c.slots) AS slot
                WHERE slot >= :start AND slot < :end
                GROUP BY 1
            ) AS d
        ) AS s
        WHERE c.workspace_id = :workspace_id
    )
    SELECT (SELECT array_agg(attribution) FROM booked) AS attributions,
           (SELECT array_agg(day) FROM booked) AS days,
           (SELECT array_agg(n) FROM booked) AS counts,
           (SELECT array_agg(cache) FROM cache) AS cache_rows
    """
)


class CapacityRepository(Repository):
    async def cache_rows(self, workspace_id: uuid.UUID) -> list[CacheRow]:
        cache = WorkspaceAvailabilityCache
        result = await self.session.execute(
            select(
                cache.id,
                cache.source,
                cache.provider,
                cache.identifier,
                cache.slot_duration_minutes,
                cache.fetched_at,
                cache.range_end_at,
                cache.last_error,
                cache.last_error_kind,
                cache.last_error_at,
                cache.consecutive_failures,
            ).where(cache.workspace_id == workspace_id)
        )
        return [CacheRow(**row._asdict()) for row in result.all()]

    async def figures(
        self,
        workspace_id: uuid.UUID,
        *,
        start: dt.datetime,
        end: dt.datetime,
        timezone: str,
    ) -> CapacityFigures:
        """The workspace's cache rows, their open slots and its CONFIRMED appointments in
        [start, end) per local day: everything % booked needs, in one round trip."""
        row = (
            await self.session.execute(
                _FIGURES, {"workspace_id": workspace_id, "start": start, "end": end, "tz": timezone}
            )
        ).one()
        rows: list[CacheRow] = []
        slots: dict[tuple[uuid.UUID, dt.date], int] = {}
        for cache in row.cache_rows or []:
            (id_, source, provider, identifier, duration, fetched_at, range_end_at) = cache[:7]
            (last_error, last_error_kind, last_error_at, failures, days, counts) = cache[7:]
            rows.append(
                CacheRow(
                    id=id_,
                    source=AvailabilitySource(source),
                    provider=None if provider is None else Provider(provider),
                    identifier=identifier,
                    slot_duration_minutes=duration,
                    fetched_at=fetched_at,
                    range_end_at=range_end_at,
                    last_error=last_error,
                    last_error_kind=last_error_kind,
                    last_error_at=last_error_at,
                    consecutive_failures=failures,
                )
            )
            for day, n in zip(days or [], counts or [], strict=True):
                slots[(id_, day)] = int(n)
        booked = {
            (key, day): int(n)
            for key, day, n in zip(
                row.attributions or [], row.days or [], row.counts or [], strict=True
            )
        }
        return CapacityFigures(cache_rows=rows, slots=slots, booked=booked)


@dataclass(frozen=True)
class SourceOverview:
    provider: Provider | None
    identifier: str | None
    booked: int
    available: int
    fetched_at: dt.datetime | None
    is_stale: bool
    last_error: str | None
    last_error_kind: str | None
    last_error_at: dt.datetime | None
    consecutive_failures: int


@dataclass(frozen=True)
class WorkspaceOverview:
    workspace_id: uuid.UUID
    name: str
    booked_pct: float | None
    booked: int
    available: int
    unattributed: int
    configured: bool
    fetched_at: dt.datetime | None
    is_stale: bool
    last_error: str | None
    last_error_kind: str | None
    last_error_at: dt.datetime | None
    consecutive_failures: int
    sources: dict[AvailabilitySource, SourceOverview]


# Source resolution mirrors workspaces.sources.configured_sources (non-strict): the chosen
# provider's identifier, else HighLevel's, else Calendly's; a test holds the two together.
# Slots in [start, end) are counted by binary search: width_bucket(x, slots) is the number of
# slots <= x in the sorted array the refresh stores (timestamptz has microsecond resolution).
_OVERVIEW_SQL = """
WITH cfg AS (
    SELECT w.id AS workspace_id, v.source, v.chosen, v.ghl, v.calendly
    FROM workspace AS w
    CROSS JOIN LATERAL (VALUES
        ('DEFAULT', w.default_source_provider::text,
         nullif(w.ghl_default_calendar_id, ''), nullif(w.calendly_default_event_type_uri, '')),
        ('DIRECT_BOOK', w.direct_book_source_provider::text,
         nullif(w.ghl_direct_book_calendar_id, ''),
         nullif(w.calendly_direct_book_event_type_uri, ''))
    ) AS v(source, chosen, ghl, calendly)
),
src AS (
    SELECT workspace_id, source, identifier,
           CASE WHEN identifier IS NULL THEN NULL
                WHEN chosen IS NOT NULL THEN chosen
                WHEN ghl IS NOT NULL THEN 'ghl'
                ELSE 'calendly' END AS provider
    FROM (
        SELECT cfg.*,
               CASE chosen WHEN 'ghl' THEN ghl WHEN 'calendly' THEN calendly
                           ELSE coalesce(ghl, calendly) END AS identifier
        FROM cfg
    ) AS resolved
),
served AS (
    SELECT src.*, c.fetched_at, c.range_end_at, c.last_error, c.last_error_kind,
           c.last_error_at, coalesce(c.consecutive_failures, 0) AS consecutive_failures,
           CASE WHEN c.id IS NULL THEN 0 ELSE
               width_bucket(CAST(:end AS timestamptz) - interval '1 microsecond', c.slots)
               - width_bucket(CAST(:start AS timestamptz) - interval '1 microsecond', c.slots)
           END AS available
    FROM src
    LEFT JOIN workspace_availability_cache AS c
      ON c.workspace_id = src.workspace_id
     AND c.source::text = src.source
     AND c.provider::text = src.provider
     AND c.identifier = src.identifier
),
booked AS (
    SELECT w.id AS workspace_id, b.attribution, b.n
    FROM workspace AS w
    CROSS JOIN LATERAL (
        SELECT coalesce(a.ghl_calendar_id, a.calendly_event_type_uri) AS attribution,
               count(*) AS n
        FROM appointment AS a
        WHERE a.workspace_id = w.id AND a.status = 'CONFIRMED'
          AND a.start_at >= :start AND a.start_at < :end
        GROUP BY 1
    ) AS b
),
per_source AS (
    SELECT s.*, coalesce(b.n, 0) AS booked,
           (s.fetched_at IS NULL OR s.fetched_at < :stale_before
            OR s.range_end_at IS NULL OR s.range_end_at < :end) AS is_stale
    FROM served AS s
    LEFT JOIN booked AS b
      ON b.workspace_id = s.workspace_id AND b.attribution = s.identifier
),
combined AS (
    SELECT workspace_id, sum(booked) AS booked, sum(available) AS available
    FROM (
        SELECT DISTINCT ON (workspace_id, identifier) *
        FROM per_source WHERE identifier IS NOT NULL
        ORDER BY workspace_id, identifier, source
    ) AS once
    GROUP BY workspace_id
),
meta AS (
    SELECT workspace_id,
           bool_and(fetched_at IS NOT NULL) AS all_fetched,
           CASE WHEN bool_and(fetched_at IS NOT NULL) THEN min(fetched_at) END AS fetched_at,
           bool_or(is_stale) AS is_stale,
           (array_agg(last_error ORDER BY source)
               FILTER (WHERE last_error IS NOT NULL))[1] AS last_error,
           (array_agg(last_error_kind ORDER BY source)
               FILTER (WHERE last_error IS NOT NULL))[1] AS last_error_kind,
           (array_agg(last_error_at ORDER BY source)
               FILTER (WHERE last_error IS NOT NULL))[1] AS last_error_at,
           max(consecutive_failures) AS consecutive_failures
    FROM per_source WHERE identifier IS NOT NULL
    GROUP BY workspace_id
),
unattributed AS (
    SELECT b.workspace_id, sum(b.n) AS n
    FROM booked AS b
    WHERE NOT EXISTS (
        SELECT 1 FROM src
        WHERE src.workspace_id = b.workspace_id AND src.identifier = b.attribution
    )
    GROUP BY b.workspace_id
),
overview AS (
    SELECT w.id, w.name,
           coalesce(c.booked, 0) AS booked,
           coalesce(c.available, 0) AS available,
           CASE WHEN m.all_fetched AND c.booked + c.available > 0
                THEN round(100.0 * c.booked / (c.booked + c.available), 1) END AS booked_pct,
           m.fetched_at, coalesce(m.is_stale, true) AS is_stale, m.last_error,
           m.last_error_kind, m.last_error_at,
           coalesce(m.consecutive_failures, 0) AS consecutive_failures,
           m.workspace_id IS NOT NULL AS configured,
           coalesce(u.n, 0) AS unattributed,
           d.provider AS d_provider, d.identifier AS d_identifier, d.booked AS d_booked,
           d.available AS d_available, d.fetched_at AS d_fetched_at, d.is_stale AS d_is_stale,
           d.last_error AS d_last_error, d.last_error_kind AS d_last_error_kind,
           d.last_error_at AS d_last_error_at, d.consecutive_failures AS d_consecutive_failures,
           x.provider AS x_provider, x.identifier AS x_identifier, x.booked AS x_booked,
           x.available AS x_available, x.fetched_at AS x_fetched_at, x.is_stale AS x_is_stale,
           x.last_error AS x_last_error, x.last_error_kind AS x_last_error_kind,
           x.last_error_at AS x_last_error_at, x.consecutive_failures AS x_consecutive_failures
    FROM workspace AS w
    JOIN per_source AS d ON d.workspace_id = w.id AND d.source = 'DEFAULT'
    JOIN per_source AS x ON x.workspace_id = w.id AND x.source = 'DIRECT_BOOK'
    LEFT JOIN combined AS c ON c.workspace_id = w.id
    LEFT JOIN meta AS m ON m.workspace_id = w.id
    LEFT JOIN unattributed AS u ON u.workspace_id = w.id
),
listed AS (
    SELECT * FROM overview WHERE NOT :constrained_only OR booked_pct >= :threshold
),
totals AS (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE booked_pct >= :threshold) AS constrained
    FROM listed
)
SELECT totals.total, totals.constrained, page.*
FROM totals
LEFT JOIN LATERAL (
    SELECT * FROM listed
    ORDER BY booked_pct DESC NULLS LAST, name, id
    LIMIT :limit OFFSET :offset
) AS page ON true
"""


def _source_overview(row: Any, prefix: str) -> SourceOverview:
    provider = getattr(row, f"{prefix}_provider")
    return SourceOverview(
        provider=Provider(provider) if provider else None,
        identifier=getattr(row, f"{prefix}_identifier"),
        booked=int(getattr(row, f"{prefix}_booked")),
        available=int(getattr(row, f"{prefix}_available")),
        fetched_at=getattr(row, f"{prefix}_fetched_at"),
        is_stale=bool(getattr(row, f"{prefix}_is_stale")),
        last_error=getattr(row, f"{prefix}_last_error"),
        last_error_kind=getattr(row, f"{prefix}_last_error_kind"),
        last_error_at=getattr(row, f"{prefix}_last_error_at"),
        consecutive_failures=int(getattr(row, f"{prefix}_consecutive_failures")),
    )


class CapacityOverviewRepository(Repository):
    async def overview(
        self,
        *,
        start: dt.datetime,
        end: dt.datetime,
        stale_before: dt.datetime,
        threshold_pct: float,
        constrained_only: bool,
        limit: int,
        offset: int,
    ) -> tuple[list[WorkspaceOverview], int, int]:
        """One page of every workspace's % booked, most booked first; (rows, total, constrained).

        One statement for all workspaces: appointments are counted by a lateral range scan per
        workspace on the capacity index, so the cost follows the appointments in the window.

        Planned for its own window every time: from its sixth run on a connection PostgreSQL
        may switch the prepared statement to a generic plan, which for this statement was
        measured ten times slower (bench/capacity_index.py, docs/benchmarks.md).
        """
        await self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        result = await self.session.execute(
            text(_OVERVIEW_SQL),
            {
                "start": start,
                "end": end,
                "stale_before": stale_before,
                "threshold": Decimal(str(threshold_pct)),
                "constrained_only": constrained_only,
                "limit": limit,
                "offset": offset,
            },
        )
        rows = result.all()
        total, constrained = int(rows[0].total), int(rows[0].constrained)
        items = [
            WorkspaceOverview(
                workspace_id=row.id,
                name=row.name,
                booked_pct=None if row.booked_pct is None else float(row.booked_pct),
                booked=int(row.booked),
                available=int(row.available),
                unattributed=int(row.unattributed),
                configured=bool(row.configured),
                fetched_at=row.fetched_at,
                is_stale=bool(row.is_stale),
                last_error=row.last_error,
                last_error_kind=row.last_error_kind,
                last_error_at=row.last_error_at,
                consecutive_failures=int(row.consecutive_failures),
                sources={
                    AvailabilitySource.DEFAULT: _source_overview(row, "d"),
                    AvailabilitySource.DIRECT_BOOK: _source_overview(row, "x"),
                },
            )
            for row in rows
            if row.id is not None
        ]
        return items, total, constrained
