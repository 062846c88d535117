"""The demo clinic's calendar looks like a real one: busy soon, quieter later, closed weekends."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from capacity_service.demo.plan import DEMO_TIMEZONE, DemoSource, DemoStatus, build_plan

NOW = datetime(2030, 3, 4, 14, 0, tzinfo=UTC)  # a Monday


def _fill(
    plan_slots: list[datetime], booked: set[datetime], start: datetime, end: datetime
) -> float:
    offered = [s for s in plan_slots if start <= s < end]
    return sum(1 for s in offered if s in booked) / len(offered)


def test_plan_is_the_same_for_the_same_start() -> None:
    assert build_plan(NOW) == build_plan(NOW)


def test_the_coming_week_is_fuller_than_the_weeks_after() -> None:
    plan = build_plan(NOW)
    booked = {
        b.start
        for b in plan.bookings
        if b.source is DemoSource.DEFAULT and b.status is DemoStatus.CONFIRMED
    }
    week = _fill(plan.default_slots, booked, NOW, NOW + timedelta(days=7))
    later = _fill(plan.default_slots, booked, NOW + timedelta(days=30), NOW + timedelta(days=90))
    assert week > 0.6
    assert later < 0.3


def test_future_bookings_sit_on_offered_slots_and_nobody_books_weekends() -> None:
    plan = build_plan(NOW)
    zone = ZoneInfo(DEMO_TIMEZONE)
    offered = {DemoSource.DEFAULT: set(plan.default_slots)}
    offered[DemoSource.DIRECT_BOOK] = set(plan.direct_book_slots)
    for booking in plan.bookings:
        assert booking.start.astimezone(zone).weekday() < 5
        if booking.start > NOW and booking.source in offered:
            assert booking.start in offered[booking.source]


def test_plan_has_every_kind_of_booking_the_dashboard_shows() -> None:
    plan = build_plan(NOW)
    kinds = {(b.source, b.status, b.start > NOW) for b in plan.bookings}
    assert (DemoSource.DEFAULT, DemoStatus.CONFIRMED, True) in kinds
    assert (DemoSource.DIRECT_BOOK, DemoStatus.CONFIRMED, True) in kinds
    assert (DemoSource.UNCONFIGURED, DemoStatus.CONFIRMED, True) in kinds
    assert {DemoStatus.SHOWED, DemoStatus.NO_SHOW, DemoStatus.CANCELED} <= {
        status for _, status, _ in kinds
    }
    assert len({b.email for b in plan.bookings}) == len(plan.bookings)
