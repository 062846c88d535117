"""The pacing forecast: how a day's bookings usually arrive, applied to the days ahead.

The lead time of a held booking is the number of local calendar days between the day it was
made and the day it takes place. Over a trailing history, `share(n)` is the fraction of a day's
final bookings that already existed `n` days before that day. A future day `n` days ahead with
`b` bookings on the books is then projected to end with `b / share(n)` bookings, capped at the
day's capacity (booked + open slots). docs/forecast.md explains the method and its limits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

LOW_CONFIDENCE_BOOKINGS = 30
LOW_CONFIDENCE_DAYS = 14
HIGH_CONFIDENCE_BOOKINGS = 200
HIGH_CONFIDENCE_DAYS = 45


class Confidence(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class LeadTimeCurve:
    """`shares[n]` for n = 0..horizon; built from `bookings` held bookings on `days` days."""

    shares: tuple[float, ...]
    bookings: int
    days: int
    max_lead_days: int | None

    def share(self, days_ahead: int) -> float:
        if self.bookings == 0:
            return 1.0
        if days_ahead < 0:
            return 1.0
        if days_ahead >= len(self.shares):
            return self.shares[-1]
        return self.shares[days_ahead]


def lead_time_curve(histogram: Mapping[int, int], *, horizon: int, days: int) -> LeadTimeCurve:
    """The curve from a histogram of lead days (lead -> bookings); negative leads count as 0.

    With no history every share is 1: nothing beyond the bookings on the books is expected.
    """
    counts: dict[int, int] = {}
    for lead, n in histogram.items():
        counts[max(lead, 0)] = counts.get(max(lead, 0), 0) + n
    total = sum(counts.values())
    if total == 0:
        return LeadTimeCurve(shares=(1.0,) * (horizon + 1), bookings=0, days=0, max_lead_days=None)
    shares = tuple(
        sum(c for lead, c in counts.items() if lead >= n) / total for n in range(horizon + 1)
    )
    return LeadTimeCurve(shares=shares, bookings=total, days=days, max_lead_days=max(counts))


@dataclass(frozen=True)
class DayOnBooks:
    date: dt.date
    days_ahead: int
    booked: int
    available: int


@dataclass(frozen=True)
class DayProjection:
    date: dt.date
    days_ahead: int
    booked: int
    available: int
    share: float
    projected_booked: float
    projected_full: bool

    @property
    def capacity(self) -> int:
        return self.booked + self.available


def project_day(day: DayOnBooks, curve: LeadTimeCurve) -> DayProjection:
    """A day's expected final bookings. A share of 0 (no history booked that far ahead) cannot
    scale anything, so the day is projected at what is on the books."""
    share = curve.share(day.days_ahead)
    capacity = day.booked + day.available
    expected = day.booked / share if share > 0 else float(day.booked)
    return DayProjection(
        date=day.date,
        days_ahead=day.days_ahead,
        booked=day.booked,
        available=day.available,
        share=share,
        projected_booked=min(expected, float(capacity)),
        projected_full=capacity > 0 and expected >= capacity,
    )


@dataclass(frozen=True)
class Forecast:
    days: list[DayProjection]
    projected_booked: float
    capacity: int
    first_full_date: dt.date | None


def project_window(days: Sequence[DayOnBooks], curve: LeadTimeCurve) -> Forecast:
    projected = [project_day(d, curve) for d in days]
    return Forecast(
        days=projected,
        projected_booked=sum(p.projected_booked for p in projected),
        capacity=sum(p.capacity for p in projected),
        first_full_date=next((p.date for p in projected if p.projected_full), None),
    )


def confidence(
    curve: LeadTimeCurve, *, history_days: int, horizon: int
) -> tuple[Confidence, list[str]]:
    """How far to trust the curve, and why, in sentences a person can read."""
    notes = [
        f"Based on {curve.bookings} held bookings on {curve.days} days in the last "
        f"{history_days} days."
    ]
    if curve.bookings == 0:
        notes.append("No history: each day is projected at the bookings already on the books.")
        return Confidence.NONE, notes
    if curve.bookings < LOW_CONFIDENCE_BOOKINGS or curve.days < LOW_CONFIDENCE_DAYS:
        level = Confidence.LOW
        notes.append(
            f"History is thin (fewer than {LOW_CONFIDENCE_BOOKINGS} bookings or "
            f"{LOW_CONFIDENCE_DAYS} days): treat the projection as a rough guide."
        )
    elif curve.bookings < HIGH_CONFIDENCE_BOOKINGS or curve.days < HIGH_CONFIDENCE_DAYS:
        level = Confidence.MEDIUM
    else:
        level = Confidence.HIGH
    if curve.max_lead_days is not None and curve.max_lead_days < horizon:
        notes.append(
            f"No booking in the history was made more than {curve.max_lead_days} days ahead; "
            "days further out are projected at the bookings already on the books."
        )
    return level, notes
