"""What-if: the window's open slots after adding or removing recurring weekly hours.

Nothing is persisted. A change names a source, an ISO weekday and local hours [start, end):
- `remove` drops the source's open slots starting in those hours on every such day of the
  window (bookings stay: they are on the books whatever the calendar offers next);
- `add` opens a slot every `duration` minutes from `start` while the slot ends by `end`, on every
  such day of the window, at each start inside the window that is not already open and does not
  overlap a booking of the source. Added slots carry the source's largest seat count.
Changes apply in the order given, so "remove 9-17, add 9-12" leaves 9-12 open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo


class ChangeKind(StrEnum):
    ADD = "add"
    REMOVE = "remove"


@dataclass(frozen=True)
class HoursChange:
    weekday: int
    start: dt.time
    end: dt.time | None
    """None means midnight at the end of the day (24:00)."""
    kind: ChangeKind


@dataclass(frozen=True)
class ChangeOutcome:
    slots: dict[dt.datetime, int]
    """Open slot start (UTC) -> seats, after the change."""
    added: int
    removed: int


def occurrences(
    change: HoursChange, days: Iterable[dt.date], zone: str
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The UTC instants [start, end) the change covers on each matching local day."""
    tz = ZoneInfo(zone)
    spans = []
    for day in days:
        if day.isoweekday() != change.weekday:
            continue
        start = dt.datetime.combine(day, change.start, tzinfo=tz)
        end = (
            dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
            if change.end is None
            else dt.datetime.combine(day, change.end, tzinfo=tz)
        )
        spans.append((start.astimezone(dt.UTC), end.astimezone(dt.UTC)))
    return spans


def _overlaps(
    start: dt.datetime, end: dt.datetime, bookings: Sequence[tuple[dt.datetime, dt.datetime]]
) -> bool:
    return any(b_start < end and start < b_end for b_start, b_end in bookings)


def apply_change(
    slots: dict[dt.datetime, int],
    change: HoursChange,
    *,
    days: Iterable[dt.date],
    zone: str,
    window: tuple[dt.datetime, dt.datetime],
    duration_minutes: float,
    seats: int,
    bookings: Sequence[tuple[dt.datetime, dt.datetime]],
) -> ChangeOutcome:
    result = dict(slots)
    added = removed = 0
    window_start, window_end = window
    step = dt.timedelta(minutes=duration_minutes)
    for span_start, span_end in occurrences(change, days, zone):
        if change.kind is ChangeKind.REMOVE:
            for slot in [s for s in result if span_start <= s < span_end]:
                del result[slot]
                removed += 1
            continue
        slot = span_start
        while slot + step <= span_end:
            if (
                window_start <= slot < window_end
                and slot not in result
                and not _overlaps(slot, slot + step, bookings)
            ):
                result[slot] = seats
                added += 1
            slot += step
    return ChangeOutcome(slots=result, added=added, removed=removed)
