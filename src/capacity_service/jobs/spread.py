"""Spreading periodic per-workspace work over its interval.

Each workspace gets a fixed phase in [0, interval) from a hash of its id, so a thousand
workspaces on a 15-minute interval reach the providers a second or so apart instead of at once,
and every worker computes the same phases without coordination.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta


def phase_seconds(key: object, interval_seconds: int) -> float:
    digest = hashlib.sha256(str(key).encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return fraction * interval_seconds


def due_in_window(
    key: object, interval_seconds: int, window_start: datetime, window_seconds: float
) -> timedelta | None:
    """Delay from `window_start` to the first due instant of `key` inside the window, if any.

    Due instants are `epoch + phase + k * interval`; consecutive windows that tile the time line
    therefore give every workspace exactly one run per interval.
    """
    start = window_start.astimezone(UTC).timestamp()
    phase = phase_seconds(key, interval_seconds)
    cycles = -(-(start - phase) // interval_seconds)  # ceil
    due = phase + cycles * interval_seconds
    offset = due - start
    if offset >= window_seconds:
        return None
    return timedelta(seconds=offset)


def minute_floor(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(second=0, microsecond=0)
