"""Wire shapes of the insight views."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import Field, field_validator, model_validator

from capacity_service.capacity.schemas import CacheMeta
from capacity_service.insight_views.minutes import DurationSource
from capacity_service.insight_views.pacing import Confidence
from capacity_service.insight_views.whatif import ChangeKind
from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.schemas import ResponseSchema, Schema

_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


class WindowFields(ResponseSchema):
    window_start_iso: str
    window_end_iso: str
    window_days: int
    timezone: str = Field(description="IANA zone that local dates, weekdays and hours are in.")


# ---- forecast ------------------------------------------------------------------------------


class LeadTimePoint(ResponseSchema):
    days_before: int
    share: float = Field(
        description="Share of a day's final bookings that existed this many days before it.",
        examples=[0.62],
    )


class ForecastConfidence(ResponseSchema):
    level: Confidence
    history_bookings: int = Field(description="Held bookings the curve is built from.")
    history_days: int = Field(description="Distinct local days those bookings took place on.")
    bookings_without_booked_at: int = Field(
        description="Held bookings of the history left out: their booking time is unknown."
    )
    notes: list[str]


class ForecastDay(ResponseSchema):
    date: dt.date = Field(description="Local calendar date, YYYY-MM-DD.")
    days_ahead: int = Field(description="Days from today (local) to this date.")
    booked_slots: int = Field(description="CONFIRMED bookings on the books now.")
    available_slots: int
    curve_share: float = Field(description="The curve's share at daysAhead.")
    projected_booked_slots: float = Field(
        description="bookedSlots / curveShare, capped at booked + available; one decimal."
    )
    projected_booked_pct: float | None
    projected_full: bool = Field(description="Projected to reach booked + available.")


class CapacityForecast(WindowFields):
    """Where the window is heading, from how bookings usually arrive (docs/forecast.md)."""

    history_days: int
    booked_pct: float | None = Field(description="% booked now, as in analytics.")
    projected_booked_pct: float | None = Field(description="% booked the window should end at.")
    booked_slots: int
    projected_booked_slots: float
    total_slots: int = Field(description="booked + available now: the window's capacity.")
    first_full_date: dt.date | None = Field(
        description="First local date projected (or already) to be full; null if none."
    )
    confidence: ForecastConfidence
    curve: list[LeadTimePoint]
    days: list[ForecastDay]
    cache_meta: CacheMeta


# ---- heatmap -------------------------------------------------------------------------------


class HeatmapCell(ResponseSchema):
    weekday: int = Field(description="ISO weekday, 1 = Monday.", ge=1, le=7)
    hour: int = Field(description="Local hour of the start, 0-23.", ge=0, le=23)
    booked_slots: int
    available_slots: int
    booked_pct: float | None


class HistoryCell(ResponseSchema):
    weekday: int = Field(ge=1, le=7)
    hour: int = Field(ge=0, le=23)
    booked_slots: int
    share_pct: float | None = Field(description="Share of the period's bookings in this cell.")


class WindowHeatmap(ResponseSchema):
    booked_slots: int
    available_slots: int
    cells: list[HeatmapCell] = Field(description="All 168 cells, Monday 00:00 first.")


class HistoryHeatmap(ResponseSchema):
    start_iso: str
    end_iso: str
    days: int
    booked_slots: int
    note: str
    cells: list[HistoryCell] = Field(description="All 168 cells, Monday 00:00 first.")


class CapacityHeatmap(WindowFields):
    """% booked per local weekday and hour: ahead from the cache, behind from bookings only."""

    window: WindowHeatmap
    history: HistoryHeatmap
    cache_meta: CacheMeta


# ---- minutes -------------------------------------------------------------------------------


class MinutesFigures(ResponseSchema):
    booked_pct: float | None = Field(description="Slot-count % booked, as in analytics.")
    booked_slots: int
    available_slots: int
    booked_minutes_pct: float | None = Field(
        description="100 * bookedMinutes / (bookedMinutes + availableMinutes); null when 0 or "
        "when a slot duration is unknown."
    )
    booked_minutes: float = Field(description="Summed length of CONFIRMED bookings.")
    available_minutes: float | None = Field(
        description="Open time: seats x slot minutes, overlapping slots counted once."
    )


class SourceMinutes(MinutesFigures):
    provider: Provider | None
    identifier: str | None
    slot_duration_minutes: float | None
    slot_duration_source: DurationSource
    max_seats_per_slot: int = Field(description="Largest seat count of an open slot (1 if none).")


class MinutesBreakdown(ResponseSchema):
    default: SourceMinutes = Field(alias="DEFAULT")
    direct_book: SourceMinutes = Field(alias="DIRECT_BOOK")


class CapacityMinutes(MinutesFigures, WindowFields):
    """Minutes-weighted % booked beside the slot-count figure."""

    breakdown: MinutesBreakdown
    cache_meta: CacheMeta


# ---- what-if -------------------------------------------------------------------------------


class WhatIfChange(Schema):
    source: AvailabilitySource = AvailabilitySource.DEFAULT
    weekday: int = Field(ge=1, le=7, description="ISO weekday, 1 = Monday.")
    start_time: str = Field(description="Local HH:MM.", examples=["09:00"])
    end_time: str = Field(description="Local HH:MM, after startTime; 24:00 for midnight.")
    change: ChangeKind

    @field_validator("start_time", "end_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError("must be HH:MM between 00:00 and 24:00")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> WhatIfChange:
        if self.start_time == "24:00" or self.end_time <= self.start_time:
            raise ValueError("endTime must be after startTime")
        return self


class WhatIfRequest(Schema):
    window_days: int | None = Field(
        default=None, ge=1, le=90, description="Default CAPACITY_DEFAULT_WINDOW_DAYS."
    )
    changes: list[WhatIfChange] = Field(min_length=1, max_length=50)


class WhatIfFigures(ResponseSchema):
    booked_pct: float | None
    booked_slots: int
    available_slots: int
    booked_minutes_pct: float | None
    booked_minutes: float
    available_minutes: float | None


class WhatIfSource(ResponseSchema):
    source: AvailabilitySource
    provider: Provider
    identifier: str
    baseline: WhatIfFigures
    projected: WhatIfFigures


class WhatIfChangeOutcome(WhatIfChange):
    slots_added: int
    slots_removed: int


class WhatIfResult(WindowFields):
    """The window's % booked if the hours changed; nothing is stored."""

    baseline: WhatIfFigures
    projected: WhatIfFigures
    sources: list[WhatIfSource]
    changes: list[WhatIfChangeOutcome]
