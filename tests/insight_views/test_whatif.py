"""What-if: recurring hours added or removed, figures recomputed, nothing stored."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.exceptions import UnprocessableEntity
from capacity_service.insight_views.schemas import WhatIfRequest, WhatIfResult
from capacity_service.insight_views.service import capacity_minutes, what_if
from capacity_service.kit.enums import AvailabilitySource
from capacity_service.models import Workspace, WorkspaceAvailabilityCache
from tests.factories import make_workspace
from tests.insight_views.builders import book, make_slots

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # Monday; the 7-day window ends Monday 9 March
TUE, WED = 2, 3


def at(days: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2 + days, hour, minute, tzinfo=UTC)


async def eighty_percent(session: AsyncSession) -> Workspace:
    """Tuesday: open 09:00 and 09:30, booked 10:00-14:00 in eight 30-minute bookings."""
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    await make_slots(session, workspace, [at(1, 9), at(1, 9, 30)], fetched_at=NOW)
    for i in range(8):
        await book(session, workspace, at(1, 10) + timedelta(minutes=30 * i))
    return workspace


async def run(
    session: AsyncSession, workspace: Workspace, *changes: dict[str, object]
) -> WhatIfResult:
    request = WhatIfRequest.model_validate({"changes": list(changes)})
    return await what_if(session, workspace, request, window_days=7, now=NOW)


async def test_adding_wednesday_morning_brings_eighty_percent_down_to_fifty(
    session: AsyncSession,
) -> None:
    workspace = await eighty_percent(session)

    result = await run(
        session,
        workspace,
        {"weekday": WED, "startTime": "09:00", "endTime": "12:00", "change": "add"},
    )

    assert (result.baseline.booked_slots, result.baseline.available_slots) == (8, 2)
    assert result.baseline.booked_pct == 80.0
    assert result.projected.available_slots == 8  # six 30-minute slots, one Wednesday
    assert result.projected.booked_pct == 50.0
    assert result.baseline.booked_minutes_pct == 80.0
    assert result.projected.booked_minutes_pct == 50.0
    assert result.changes[0].slots_added == 6
    stored = await session.scalar(
        select(func.cardinality(WorkspaceAvailabilityCache.slots)).where(
            WorkspaceAvailabilityCache.workspace_id == workspace.id
        )
    )
    assert stored == 2


async def test_adding_hours_already_open_or_booked_adds_nothing(session: AsyncSession) -> None:
    workspace = await eighty_percent(session)

    result = await run(
        session,
        workspace,
        {"weekday": TUE, "startTime": "09:00", "endTime": "11:00", "change": "add"},
    )

    assert result.changes[0].slots_added == 0
    assert result.projected.booked_pct == 80.0


async def test_removing_hours_drops_open_slots_and_keeps_bookings(session: AsyncSession) -> None:
    workspace = await eighty_percent(session)

    result = await run(
        session,
        workspace,
        {"weekday": TUE, "startTime": "09:30", "endTime": "17:00", "change": "remove"},
    )

    assert result.changes[0].slots_removed == 1
    assert (result.projected.booked_slots, result.projected.available_slots) == (8, 1)
    assert result.projected.booked_pct == 88.9


async def test_changes_apply_in_order(session: AsyncSession) -> None:
    workspace = await eighty_percent(session)

    result = await run(
        session,
        workspace,
        {"weekday": TUE, "startTime": "00:00", "endTime": "24:00", "change": "remove"},
        {"weekday": WED, "startTime": "09:00", "endTime": "10:00", "change": "add"},
    )

    assert [(c.slots_removed, c.slots_added) for c in result.changes] == [(2, 0), (0, 2)]
    assert result.projected.available_slots == 2


async def test_baseline_matches_the_minutes_view(session: AsyncSession) -> None:
    workspace = await eighty_percent(session)
    await make_slots(
        session,
        workspace,
        [at(8, 9)],
        fetched_at=NOW,
        identifier="cal_other",
        source=AvailabilitySource.DIRECT_BOOK,
    )

    result = await run(
        session,
        workspace,
        {"weekday": WED, "startTime": "09:00", "endTime": "10:00", "change": "add"},
    )
    view = await capacity_minutes(
        session, workspace, window_days=7, now=NOW, staleness_threshold=timedelta(minutes=60)
    )

    assert result.baseline.booked_pct == view.booked_pct
    assert result.baseline.booked_minutes == view.booked_minutes
    assert result.baseline.available_minutes == view.available_minutes


async def test_an_unconfigured_source_is_rejected(session: AsyncSession) -> None:
    workspace = await eighty_percent(session)

    with pytest.raises(UnprocessableEntity, match="DIRECT_BOOK"):
        await run(
            session,
            workspace,
            {
                "source": "DIRECT_BOOK",
                "weekday": WED,
                "startTime": "09:00",
                "endTime": "10:00",
                "change": "add",
            },
        )


async def test_a_source_never_fetched_shows_no_percentage(session: AsyncSession) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    await book(session, workspace, at(1, 10))
    await book(session, workspace, NOW - timedelta(days=7))  # gives the slot length, 30

    result = await run(
        session,
        workspace,
        {"weekday": WED, "startTime": "09:00", "endTime": "10:00", "change": "add"},
    )

    assert result.projected.available_slots == 2
    assert result.baseline.booked_pct is None
    assert result.projected.booked_pct is None
    assert result.projected.booked_minutes_pct is None
