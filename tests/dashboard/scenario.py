"""Committed test data for the browser tests: workspaces with a known % booked."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity_service.kit.enums import AppointmentStatus, AvailabilitySource, Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import WorkspaceAvailabilityCache
from tests.factories import make_api_key, make_appointment, make_lead, make_workspace


@dataclass(frozen=True)
class SeededWorkspace:
    id: uuid.UUID
    name: str
    api_key: str
    default_calendar: str
    direct_book_calendar: str


def _slot_times(start: datetime, count: int, *, offset_minutes: int = 0) -> list[datetime]:
    """`count` half-hour slots from tomorrow 09:00 UTC, spread over the next two weeks."""
    day0 = (start + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    return [
        day0 + timedelta(days=i % 14, minutes=offset_minutes + 30 * (i // 14)) for i in range(count)
    ]


async def seed_workspace(
    engine: AsyncEngine,
    cipher: SecretCipher,
    *,
    name: str,
    default_booked: int,
    default_available: int,
    direct_booked: int,
    direct_available: int,
    unattributed: int = 0,
    fetched_ago: timedelta = timedelta(minutes=5),
    last_error: str | None = None,
) -> SeededWorkspace:
    """A workspace with both sources on HighLevel calendars, cached slots and bookings."""
    now = utcnow()
    suffix = uuid.uuid4().hex[:8]
    default_calendar, direct_calendar = f"cal-default-{suffix}", f"cal-direct-{suffix}"
    async with AsyncSession(engine, expire_on_commit=False) as session:
        workspace = await make_workspace(
            session,
            cipher,
            name=name,
            ghl_location_id=f"loc-{suffix}",
            ghl_access_token="pit-test",
            ghl_default_calendar_id=default_calendar,
            ghl_direct_book_calendar_id=direct_calendar,
        )
        key = await make_api_key(session, workspace)
        lead = await make_lead(session, workspace)
        plan = (
            (AvailabilitySource.DEFAULT, default_calendar, default_booked, default_available, 0),
            (AvailabilitySource.DIRECT_BOOK, direct_calendar, direct_booked, direct_available, 5),
        )
        for source, calendar, booked, available, offset in plan:
            session.add(
                WorkspaceAvailabilityCache(
                    workspace_id=workspace.id,
                    source=source,
                    provider=Provider.GHL,
                    identifier=calendar,
                    slots=_slot_times(now, available, offset_minutes=offset),
                    range_start_at=now - fetched_ago,
                    range_end_at=now + timedelta(days=92),
                    fetched_at=now - fetched_ago,
                    last_error=last_error,
                    last_error_at=now - timedelta(minutes=1) if last_error else None,
                )
            )
            for start in _slot_times(now, booked, offset_minutes=offset + 15):
                await make_appointment(session, lead, start_at=start, ghl_calendar_id=calendar)
        for start in _slot_times(now, unattributed, offset_minutes=20):
            await make_appointment(
                session, lead, start_at=start, status=AppointmentStatus.CONFIRMED
            )
        await session.commit()
    return SeededWorkspace(workspace.id, name, key, default_calendar, direct_calendar)
