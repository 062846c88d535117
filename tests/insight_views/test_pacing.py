"""Pacing forecast: the lead-time curve and the projection, hand-computed."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.insight_views.pacing import (
    Confidence,
    DayOnBooks,
    confidence,
    lead_time_curve,
    project_day,
)
from capacity_service.insight_views.service import capacity_forecast
from capacity_service.kit.enums import AppointmentStatus
from tests.factories import make_workspace
from tests.insight_views.builders import book, make_slots

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
TODAY = NOW.date()


def test_curve_is_share_of_bookings_made_at_least_n_days_ahead() -> None:
    curve = lead_time_curve({0: 10, 1: 10, 3: 10, 7: 10}, horizon=9, days=10)

    assert curve.shares == (1.0, 0.75, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.0, 0.0)
    assert curve.bookings == 40
    assert curve.max_lead_days == 7


def test_negative_lead_counts_as_same_day() -> None:
    curve = lead_time_curve({-1: 1, 2: 1}, horizon=2, days=2)

    assert curve.shares == (1.0, 0.5, 0.5)


def test_projection_scales_bookings_on_the_books_and_caps_at_capacity() -> None:
    curve = lead_time_curve({0: 1, 1: 1, 3: 1, 7: 1}, horizon=7, days=1)

    plain = project_day(DayOnBooks(date(2026, 3, 3), 1, booked=3, available=5), curve)
    assert plain.projected_booked == 4.0  # 3 / 0.75
    assert not plain.projected_full

    full = project_day(DayOnBooks(date(2026, 3, 4), 2, booked=2, available=1), curve)
    assert full.projected_booked == 3.0  # 2 / 0.5 = 4, capped at 2 + 1
    assert full.projected_full


def test_no_history_projects_what_is_on_the_books() -> None:
    curve = lead_time_curve({}, horizon=30, days=0)

    day = project_day(DayOnBooks(date(2026, 3, 10), 8, booked=2, available=6), curve)
    level, notes = confidence(curve, history_days=90, horizon=30)

    assert day.projected_booked == 2.0
    assert level is Confidence.NONE
    assert any("No history" in n for n in notes)


def test_beyond_the_longest_lead_seen_the_day_stays_as_booked() -> None:
    curve = lead_time_curve({0: 30, 2: 30}, horizon=10, days=30)

    day = project_day(DayOnBooks(date(2026, 3, 12), 5, booked=1, available=9), curve)
    level, notes = confidence(curve, history_days=90, horizon=10)

    assert day.share == 0.0
    assert day.projected_booked == 1.0
    assert level is Confidence.MEDIUM
    assert any("more than 2 days ahead" in n for n in notes)


def test_thin_history_is_low_confidence() -> None:
    level, notes = confidence(
        lead_time_curve({0: 5, 1: 5}, horizon=7, days=5), history_days=90, horizon=7
    )

    assert level is Confidence.LOW
    assert any("thin" in n for n in notes)


async def test_forecast_from_synthetic_history(session: AsyncSession) -> None:
    """Ten past days with bookings made 0, 1, 3 and 7 days ahead give the curve
    1, .75, .5, .5, .25, .25, .25, .25, 0; three future days are projected with it."""
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    for day in range(1, 11):
        start = NOW - timedelta(days=day, hours=-3)  # 15:00 UTC, `day` days ago
        for lead in (0, 1, 3, 7):
            status = AppointmentStatus.SHOWED if lead else AppointmentStatus.NO_SHOW
            await book(
                session, workspace, start, status=status, booked_at=start - timedelta(days=lead)
            )
    # Neither a canceled booking nor one without a booking time shapes the curve.
    past = NOW - timedelta(days=2)
    await book(session, workspace, past, status=AppointmentStatus.CANCELED, booked_at=past)
    await book(session, workspace, past, booked_at=None)

    def at(days: int, hour: int) -> datetime:
        return datetime.combine(TODAY + timedelta(days=days), datetime.min.time(), UTC).replace(
            hour=hour
        )

    slots = [at(1, 9 + i) for i in range(5)] + [at(2, 9)] + [at(5, 8 + i) for i in range(10)]
    await make_slots(session, workspace, slots, fetched_at=NOW)
    for start in (at(1, 15), at(1, 16), at(1, 17), at(2, 15), at(2, 16), at(5, 18)):
        await book(session, workspace, start)

    forecast = await capacity_forecast(
        session,
        workspace,
        window_days=7,
        history_days=90,
        now=NOW,
        staleness_threshold=timedelta(minutes=60),
    )

    assert [p.share for p in forecast.curve] == [1.0, 0.75, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]
    by_date = {d.date: d for d in forecast.days}
    assert by_date[TODAY + timedelta(days=1)].projected_booked_slots == 4.0  # 3 / .75, of 8
    assert by_date[TODAY + timedelta(days=2)].projected_booked_slots == 3.0  # 2 / .5 = 4 > 3
    assert by_date[TODAY + timedelta(days=2)].projected_full
    assert by_date[TODAY + timedelta(days=5)].projected_booked_slots == 4.0  # 1 / .25, of 11
    assert forecast.first_full_date == TODAY + timedelta(days=2)
    assert forecast.booked_slots == 6
    assert forecast.total_slots == 22
    assert forecast.booked_pct == 27.3  # 6 / 22
    assert forecast.projected_booked_slots == 11.0
    assert forecast.projected_booked_pct == 50.0  # 11 / 22
    assert forecast.confidence.level is Confidence.LOW  # ten days of history is thin
    assert forecast.confidence.history_bookings == 40
    assert forecast.confidence.history_days == 10
    assert forecast.confidence.bookings_without_booked_at == 1
