"""Weekday x hour grids in the workspace's zone, across daylight-saving changes."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.insight_views.schemas import CapacityHeatmap
from capacity_service.insight_views.service import capacity_heatmap
from capacity_service.kit.enums import AppointmentStatus
from capacity_service.models import Workspace
from tests.factories import make_workspace
from tests.insight_views.builders import book, make_slots

# Thursday; New York moves from EST (UTC-5) to EDT (UTC-4) on Sunday 2026-03-08.
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
MON, TUE, FRI = 1, 2, 5


def utc(month: int, day: int, hour: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


async def heatmap(session: AsyncSession, workspace: Workspace) -> CapacityHeatmap:
    return await capacity_heatmap(
        session,
        workspace,
        window_days=7,
        history_days=150,
        now=NOW,
        staleness_threshold=timedelta(minutes=60),
    )


async def test_local_nine_oclock_stays_in_one_row_across_the_spring_change(
    session: AsyncSession,
) -> None:
    workspace = await make_workspace(
        session, timezone="America/New_York", ghl_default_calendar_id="cal_default"
    )
    await make_slots(
        session,
        workspace,
        [
            utc(3, 6, 14),  # Fri 09:00 EST
            utc(3, 9, 14),  # Mon 10:00 EDT
            utc(3, 10, 13),  # Tue 09:00 EDT
        ],
        fetched_at=NOW,
    )
    await book(session, workspace, utc(3, 9, 13))  # Mon 09:00 EDT
    await book(session, workspace, utc(3, 9, 13), calendar="cal_other")  # not a source

    result = await heatmap(session, workspace)
    cells = {(c.weekday, c.hour): c for c in result.window.cells}

    assert len(result.window.cells) == 168
    assert result.timezone == "America/New_York"
    assert (cells[FRI, 9].booked_slots, cells[FRI, 9].available_slots) == (0, 1)
    assert (cells[MON, 9].booked_slots, cells[MON, 9].available_slots) == (1, 0)
    assert cells[MON, 9].booked_pct == 100.0
    assert (cells[MON, 10].booked_slots, cells[MON, 10].available_slots) == (0, 1)
    assert (cells[TUE, 9].booked_slots, cells[TUE, 9].available_slots) == (0, 1)
    assert cells[MON, 8].available_slots == cells[MON, 8].booked_slots == 0
    assert (result.window.booked_slots, result.window.available_slots) == (1, 3)


async def test_history_counts_held_bookings_by_local_hour_across_the_autumn_change(
    session: AsyncSession,
) -> None:
    """New York moved back to EST on 2025-11-02: 13:00Z before and 14:00Z after are both 09:00."""
    workspace = await make_workspace(
        session, timezone="America/New_York", ghl_default_calendar_id="cal_default"
    )
    await book(session, workspace, utc(10, 27, 13, 2025), status=AppointmentStatus.SHOWED)
    await book(session, workspace, utc(11, 3, 14, 2025), status=AppointmentStatus.NO_SHOW)
    await book(session, workspace, utc(3, 2, 14), calendar=None)  # Mon 09:00 EST, unattributed
    await book(session, workspace, utc(3, 3, 20))  # Tue 15:00 EST
    await book(session, workspace, utc(3, 3, 21), status=AppointmentStatus.CANCELED)

    result = await heatmap(session, workspace)
    cells = {(c.weekday, c.hour): c for c in result.history.cells}

    assert result.history.booked_slots == 4
    assert cells[MON, 9].booked_slots == 3
    assert cells[MON, 9].share_pct == 75.0
    assert cells[TUE, 15].booked_slots == 1
    assert cells[TUE, 16].booked_slots == 0
    assert "not stored" in result.history.note
