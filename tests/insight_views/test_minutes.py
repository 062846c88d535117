"""Minutes-weighted % booked: booking lengths, slot lengths, overlapping slots and seats."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.insight_views.minutes import DurationSource, GapBucket, open_minutes
from capacity_service.insight_views.schemas import CapacityMinutes
from capacity_service.insight_views.service import capacity_minutes
from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.models import Workspace
from tests.factories import make_workspace
from tests.insight_views.builders import book, make_slots

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
EVENT_TYPE = "https://api.calendly.com/event_types/group"


def at(days: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2 + days, hour, minute, tzinfo=UTC)


async def minutes(session: AsyncSession, workspace: Workspace) -> CapacityMinutes:
    return await capacity_minutes(
        session, workspace, window_days=7, now=NOW, staleness_threshold=timedelta(minutes=60)
    )


def test_overlapping_slots_count_only_until_the_next_start() -> None:
    # 60-minute slots every 30 minutes from 09:00 to 10:00: open 09:00-11:00, 120 minutes.
    buckets = [GapBucket(30.0, 1, 2), GapBucket(None, 1, 1)]

    assert open_minutes(buckets, 60.0) == 120.0


async def test_a_sixty_minute_booking_over_thirty_minute_slots(session: AsyncSession) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    await make_slots(
        session,
        workspace,
        [at(1, 9), at(1, 9, 30), at(1, 11), at(1, 11, 30)],
        fetched_at=NOW,
        slot_duration_minutes=30,
    )
    await book(session, workspace, at(1, 10), minutes=60)

    result = await minutes(session, workspace)

    assert (result.booked_slots, result.available_slots, result.booked_pct) == (1, 4, 20.0)
    assert (result.booked_minutes, result.available_minutes) == (60.0, 120.0)
    assert result.booked_minutes_pct == 33.3  # 60 / 180
    source = result.breakdown.default
    assert source.slot_duration_minutes == 30.0
    assert source.slot_duration_source is DurationSource.PROVIDER
    assert source.booked_minutes_pct == 33.3


async def test_a_group_event_counts_seats(session: AsyncSession) -> None:
    """Five seats an hour: three invitees at 10:00 leave two; the next day is untouched."""
    workspace = await make_workspace(session, calendly_default_event_type_uri=EVENT_TYPE)
    await make_slots(
        session,
        workspace,
        [at(1, 10), at(2, 10)],
        seats=[2, 5],
        identifier=EVENT_TYPE,
        provider=Provider.CALENDLY,
        fetched_at=NOW,
        slot_duration_minutes=60,
    )
    for _ in range(3):
        await book(session, workspace, at(1, 10), minutes=60, event_type=EVENT_TYPE)

    result = await minutes(session, workspace)

    assert result.booked_pct == 60.0  # 3 bookings against 2 open slots: the slot count misleads
    assert (result.booked_minutes, result.available_minutes) == (180.0, 420.0)
    assert result.booked_minutes_pct == 30.0  # 3 of 10 seats
    assert result.breakdown.default.max_seats_per_slot == 5


async def test_slot_length_falls_back_to_the_usual_booking_length(session: AsyncSession) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    await make_slots(
        session, workspace, [at(1, 9), at(2, 9)], fetched_at=NOW, slot_duration_minutes=None
    )
    await book(session, workspace, at(1, 10), minutes=45)
    await book(session, workspace, NOW - timedelta(days=3), minutes=45)

    result = await minutes(session, workspace)

    assert result.breakdown.default.slot_duration_source is DurationSource.APPOINTMENTS
    assert result.breakdown.default.slot_duration_minutes == 45.0
    assert result.available_minutes == 90.0
    assert result.booked_minutes_pct == 33.3  # 45 / 135


async def test_unknown_slot_length_leaves_the_minutes_figure_null(session: AsyncSession) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    await make_slots(session, workspace, [at(1, 9)], fetched_at=NOW, slot_duration_minutes=None)

    result = await minutes(session, workspace)

    assert result.breakdown.default.slot_duration_source is DurationSource.UNKNOWN
    assert result.available_minutes is None
    assert result.booked_minutes_pct is None
    assert result.booked_pct == 0.0


async def test_an_identifier_shared_by_both_sources_counts_once(session: AsyncSession) -> None:
    workspace = await make_workspace(
        session, ghl_default_calendar_id="cal_default", ghl_direct_book_calendar_id="cal_default"
    )
    await make_slots(session, workspace, [at(1, 9)], fetched_at=NOW)
    await make_slots(
        session, workspace, [at(1, 9)], fetched_at=NOW, source=AvailabilitySource.DIRECT_BOOK
    )
    await book(session, workspace, at(1, 10))

    result = await minutes(session, workspace)

    assert (result.booked_minutes, result.available_minutes) == (30.0, 30.0)
    assert result.breakdown.direct_book.booked_minutes == 30.0


async def test_a_source_never_fetched_has_no_percentage(session: AsyncSession) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    await book(session, workspace, at(1, 10))

    result = await minutes(session, workspace)

    assert result.booked_minutes == 30.0
    assert result.available_minutes is None
    assert result.booked_pct is None
    assert result.booked_minutes_pct is None
