"""% booked of a workspace's next N days, from the availability cache and the database only.

Definitions (DESIGN.md, "The metric"): the window is [now, now + windowDays) in UTC; a source's
`available` is its cached slots starting in the window, its `booked` the CONFIRMED appointments
starting in the window attributed to its identifier; `bookedPct = 100 * booked / (booked +
available)`, null when that is 0. Combined sums the sources, an identifier configured for both
counted once. Nothing here calls a provider.

Choices the definitions leave open:
- A source is served only by its own cache row, and only if that row was written for the
  provider and identifier configured now: a changed calendar reads as never fetched until the
  refresh runs, never as the old calendar's slots. When both sources share an identifier, the
  combined figure counts it once, from DEFAULT's row.
- A source whose availability has never been fetched (for its current identifier) has an
  unknown denominator: its bookings are counted, its available is 0, and its percentage is null
  rather than a false 100%. Combined is null too while any configured source is in that state.
- An unconfigured source has null provider and identifier, zero counts, a null percentage and a
  `cacheMeta` of never fetched (stale). Combined `cacheMeta` covers the configured sources only
  (oldest `fetchedAt`, null if one was never fetched; stale if any is; the first error in source
  order, with its kind and time; the most consecutive failures; configured if any is); with no
  source configured it reads as never fetched and not configured.
- Percentages have one decimal, rounded half up.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.availability.service import is_stale as availability_is_stale
from capacity_service.capacity.repository import (
    CacheRow,
    CapacityOverviewRepository,
    CapacityRepository,
    SourceOverview,
)
from capacity_service.capacity.schemas import (
    CacheMeta,
    Capacity,
    CapacityBreakdown,
    CapacityOverview,
    DailyCapacity,
    SourceCapacity,
    WorkspaceCapacityRow,
)
from capacity_service.kit.enums import AvailabilitySource
from capacity_service.kit.time import iso_utc, iso_utc_or_none, to_utc
from capacity_service.models import Workspace
from capacity_service.workspaces.sources import SourceConfig, configured_sources

NEVER_FETCHED = CacheMeta(
    fetched_at_iso=None,
    is_stale=True,
    last_error=None,
    configured=False,
    last_success_at_iso=None,
    last_error_kind=None,
    last_error_at_iso=None,
    consecutive_failures=0,
)
CONFIGURED_NEVER_FETCHED = NEVER_FETCHED.model_copy(update={"configured": True})


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime
    days: int


def capacity_window(now: dt.datetime, window_days: int) -> Window:
    start = to_utc(now)
    return Window(start=start, end=start + dt.timedelta(days=window_days), days=window_days)


def booked_pct(booked: int, available: int) -> float | None:
    total = booked + available
    if total == 0:
        return None
    exact = Decimal(100 * booked) / Decimal(total)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def zone_name(workspace: Workspace) -> str:
    """The workspace's IANA zone, UTC if it is unknown to this machine."""
    try:
        ZoneInfo(workspace.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return workspace.timezone


def local_days(window: Window, zone: str) -> list[dt.date]:
    """Every local calendar date that some instant of [start, end) falls on, in order."""
    tz = ZoneInfo(zone)
    first = window.start.astimezone(tz).date()
    last = (window.end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def is_stale(row: CacheRow, window: Window, now: dt.datetime, threshold: dt.timedelta) -> bool:
    return availability_is_stale(
        row.fetched_at,
        row.range_end_at,
        now=now,
        window_end=window.end,
        staleness_threshold=threshold,
    )


def serving_row(rows: Iterable[CacheRow], config: SourceConfig) -> CacheRow | None:
    """The source's own row, if it was written for the provider and identifier configured now."""
    return next(
        (
            row
            for row in rows
            if row.source == config.source
            and row.provider == config.provider
            and row.identifier == config.identifier
        ),
        None,
    )


def cache_meta(
    *,
    configured: bool,
    fetched_at: dt.datetime | None,
    is_stale: bool,
    last_error: str | None,
    last_error_kind: str | None,
    last_error_at: dt.datetime | None,
    consecutive_failures: int,
) -> CacheMeta:
    fetched_at_iso = iso_utc_or_none(fetched_at)
    return CacheMeta(
        fetched_at_iso=fetched_at_iso,
        is_stale=is_stale,
        last_error=last_error,
        configured=configured,
        # The cache keeps fetched_at from the last success: a failure never moves it.
        last_success_at_iso=fetched_at_iso,
        last_error_kind=last_error_kind,
        last_error_at_iso=iso_utc_or_none(last_error_at),
        consecutive_failures=consecutive_failures,
    )


def combine_meta(metas: list[CacheMeta]) -> CacheMeta:
    if not metas:
        return NEVER_FETCHED
    fetched = [m.fetched_at_iso for m in metas]
    # ISO UTC strings of one format sort as the instants they name.
    oldest = None if None in fetched else min(f for f in fetched if f is not None)
    failing = next((m for m in metas if m.last_error), None)
    return CacheMeta(
        fetched_at_iso=oldest,
        is_stale=any(m.is_stale for m in metas),
        last_error=failing.last_error if failing else None,
        configured=any(m.configured for m in metas),
        last_success_at_iso=oldest,
        last_error_kind=failing.last_error_kind if failing else None,
        last_error_at_iso=failing.last_error_at_iso if failing else None,
        consecutive_failures=max(m.consecutive_failures for m in metas),
    )


@dataclass(frozen=True)
class Served:
    """A configured source and the cache row written for its current provider and identifier."""

    config: SourceConfig
    row: CacheRow | None

    @property
    def source(self) -> AvailabilitySource:
        return self.config.source


def served_sources(
    workspace: Workspace, rows: Iterable[CacheRow]
) -> dict[AvailabilitySource, Served]:
    rows = list(rows)
    return {
        source: Served(config, serving_row(rows, config))
        for source, config in configured_sources(workspace).items()
        if config is not None
    }


def distinct_identifiers(served: Mapping[AvailabilitySource, Served]) -> dict[str, Served]:
    """One entry per identifier in source order: a shared identifier counts once, from the
    first source's row (DEFAULT's)."""
    distinct: dict[str, Served] = {}
    for source in AvailabilitySource:
        if source in served:
            distinct.setdefault(served[source].config.identifier, served[source])
    return distinct


def fetched(entry: Served) -> bool:
    """Whether the source's open slots are known; until then a percentage would be a false 100%."""
    return entry.row is not None and entry.row.fetched_at is not None


K = TypeVar("K")


def _sum_days(counts: Mapping[tuple[K, dt.date], int], key: K) -> int:
    return sum(n for (k, _), n in counts.items() if k == key)


async def compute_capacity(
    session: AsyncSession,
    workspace: Workspace,
    *,
    window_days: int,
    now: dt.datetime,
    staleness_threshold: dt.timedelta,
) -> Capacity:
    window = capacity_window(now, window_days)
    now = window.start
    zone = zone_name(workspace)
    repository = CapacityRepository(session)

    figures = await repository.figures(
        workspace.id, start=window.start, end=window.end, timezone=zone
    )
    served = served_sources(workspace, figures.cache_rows)
    # Only served rows count: a row left from a previous calendar is never read.
    served_ids = {s.row.id for s in served.values() if s.row is not None}
    slots = {key: n for key, n in figures.slots.items() if key[0] in served_ids}
    booked = figures.booked

    def source_figures(source: AvailabilitySource) -> SourceCapacity:
        entry = served.get(source)
        if entry is None:
            return SourceCapacity(
                provider=None,
                identifier=None,
                booked_pct=None,
                booked_slots=0,
                available_slots=0,
                total_slots=0,
                cache_meta=NEVER_FETCHED,
            )
        n_booked = _sum_days(booked, entry.config.identifier)
        n_available = 0 if entry.row is None else _sum_days(slots, entry.row.id)
        meta = (
            CONFIGURED_NEVER_FETCHED
            if entry.row is None
            else cache_meta(
                configured=True,
                fetched_at=entry.row.fetched_at,
                is_stale=is_stale(entry.row, window, now, staleness_threshold),
                last_error=entry.row.last_error,
                last_error_kind=entry.row.last_error_kind,
                last_error_at=entry.row.last_error_at,
                consecutive_failures=entry.row.consecutive_failures,
            )
        )
        return SourceCapacity(
            provider=entry.config.provider,
            identifier=entry.config.identifier,
            booked_pct=booked_pct(n_booked, n_available) if fetched(entry) else None,
            booked_slots=n_booked,
            available_slots=n_available,
            total_slots=n_booked + n_available,
            cache_meta=meta,
        )

    breakdown = CapacityBreakdown(
        default=source_figures(AvailabilitySource.DEFAULT),
        direct_book=source_figures(AvailabilitySource.DIRECT_BOOK),
    )

    distinct = distinct_identifiers(served)
    row_ids = [s.row.id for s in distinct.values() if s.row is not None]

    daily = [
        DailyCapacity(
            date=day,
            booked_slots=sum(booked.get((identifier, day), 0) for identifier in distinct),
            available_slots=sum(slots.get((row_id, day), 0) for row_id in row_ids),
        )
        for day in local_days(window, zone)
    ]
    n_booked = sum(d.booked_slots for d in daily)
    n_available = sum(d.available_slots for d in daily)
    unattributed = sum(n for (key, _), n in booked.items() if key not in distinct)
    by_source = {
        AvailabilitySource.DEFAULT: breakdown.default,
        AvailabilitySource.DIRECT_BOOK: breakdown.direct_book,
    }

    return Capacity(
        booked_pct=(
            booked_pct(n_booked, n_available)
            if all(fetched(entry) for entry in served.values())
            else None
        ),
        booked_slots=n_booked,
        available_slots=n_available,
        total_slots=n_booked + n_available,
        breakdown=breakdown,
        unattributed_booked_slots=unattributed,
        cache_meta=combine_meta([by_source[s].cache_meta for s in served]),
        window_start_iso=iso_utc(window.start),
        window_end_iso=iso_utc(window.end),
        window_days=window.days,
        timezone=zone,
        daily=daily,
    )


def _overview_source(source: SourceOverview) -> SourceCapacity:
    if source.identifier is None:
        meta = NEVER_FETCHED
    else:
        meta = cache_meta(
            configured=True,
            fetched_at=source.fetched_at,
            is_stale=source.is_stale,
            last_error=source.last_error,
            last_error_kind=source.last_error_kind,
            last_error_at=source.last_error_at,
            consecutive_failures=source.consecutive_failures,
        )
    fetched = source.identifier is not None and source.fetched_at is not None
    return SourceCapacity(
        provider=source.provider,
        identifier=source.identifier,
        booked_pct=booked_pct(source.booked, source.available) if fetched else None,
        booked_slots=source.booked,
        available_slots=source.available,
        total_slots=source.booked + source.available,
        cache_meta=meta,
    )


async def capacity_overview(
    session: AsyncSession,
    *,
    window_days: int,
    now: dt.datetime,
    staleness_threshold: dt.timedelta,
    threshold_pct: float,
    constrained_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> CapacityOverview:
    """Every workspace's % booked, most constrained first: the operator's list of clients that
    need more capacity. Same definitions as `compute_capacity`, computed for all workspaces in
    one statement."""
    window = capacity_window(now, window_days)
    rows, total, constrained = await CapacityOverviewRepository(session).overview(
        start=window.start,
        end=window.end,
        stale_before=window.start - staleness_threshold,
        threshold_pct=threshold_pct,
        constrained_only=constrained_only,
        limit=limit,
        offset=offset,
    )
    items = [
        WorkspaceCapacityRow(
            workspace_id=row.workspace_id,
            workspace_name=row.name,
            booked_pct=row.booked_pct,
            booked_slots=row.booked,
            available_slots=row.available,
            total_slots=row.booked + row.available,
            constrained=row.booked_pct is not None and row.booked_pct >= threshold_pct,
            unattributed_booked_slots=row.unattributed,
            cache_meta=cache_meta(
                configured=row.configured,
                fetched_at=row.fetched_at,
                is_stale=row.is_stale,
                last_error=row.last_error,
                last_error_kind=row.last_error_kind,
                last_error_at=row.last_error_at,
                consecutive_failures=row.consecutive_failures,
            ),
            breakdown=CapacityBreakdown(
                default=_overview_source(row.sources[AvailabilitySource.DEFAULT]),
                direct_book=_overview_source(row.sources[AvailabilitySource.DIRECT_BOOK]),
            ),
        )
        for row in rows
    ]
    return CapacityOverview(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        window_start_iso=iso_utc(window.start),
        window_end_iso=iso_utc(window.end),
        window_days=window.days,
        threshold_pct=threshold_pct,
        constrained_count=constrained,
    )
