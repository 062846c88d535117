"""Minutes-weighted % booked: time booked against time booked plus time still open.

Slot counts miscount when a booking is longer than a slot (one 60-minute booking over 30-minute
slots takes two slots' worth of time) and on group events (one open slot may hold several
invitees). Here an open slot is worth `seats x duration` minutes and a booking its own length.

Where consecutive slot starts are closer than a slot's duration (HighLevel's slot interval
shorter than its duration, Calendly's start-time increments), the slots overlap: a slot then
counts only up to the next slot's start, so the open time is the union of the slots, not their
sum.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class DurationSource(StrEnum):
    PROVIDER = "provider"
    """From the cache: the Calendly event type's duration or the HighLevel slotDuration."""
    APPOINTMENTS = "appointments"
    """Not known yet from the provider: the most common length of the source's bookings."""
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class GapBucket:
    """`count` open slots of `seats` seats each, whose next slot starts `gap_minutes` later
    (None: no later slot is cached)."""

    gap_minutes: float | None
    seats: int
    count: int


def slot_minutes(duration: float, gap_minutes: float | None) -> float:
    return duration if gap_minutes is None else min(duration, gap_minutes)


def open_minutes(buckets: Iterable[GapBucket], duration: float) -> float:
    return sum(b.count * b.seats * slot_minutes(duration, b.gap_minutes) for b in buckets)


def gap_buckets(
    slots: Sequence[tuple[dt.datetime, int]], next_after: dt.datetime | None
) -> list[GapBucket]:
    """Buckets of a sorted list of (slot start, seats); `next_after` is the first cached slot
    after the list, if any."""
    buckets: dict[tuple[float | None, int], int] = {}
    for i, (start, seats) in enumerate(slots):
        following = slots[i + 1][0] if i + 1 < len(slots) else next_after
        gap = None if following is None else (following - start).total_seconds() / 60
        buckets[(gap, seats)] = buckets.get((gap, seats), 0) + 1
    return [GapBucket(gap, seats, n) for (gap, seats), n in buckets.items()]


def resolve_duration(
    cached_minutes: int | None, typical_booking_minutes: float | None
) -> tuple[float | None, DurationSource]:
    if cached_minutes is not None and cached_minutes > 0:
        return float(cached_minutes), DurationSource.PROVIDER
    if typical_booking_minutes is not None and typical_booking_minutes > 0:
        return float(typical_booking_minutes), DurationSource.APPOINTMENTS
    return None, DurationSource.UNKNOWN
