"""Plain-language sentences about capacity, for people and chat models alike.

Every unknown is said as unknown, with its cause, so a reader never fills the gap with a number.
"""

import datetime as dt

from capacity_service.capacity.schemas import Capacity, SourceCapacity

DEFINITIONS = {
    "bookedPct": "100 * booked / (booked + available) over the capacity window, one decimal; "
    "null when unknown (availability never fetched) or when there is nothing to divide.",
    "capacityWindow": "From now to now + windowDays (UTC): capacity looks ahead.",
    "period": "The windowDays days up to now: leads and appointment figures look back.",
    "bookedSlots": "CONFIRMED appointments starting in the capacity window attributed to a "
    "configured availability source (DEFAULT or DIRECT_BOOK).",
    "availableSlots": "Open slots starting in the capacity window, from the cached provider "
    "availability.",
    "unattributedBookedSlots": "CONFIRMED appointments in the capacity window whose calendar or "
    "event type is not a configured source or is unknown; not part of bookedPct.",
    "isStale": "Availability never fetched, older than the staleness threshold, or not "
    "covering the whole window.",
    "appointments.booked": "Bookings made in the period, whatever their status now.",
    "appointments.canceled/rescheduled/showed/noShow": "Appointments starting in the period "
    "with that status now.",
    "appointments.upcomingConfirmed": "CONFIRMED appointments starting in the capacity window.",
}


def _pct(value: float) -> str:
    return f"{value:g}%"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _age(now: dt.datetime, fetched_at_iso: str) -> str:
    seconds = max(0, int((now - dt.datetime.fromisoformat(fetched_at_iso)).total_seconds()))
    if seconds < 60:
        return "less than a minute old"
    if seconds < 3600:
        return f"{_plural(seconds // 60, 'minute')} old"
    if seconds < 48 * 3600:
        return f"{_plural(seconds // 3600, 'hour')} old"
    return f"{_plural(seconds // 86400, 'day')} old"


def _source(name: str, source: SourceCapacity) -> str:
    if source.identifier is None:
        return f"{name} not configured"
    if source.booked_pct is not None:
        return f"{name} {_pct(source.booked_pct)}"
    if source.cache_meta.fetched_at_iso is None:
        return f"{name} unknown (availability never fetched)"
    return f"{name} has no slots or bookings"


def capacity_summary(capacity: Capacity, now: dt.datetime) -> str:
    days = _plural(capacity.window_days, "day")
    configured = [
        s for s in (capacity.breakdown.default, capacity.breakdown.direct_book) if s.identifier
    ]
    if capacity.booked_pct is not None:
        head = f"{_pct(capacity.booked_pct)} of the next {days}' bookable slots are taken"
    elif not configured:
        head = f"% booked of the next {days} is unknown: no availability source is configured"
    elif any(s.cache_meta.fetched_at_iso is None for s in configured):
        head = f"% booked of the next {days} is unknown: availability has not been fetched yet"
    else:
        head = f"% booked of the next {days} is undefined: no open slots and no bookings"
    parts = [
        head,
        ", ".join(
            (
                _source("DEFAULT", capacity.breakdown.default),
                _source("DIRECT_BOOK", capacity.breakdown.direct_book),
            )
        ),
        f"{_plural(capacity.unattributed_booked_slots, 'booking')} unattributed",
    ]
    meta = capacity.cache_meta
    if configured:
        if meta.fetched_at_iso is None:
            freshness = "availability data never fetched"
        else:
            freshness = f"availability data {_age(now, meta.fetched_at_iso)}"
            if meta.is_stale:
                freshness += " (stale)"
        if meta.last_error:
            freshness += f", last refresh failed: {meta.last_error[:120]}"
        parts.append(freshness)
    return "; ".join(parts)
