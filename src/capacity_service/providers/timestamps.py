"""Provider time formats, in one place.

HighLevel sends ISO strings with an offset (`+05:30`), without one, or with a space instead of
`T` (`2021-07-16 11:00:00`), and takes epoch milliseconds in queries; Calendly sends and takes
UTC ISO with microseconds. Everything inside the service is aware UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator

from capacity_service.kit.time import to_utc

UtcDatetime = Annotated[datetime, AfterValidator(to_utc)]
"""A wire timestamp parsed to aware UTC; a value without an offset is taken as UTC.

HighLevel's contact-appointments times carry no offset and their zone is undocumented
(providers.md §3.18); UTC is the assumption.
"""


def epoch_ms(value: datetime) -> int:
    return int(to_utc(value).timestamp() * 1000)


def calendly_time(value: datetime) -> str:
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def split_range(
    start: datetime, end: datetime, max_span: timedelta
) -> list[tuple[datetime, datetime]]:
    """Cut [start, end) into consecutive windows no longer than `max_span`."""
    windows: list[tuple[datetime, datetime]] = []
    cursor = start
    while cursor < end:
        window_end = min(cursor + max_span, end)
        windows.append((cursor, window_end))
        cursor = window_end
    return windows
