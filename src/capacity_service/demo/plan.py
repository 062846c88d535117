"""What the demo clinic looks like: opening hours, and a believable spread of bookings.

Deterministic for a given start time and seed, so a test can hold it to its promises: the next
days are nearly full and the weeks after fill less and less, as real calendars do.
"""

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from capacity_service.kit.time import to_utc

DEMO_WORKSPACE_NAME = "Demo — Sunrise Dental"
DEMO_TIMEZONE = "America/New_York"
DEMO_LOCATION_ID = "demo-sunrise-dental"
DEFAULT_CALENDAR_ID = "demo-new-patient-visits"
UNCONFIGURED_CALENDAR_ID = "demo-legacy-hygiene"
DIRECT_BOOK_EVENT_TYPE_UUID = "DEMODIRECTBOOK01"
DAYS_AHEAD = 92
DAYS_BEHIND = 30


class DemoSource(StrEnum):
    DEFAULT = "DEFAULT"  # a HighLevel calendar: 30-minute visits, 09:00-17:00 on weekdays
    DIRECT_BOOK = "DIRECT_BOOK"  # a Calendly event type: evening slots on weekdays
    UNCONFIGURED = "UNCONFIGURED"  # a HighLevel calendar the workspace does not list


class DemoStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELED = "canceled"
    SHOWED = "showed"
    NO_SHOW = "noshow"


@dataclass(frozen=True)
class DemoBooking:
    number: int
    source: DemoSource
    start: datetime
    status: DemoStatus
    name: str
    email: str


@dataclass(frozen=True)
class DemoPlan:
    default_slots: list[datetime]
    direct_book_slots: list[datetime]
    bookings: list[DemoBooking]


FIRST_NAMES = (
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Katherine",
    "Margaret", "Radia", "Tim", "Vint", "Shafi", "Leslie", "Niklaus", "Hedy", "Claude",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus",
    "Johnson", "Hamilton", "Perlman", "Berners-Lee", "Cerf", "Goldwasser", "Lamport", "Wirth",
)  # fmt: skip


def _local_slots(day: date, zone: ZoneInfo, first: time, count: int, step: int) -> list[datetime]:
    start = datetime.combine(day, first, tzinfo=zone)
    return [to_utc(start + timedelta(minutes=step * i)) for i in range(count)]


def _fill_rate(days_ahead: int, source: DemoSource) -> float:
    """Share of a day's slots that are booked: near-full this week, thinning out later."""
    if source is DemoSource.DEFAULT:
        return 0.9 * math.exp(-days_ahead / 10) + 0.12
    return 0.65 * math.exp(-days_ahead / 16) + 0.15


def build_plan(now: datetime, *, seed: int = 8) -> DemoPlan:
    rng = random.Random(seed)
    zone = ZoneInfo(DEMO_TIMEZONE)
    today = now.astimezone(zone).date()
    default_slots: list[datetime] = []
    direct_slots: list[datetime] = []
    bookings: list[DemoBooking] = []

    def book(source: DemoSource, start: datetime, status: DemoStatus) -> None:
        number = len(bookings) + 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{number}@demo.example".lower().replace("-", "")
        bookings.append(DemoBooking(number, source, start, status, f"{first} {last}", email))

    for offset in range(-DAYS_BEHIND, DAYS_AHEAD + 1):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        default_day = _local_slots(day, zone, time(9), 16, 30)
        direct_day = _local_slots(day, zone, time(17), 3, 60)
        if offset < 0:  # the past: what happened to last month's appointments
            for start in rng.sample(default_day, 4):
                roll = rng.random()
                status = (
                    DemoStatus.SHOWED
                    if roll < 0.75
                    else DemoStatus.NO_SHOW
                    if roll < 0.9
                    else DemoStatus.CANCELED
                )
                book(DemoSource.DEFAULT, start, status)
            continue
        future_default = [s for s in default_day if s > now]
        future_direct = [s for s in direct_day if s > now]
        default_slots.extend(future_default)
        direct_slots.extend(future_direct)
        for source, slots in (
            (DemoSource.DEFAULT, future_default),
            (DemoSource.DIRECT_BOOK, future_direct),
        ):
            for start in slots:
                if rng.random() < _fill_rate(offset, source):
                    canceled = rng.random() < 0.05
                    book(source, start, DemoStatus.CANCELED if canceled else DemoStatus.CONFIRMED)
        if 0 < offset <= 21 and offset % 4 == 1:  # bookings on a calendar nobody configured
            book(
                DemoSource.UNCONFIGURED,
                to_utc(datetime.combine(day, time(8), zone)),
                DemoStatus.CONFIRMED,
            )
    return DemoPlan(default_slots, direct_slots, bookings)
