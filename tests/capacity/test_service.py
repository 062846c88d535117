"""% booked from hand-computed scenarios (DESIGN.md, "The metric")."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.capacity.schemas import Capacity
from capacity_service.capacity.service import booked_pct, compute_capacity
from capacity_service.kit.enums import AppointmentStatus, AvailabilitySource, Provider
from capacity_service.models import Workspace
from tests.capacity.builders import make_cache
from tests.factories import make_appointment, make_lead, make_workspace

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
END = NOW + timedelta(days=30)
FRESH = NOW - timedelta(minutes=5)
DEFAULT = AvailabilitySource.DEFAULT
DIRECT = AvailabilitySource.DIRECT_BOOK


def at(days: float) -> datetime:
    return NOW + timedelta(days=days)


async def capacity(
    session: AsyncSession, workspace: Workspace, *, now: datetime = NOW, days: int = 30
) -> Capacity:
    return await compute_capacity(
        session, workspace, window_days=days, now=now, staleness_threshold=timedelta(minutes=60)
    )


async def book(
    session: AsyncSession,
    workspace: Workspace,
    start: datetime,
    *,
    calendar: str | None = "cal_default",
    status: AppointmentStatus = AppointmentStatus.CONFIRMED,
) -> None:
    lead = await make_lead(session, workspace)
    await make_appointment(session, lead, start_at=start, status=status, ghl_calendar_id=calendar)


def test_percentage_is_one_decimal_half_up_and_null_without_denominator() -> None:
    assert booked_pct(0, 0) is None
    assert booked_pct(1, 2) == 33.3
    assert booked_pct(2, 1) == 66.7
    assert booked_pct(49, 351) == 12.3  # 12.25 exactly
    assert booked_pct(3, 0) == 100.0


async def test_no_sources_configured(session: AsyncSession) -> None:
    workspace = await make_workspace(session)
    await book(session, workspace, at(1), calendar=None)
    await book(session, workspace, at(2), calendar="cal_x")

    result = await capacity(session, workspace)

    assert result.booked_pct is None
    assert (result.booked_slots, result.available_slots, result.total_slots) == (0, 0, 0)
    assert result.unattributed_booked_slots == 2
    for source in (result.breakdown.default, result.breakdown.direct_book):
        assert source.provider is None
        assert source.identifier is None
        assert source.booked_pct is None
        assert (source.booked_slots, source.available_slots, source.total_slots) == (0, 0, 0)
        assert source.cache_meta.fetched_at_iso is None
        assert source.cache_meta.is_stale is True
    assert result.cache_meta.fetched_at_iso is None
    assert result.cache_meta.is_stale is True
    payload = result.model_dump(mode="json", by_alias=True)
    assert set(payload["breakdown"]) == {"DEFAULT", "DIRECT_BOOK"}
    assert payload["windowStartIso"] == "2026-03-01T12:00:00.000Z"
    assert payload["windowEndIso"] == "2026-03-31T12:00:00.000Z"


async def test_configured_but_never_fetched_is_stale_with_null_percentage(
    session: AsyncSession,
) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    await book(session, workspace, at(1))

    result = await capacity(session, workspace)

    default = result.breakdown.default
    assert default.provider is Provider.GHL
    assert default.identifier == "cal_default"
    assert (default.booked_slots, default.available_slots) == (1, 0)
    assert default.booked_pct is None
    assert default.cache_meta.is_stale is True
    assert default.cache_meta.fetched_at_iso is None
    assert result.booked_pct is None
    assert result.booked_slots == 1
    assert result.cache_meta.is_stale is True
    assert result.unattributed_booked_slots == 0


async def test_fresh_cache_gives_the_percentage(session: AsyncSession) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    await make_cache(
        session, workspace, DEFAULT, "cal_default", [at(d) for d in (1, 2, 3)], fetched_at=FRESH
    )
    await book(session, workspace, at(4))

    result = await capacity(session, workspace)

    assert (result.booked_slots, result.available_slots, result.total_slots) == (1, 3, 4)
    assert result.booked_pct == 25.0
    assert result.breakdown.default.booked_pct == 25.0
    assert result.cache_meta.is_stale is False
    assert result.cache_meta.fetched_at_iso == "2026-03-01T11:55:00.000Z"
    assert result.cache_meta.last_error is None


async def test_cache_older_than_threshold_is_stale_but_still_counted(
    session: AsyncSession,
) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    await make_cache(
        session,
        workspace,
        DEFAULT,
        "cal_default",
        [at(1)],
        fetched_at=NOW - timedelta(hours=2),
        last_error="HighLevel answered 503",
    )
    await book(session, workspace, at(2))

    result = await capacity(session, workspace)

    assert result.booked_pct == 50.0
    assert result.breakdown.default.cache_meta.is_stale is True
    assert result.cache_meta.is_stale is True
    assert result.cache_meta.fetched_at_iso == "2026-03-01T10:00:00.000Z"
    assert result.cache_meta.last_error == "HighLevel answered 503"


async def test_cached_range_ending_before_the_window_ends_is_stale(
    session: AsyncSession,
) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    await make_cache(
        session, workspace, DEFAULT, "cal_default", [at(1)], fetched_at=FRESH, range_end_at=at(7)
    )

    assert (await capacity(session, workspace, days=7)).cache_meta.is_stale is False
    assert (await capacity(session, workspace, days=8)).cache_meta.is_stale is True


async def test_both_sources_on_one_identifier_count_once(session: AsyncSession) -> None:
    workspace = await make_workspace(
        session, ghl_default_calendar_id="cal_shared", ghl_direct_book_calendar_id="cal_shared"
    )
    slots = [at(d) for d in (1, 2, 3, 4, 5, 6)]
    await make_cache(session, workspace, DEFAULT, "cal_shared", slots, fetched_at=FRESH)
    await make_cache(session, workspace, DIRECT, "cal_shared", slots, fetched_at=FRESH)
    await book(session, workspace, at(7), calendar="cal_shared")
    await book(session, workspace, at(8), calendar="cal_shared")

    result = await capacity(session, workspace)

    assert result.breakdown.default.booked_pct == 25.0
    assert result.breakdown.direct_book.booked_pct == 25.0
    assert (result.booked_slots, result.available_slots, result.total_slots) == (2, 6, 8)
    assert result.booked_pct == 25.0
    assert sum(d.booked_slots for d in result.daily) == 2
    assert sum(d.available_slots for d in result.daily) == 6


async def test_two_sources_are_summed(session: AsyncSession) -> None:
    workspace = await make_workspace(
        session,
        ghl_default_calendar_id="cal_default",
        calendly_direct_book_event_type_uri="https://api.calendly.com/event_types/direct",
    )
    direct = "https://api.calendly.com/event_types/direct"
    await make_cache(
        session, workspace, DEFAULT, "cal_default", [at(1), at(2), at(3)], fetched_at=FRESH
    )
    await make_cache(
        session, workspace, DIRECT, direct, [at(1)], fetched_at=FRESH, provider=Provider.CALENDLY
    )
    for day in (4, 5, 6, 7, 8, 9, 10):
        await book(session, workspace, at(day))
    lead = await make_lead(session, workspace)
    await make_appointment(
        session, lead, start_at=at(2), provider=Provider.CALENDLY, calendly_event_type_uri=direct
    )

    result = await capacity(session, workspace)

    assert result.breakdown.default.booked_pct == 70.0  # 7 / (7 + 3)
    assert result.breakdown.direct_book.booked_pct == 50.0  # 1 / (1 + 1)
    assert result.breakdown.direct_book.provider is Provider.CALENDLY
    assert (result.booked_slots, result.available_slots) == (8, 4)
    assert result.booked_pct == 66.7


@pytest.mark.parametrize(
    "status",
    [
        AppointmentStatus.CANCELED,
        AppointmentStatus.RESCHEDULED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.SHOWED,
    ],
)
async def test_only_confirmed_appointments_are_booked(
    session: AsyncSession, status: AppointmentStatus
) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    await make_cache(session, workspace, DEFAULT, "cal_default", [at(1)], fetched_at=FRESH)
    await book(session, workspace, at(2), status=status)
    await book(session, workspace, at(3), calendar=None, status=status)

    result = await capacity(session, workspace)

    assert result.booked_slots == 0
    assert result.unattributed_booked_slots == 0
    assert result.booked_pct == 0.0


async def test_window_start_is_inclusive_and_end_exclusive(session: AsyncSession) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    tick = timedelta(microseconds=1)
    await make_cache(
        session,
        workspace,
        DEFAULT,
        "cal_default",
        [NOW - tick, NOW, END - tick, END],
        fetched_at=FRESH,
    )
    for start in (NOW - tick, NOW, END - tick, END):
        await book(session, workspace, start)

    result = await capacity(session, workspace)

    assert (result.booked_slots, result.available_slots) == (2, 2)
    assert result.daily[0].date == date(2026, 3, 1)
    assert (result.daily[0].booked_slots, result.daily[0].available_slots) == (1, 1)
    assert result.daily[-1].date == date(2026, 3, 31)
    assert (result.daily[-1].booked_slots, result.daily[-1].available_slots) == (1, 1)


async def test_unattributed_bookings_are_shown_but_not_in_the_percentage(
    session: AsyncSession,
) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    await make_cache(
        session, workspace, DEFAULT, "cal_default", [at(1), at(2), at(3)], fetched_at=FRESH
    )
    await book(session, workspace, at(4))
    await book(session, workspace, at(5), calendar=None)
    await book(session, workspace, at(6), calendar="cal_retired")

    result = await capacity(session, workspace)

    assert result.unattributed_booked_slots == 2
    assert (result.booked_slots, result.available_slots) == (1, 3)
    assert result.booked_pct == 25.0
    assert sum(d.booked_slots for d in result.daily) == 1


async def test_slots_of_a_previous_identifier_are_not_served(session: AsyncSession) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_new")
    await make_cache(session, workspace, DEFAULT, "cal_old", [at(1), at(2)], fetched_at=FRESH)

    result = await capacity(session, workspace)

    assert result.available_slots == 0
    assert result.breakdown.default.cache_meta.fetched_at_iso is None
    assert result.breakdown.default.cache_meta.is_stale is True
    assert result.booked_pct is None


async def test_day_series_follows_the_workspace_zone_across_a_dst_change(
    session: AsyncSession,
) -> None:
    # America/New_York springs forward on 2026-03-08 at 02:00 (EST -5 -> EDT -4).
    workspace = await make_workspace(
        session, timezone="America/New_York", ghl_default_calendar_id="cal_default"
    )
    now = datetime(2026, 3, 7, 5, 0, tzinfo=UTC)  # 2026-03-07 00:00 EST
    slots = [
        datetime(2026, 3, 8, 4, 30, tzinfo=UTC),  # 03-07 23:30 EST
        datetime(2026, 3, 8, 5, 30, tzinfo=UTC),  # 03-08 00:30 EST
        datetime(2026, 3, 9, 3, 30, tzinfo=UTC),  # 03-08 23:30 EDT
        datetime(2026, 3, 9, 4, 30, tzinfo=UTC),  # 03-09 00:30 EDT (03-08 with a fixed -5)
    ]
    await make_cache(session, workspace, DEFAULT, "cal_default", slots, fetched_at=now)
    await book(session, workspace, datetime(2026, 3, 9, 4, 15, tzinfo=UTC))  # 03-09 00:15 EDT

    result = await capacity(session, workspace, now=now, days=2)

    # The window ends 48 hours later: 2026-03-09 05:00Z = 01:00 EDT, so 03-09 is a partial day.
    assert result.timezone == "America/New_York"
    assert [(d.date, d.booked_slots, d.available_slots) for d in result.daily] == [
        (date(2026, 3, 7), 0, 1),
        (date(2026, 3, 8), 0, 2),
        (date(2026, 3, 9), 1, 1),
    ]


async def test_window_from_local_midnight_has_one_entry_per_day(session: AsyncSession) -> None:
    workspace = await make_workspace(session, timezone="Europe/Berlin")
    now = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)  # 2026-07-01 00:00 CEST

    result = await capacity(session, workspace, now=now, days=30)

    assert len(result.daily) == 30
    assert result.daily[0].date == date(2026, 7, 1)
    assert result.daily[-1].date == date(2026, 7, 30)
