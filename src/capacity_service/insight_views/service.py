"""The insight views of a workspace's window, from the availability cache and the database.

They share the metric's definitions (capacity/service.py): the window, the serving cache row of
each configured source, CONFIRMED bookings attributed to a source's identifier, an identifier
configured for both sources counted once. Nothing here calls a provider.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.capacity.repository import CapacityRepository
from capacity_service.capacity.service import (
    Served,
    Window,
    booked_pct,
    capacity_window,
    compute_capacity,
    distinct_identifiers,
    fetched,
    local_days,
    served_sources,
    zone_name,
)
from capacity_service.exceptions import UnprocessableEntity
from capacity_service.insight_views import heatmap, pacing
from capacity_service.insight_views.minutes import (
    DurationSource,
    GapBucket,
    gap_buckets,
    open_minutes,
    resolve_duration,
)
from capacity_service.insight_views.repository import (
    HELD_STATUSES,
    BookedCount,
    InsightRepository,
)
from capacity_service.insight_views.schemas import (
    CapacityForecast,
    CapacityHeatmap,
    CapacityMinutes,
    ForecastConfidence,
    ForecastDay,
    HeatmapCell,
    HistoryCell,
    HistoryHeatmap,
    LeadTimePoint,
    MinutesBreakdown,
    SourceMinutes,
    WhatIfChangeOutcome,
    WhatIfFigures,
    WhatIfRequest,
    WhatIfResult,
    WhatIfSource,
    WindowHeatmap,
)
from capacity_service.insight_views.whatif import ChangeKind, HoursChange, apply_change
from capacity_service.kit.enums import AvailabilitySource
from capacity_service.kit.time import iso_utc
from capacity_service.models import Workspace

DURATION_LOOKBACK = dt.timedelta(days=90)
"""How far back bookings are read to guess a slot length the provider has not given yet."""


def percent(part: float, whole: float) -> float | None:
    """100 * part / whole with one decimal, half up, like the slot-count figure."""
    if whole <= 0:
        return None
    exact = Decimal(100) * Decimal(part) / Decimal(whole)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _one_decimal(value: float) -> float:
    return float(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


async def _served(session: AsyncSession, workspace: Workspace) -> dict[AvailabilitySource, Served]:
    return served_sources(workspace, await CapacityRepository(session).cache_rows(workspace.id))


def _row_ids(entries: Iterable[Served]) -> list[uuid.UUID]:
    return [e.row.id for e in entries if e.row is not None]


# ---- forecast ------------------------------------------------------------------------------


async def capacity_forecast(
    session: AsyncSession,
    workspace: Workspace,
    *,
    window_days: int,
    history_days: int,
    now: dt.datetime,
    staleness_threshold: dt.timedelta,
) -> CapacityForecast:
    capacity = await compute_capacity(
        session,
        workspace,
        window_days=window_days,
        now=now,
        staleness_threshold=staleness_threshold,
    )
    window = capacity_window(now, window_days)
    zone = capacity.timezone
    history = await InsightRepository(session).lead_time_history(
        workspace.id,
        start=window.start - dt.timedelta(days=history_days),
        end=window.start,
        timezone=zone,
    )
    curve = pacing.lead_time_curve(history.histogram, horizon=window_days, days=history.days)
    today = window.start.astimezone(ZoneInfo(zone)).date()
    result = pacing.project_window(
        [
            pacing.DayOnBooks(d.date, (d.date - today).days, d.booked_slots, d.available_slots)
            for d in capacity.daily
        ],
        curve,
    )
    level, notes = pacing.confidence(curve, history_days=history_days, horizon=window_days)
    known = capacity.booked_pct is not None
    if not known and capacity.booked_slots:
        notes.append(
            "A source's availability has never been fetched: percentages and full days are "
            "unknown until the refresh runs."
        )
    if history.without_booked_at:
        notes.append(
            f"{history.without_booked_at} held bookings without a booking time were left out."
        )
    return CapacityForecast(
        window_start_iso=capacity.window_start_iso,
        window_end_iso=capacity.window_end_iso,
        window_days=window_days,
        timezone=zone,
        history_days=history_days,
        booked_pct=capacity.booked_pct,
        projected_booked_pct=percent(result.projected_booked, result.capacity) if known else None,
        booked_slots=capacity.booked_slots,
        projected_booked_slots=_one_decimal(result.projected_booked),
        total_slots=capacity.total_slots,
        first_full_date=result.first_full_date if known else None,
        confidence=ForecastConfidence(
            level=level,
            history_bookings=curve.bookings,
            history_days=curve.days,
            bookings_without_booked_at=history.without_booked_at,
            notes=notes,
        ),
        curve=[
            LeadTimePoint(days_before=n, share=round(share, 4))
            for n, share in enumerate(curve.shares)
        ],
        days=[
            ForecastDay(
                date=p.date,
                days_ahead=p.days_ahead,
                booked_slots=p.booked,
                available_slots=p.available,
                curve_share=round(p.share, 4),
                projected_booked_slots=_one_decimal(p.projected_booked),
                projected_booked_pct=percent(p.projected_booked, p.capacity) if known else None,
                projected_full=p.projected_full and known,
            )
            for p in result.days
        ],
        cache_meta=capacity.cache_meta,
    )


# ---- heatmap -------------------------------------------------------------------------------

HISTORY_NOTE = (
    "Past open slots are not stored (the cache holds only what is open from now on), so the "
    "history shows when held bookings (CONFIRMED, SHOWED, NO_SHOW) took place, whatever their "
    "calendar, not a % booked."
)


async def capacity_heatmap(
    session: AsyncSession,
    workspace: Workspace,
    *,
    window_days: int,
    history_days: int,
    now: dt.datetime,
    staleness_threshold: dt.timedelta,
) -> CapacityHeatmap:
    capacity = await compute_capacity(
        session,
        workspace,
        window_days=window_days,
        now=now,
        staleness_threshold=staleness_threshold,
    )
    window = capacity_window(now, window_days)
    zone = zone_name(workspace)
    repository = InsightRepository(session)
    distinct = distinct_identifiers(await _served(session, workspace))
    known = all(fetched(e) for e in distinct.values())

    slots = await repository.slots_by_day_hour(
        _row_ids(distinct.values()), start=window.start, end=window.end, timezone=zone
    )
    booked = await repository.booked_by_day_hour(
        workspace.id, start=window.start, end=window.end, timezone=zone
    )
    available_cells = heatmap.by_cell(_fold(((d, h), n) for (_, d, h), n in slots.items()))
    booked_cells = heatmap.by_cell(
        _fold(((d, h), c.count) for (key, d, h), c in booked.items() if key in distinct)
    )

    history_start = window.start - dt.timedelta(days=history_days)
    past = await repository.booked_by_day_hour(
        workspace.id,
        start=history_start,
        end=window.start,
        timezone=zone,
        statuses=HELD_STATUSES,
    )
    past_cells = heatmap.by_cell(_fold(((d, h), c.count) for (_, d, h), c in past.items()))
    past_total = sum(past_cells.values())

    window_grid = heatmap.grid(booked_cells, available_cells)
    return CapacityHeatmap(
        window_start_iso=iso_utc(window.start),
        window_end_iso=iso_utc(window.end),
        window_days=window_days,
        timezone=zone,
        window=WindowHeatmap(
            booked_slots=sum(booked_cells.values()),
            available_slots=sum(available_cells.values()),
            cells=[
                HeatmapCell(
                    weekday=c.weekday,
                    hour=c.hour,
                    booked_slots=c.booked,
                    available_slots=c.available or 0,
                    booked_pct=booked_pct(c.booked, c.available or 0) if known else None,
                )
                for c in window_grid
            ],
        ),
        history=HistoryHeatmap(
            start_iso=iso_utc(history_start),
            end_iso=iso_utc(window.start),
            days=history_days,
            booked_slots=past_total,
            note=HISTORY_NOTE,
            cells=[
                HistoryCell(
                    weekday=c.weekday,
                    hour=c.hour,
                    booked_slots=c.booked,
                    share_pct=percent(c.booked, past_total),
                )
                for c in heatmap.grid(past_cells, None)
            ],
        ),
        cache_meta=capacity.cache_meta,
    )


def _fold(
    items: Iterable[tuple[tuple[dt.date, int], int]],
) -> dict[tuple[dt.date, int], int]:
    folded: dict[tuple[dt.date, int], int] = {}
    for key, n in items:
        folded[key] = folded.get(key, 0) + n
    return folded


# ---- minutes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SourceMinutes:
    booked_slots: int
    booked_minutes: float
    available_slots: int
    available_minutes: float | None
    duration: float | None
    duration_source: DurationSource
    max_seats: int


def _booked_totals(
    booked: Mapping[tuple[str | None, dt.date, int], BookedCount], identifier: str
) -> tuple[int, float]:
    count = sum(c.count for (key, _, _), c in booked.items() if key == identifier)
    minutes = sum(c.minutes for (key, _, _), c in booked.items() if key == identifier)
    return count, minutes


def _source_minutes(
    entry: Served,
    booked: Mapping[tuple[str | None, dt.date, int], BookedCount],
    buckets: Mapping[uuid.UUID, list[GapBucket]],
    typical: Mapping[str, float],
) -> _SourceMinutes:
    n_booked, booked_minutes = _booked_totals(booked, entry.config.identifier)
    row_buckets = buckets.get(entry.row.id, []) if entry.row is not None else []
    duration, duration_source = resolve_duration(
        entry.row.slot_duration_minutes if entry.row is not None else None,
        typical.get(entry.config.identifier),
    )
    n_available = sum(b.count for b in row_buckets)
    if not fetched(entry):
        available_minutes: float | None = None
    elif duration is None:
        available_minutes = None if n_available else 0.0
    else:
        available_minutes = open_minutes(row_buckets, duration)
    return _SourceMinutes(
        booked_slots=n_booked,
        booked_minutes=booked_minutes,
        available_slots=n_available,
        available_minutes=available_minutes,
        duration=duration,
        duration_source=duration_source,
        max_seats=max((b.seats for b in row_buckets), default=1),
    )


def _minutes_pct(booked_minutes: float, available_minutes: float | None) -> float | None:
    if available_minutes is None:
        return None
    return percent(booked_minutes, booked_minutes + available_minutes)


async def capacity_minutes(
    session: AsyncSession,
    workspace: Workspace,
    *,
    window_days: int,
    now: dt.datetime,
    staleness_threshold: dt.timedelta,
) -> CapacityMinutes:
    capacity = await compute_capacity(
        session,
        workspace,
        window_days=window_days,
        now=now,
        staleness_threshold=staleness_threshold,
    )
    window = capacity_window(now, window_days)
    zone = zone_name(workspace)
    repository = InsightRepository(session)
    served = await _served(session, workspace)
    buckets = await repository.slot_gap_buckets(
        _row_ids(served.values()), start=window.start, end=window.end
    )
    booked = await repository.booked_by_day_hour(
        workspace.id, start=window.start, end=window.end, timezone=zone
    )
    typical = await repository.typical_durations(
        workspace.id, start=window.start - DURATION_LOOKBACK, end=window.end
    )
    figures = {s: _source_minutes(e, booked, buckets, typical) for s, e in served.items()}

    def source_read(source: AvailabilitySource) -> SourceMinutes:
        slot_figures = (
            capacity.breakdown.default
            if source is AvailabilitySource.DEFAULT
            else capacity.breakdown.direct_book
        )
        entry = served.get(source)
        f = figures.get(source)
        return SourceMinutes(
            provider=None if entry is None else entry.config.provider,
            identifier=None if entry is None else entry.config.identifier,
            booked_pct=slot_figures.booked_pct,
            booked_slots=slot_figures.booked_slots,
            available_slots=slot_figures.available_slots,
            booked_minutes=0.0 if f is None else _one_decimal(f.booked_minutes),
            available_minutes=None
            if f is None or f.available_minutes is None
            else _one_decimal(f.available_minutes),
            booked_minutes_pct=None
            if f is None
            else _minutes_pct(f.booked_minutes, f.available_minutes),
            slot_duration_minutes=None if f is None else f.duration,
            slot_duration_source=DurationSource.UNKNOWN if f is None else f.duration_source,
            max_seats_per_slot=1 if f is None else f.max_seats,
        )

    distinct = distinct_identifiers(served)
    parts = [figures[e.source] for e in distinct.values()]
    booked_minutes = sum(p.booked_minutes for p in parts)
    unknown = any(p.available_minutes is None for p in parts)
    available_minutes = None if unknown else sum(p.available_minutes or 0.0 for p in parts)
    return CapacityMinutes(
        window_start_iso=capacity.window_start_iso,
        window_end_iso=capacity.window_end_iso,
        window_days=window_days,
        timezone=zone,
        booked_pct=capacity.booked_pct,
        booked_slots=capacity.booked_slots,
        available_slots=capacity.available_slots,
        booked_minutes=_one_decimal(booked_minutes),
        available_minutes=None if available_minutes is None else _one_decimal(available_minutes),
        booked_minutes_pct=_minutes_pct(booked_minutes, available_minutes),
        breakdown=MinutesBreakdown(
            default=source_read(AvailabilitySource.DEFAULT),
            direct_book=source_read(AvailabilitySource.DIRECT_BOOK),
        ),
        cache_meta=capacity.cache_meta,
    )


# ---- what-if -------------------------------------------------------------------------------


def _parse_time(value: str) -> dt.time | None:
    if value == "24:00":
        return None
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


@dataclass
class _State:
    """One identifier's open slots in the window, as they are and as they would be."""

    entry: Served
    baseline: dict[dt.datetime, int]
    slots: dict[dt.datetime, int]
    next_after: dt.datetime | None
    bookings: list[tuple[dt.datetime, dt.datetime]]
    duration: float | None
    max_seats: int


@dataclass(frozen=True)
class _Raw:
    booked_slots: int
    available_slots: int
    booked_minutes: float
    available_minutes: float | None
    known: bool
    """The open slots were fetched; otherwise no percentage is shown."""


def _raw(state: _State, booked_slots: int, booked_minutes: float, *, projected: bool) -> _Raw:
    ordered = sorted((state.slots if projected else state.baseline).items())
    known = fetched(state.entry)
    available_minutes = (
        None
        if not known or (state.duration is None and ordered)
        else open_minutes(gap_buckets(ordered, state.next_after), state.duration or 0.0)
    )
    return _Raw(booked_slots, len(ordered), booked_minutes, available_minutes, known)


def _sum_raw(parts: Iterable[_Raw]) -> _Raw:
    parts = list(parts)
    unknown = any(p.available_minutes is None for p in parts)
    return _Raw(
        booked_slots=sum(p.booked_slots for p in parts),
        available_slots=sum(p.available_slots for p in parts),
        booked_minutes=sum(p.booked_minutes for p in parts),
        available_minutes=None if unknown else sum(p.available_minutes or 0.0 for p in parts),
        known=all(p.known for p in parts),
    )


def _figures(raw: _Raw) -> WhatIfFigures:
    return WhatIfFigures(
        booked_pct=booked_pct(raw.booked_slots, raw.available_slots) if raw.known else None,
        booked_slots=raw.booked_slots,
        available_slots=raw.available_slots,
        booked_minutes=_one_decimal(raw.booked_minutes),
        available_minutes=None
        if raw.available_minutes is None
        else _one_decimal(raw.available_minutes),
        booked_minutes_pct=_minutes_pct(raw.booked_minutes, raw.available_minutes),
    )


async def what_if(
    session: AsyncSession,
    workspace: Workspace,
    request: WhatIfRequest,
    *,
    window_days: int,
    now: dt.datetime,
) -> WhatIfResult:
    window: Window = capacity_window(now, window_days)
    zone = zone_name(workspace)
    repository = InsightRepository(session)
    served = await _served(session, workspace)
    for change in request.changes:
        if change.source not in served:
            raise UnprocessableEntity(
                f"source {change.source.value} is not configured for this workspace"
            )
    distinct = distinct_identifiers(served)
    slots, after = await repository.window_slots(
        _row_ids(distinct.values()), start=window.start, end=window.end
    )
    bookings = await repository.window_bookings(workspace.id, start=window.start, end=window.end)
    typical = await repository.typical_durations(
        workspace.id, start=window.start - DURATION_LOOKBACK, end=window.end
    )

    states: dict[str, _State] = {}
    for identifier, entry in distinct.items():
        row_slots = dict(slots.get(entry.row.id, [])) if entry.row is not None else {}
        duration, _ = resolve_duration(
            entry.row.slot_duration_minutes if entry.row is not None else None,
            typical.get(identifier),
        )
        states[identifier] = _State(
            entry=entry,
            baseline=row_slots,
            slots=dict(row_slots),
            next_after=after.get(entry.row.id) if entry.row is not None else None,
            bookings=[(s, e) for key, s, e in bookings if key == identifier],
            duration=duration,
            max_seats=max(row_slots.values(), default=1),
        )

    days = local_days(window, zone)
    outcomes: list[WhatIfChangeOutcome] = []
    for change in request.changes:
        state = states[served[change.source].config.identifier]
        if state.duration is None and change.change is ChangeKind.ADD:
            raise UnprocessableEntity(
                f"the slot length of {change.source.value} is not known yet: it is recorded by "
                "the next availability refresh"
            )
        outcome = apply_change(
            state.slots,
            HoursChange(
                weekday=change.weekday,
                start=_parse_time(change.start_time) or dt.time(0),
                end=_parse_time(change.end_time),
                kind=change.change,
            ),
            days=days,
            zone=zone,
            window=(window.start, window.end),
            duration_minutes=state.duration or 0.0,
            seats=state.max_seats,
            bookings=state.bookings,
        )
        state.slots = outcome.slots
        outcomes.append(
            WhatIfChangeOutcome(
                **change.model_dump(),
                slots_added=outcome.added,
                slots_removed=outcome.removed,
            )
        )

    in_window = [(key, s, e) for key, s, e in bookings if window.start <= s < window.end]
    per_identifier: dict[str, tuple[_Raw, _Raw]] = {}
    for identifier, state in states.items():
        mine = [(s, e) for key, s, e in in_window if key == identifier]
        minutes = sum((e - s).total_seconds() / 60 for s, e in mine)
        per_identifier[identifier] = (
            _raw(state, len(mine), minutes, projected=False),
            _raw(state, len(mine), minutes, projected=True),
        )

    return WhatIfResult(
        window_start_iso=iso_utc(window.start),
        window_end_iso=iso_utc(window.end),
        window_days=window_days,
        timezone=zone,
        baseline=_figures(_sum_raw(b for b, _ in per_identifier.values())),
        projected=_figures(_sum_raw(p for _, p in per_identifier.values())),
        sources=[
            WhatIfSource(
                source=source,
                provider=entry.config.provider,
                identifier=entry.config.identifier,
                baseline=_figures(per_identifier[entry.config.identifier][0]),
                projected=_figures(per_identifier[entry.config.identifier][1]),
            )
            for source, entry in served.items()
        ],
        changes=outcomes,
    )
