"""Test data for the insight views: cache rows with seats and slot length, bookings."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.enums import AppointmentStatus, AvailabilitySource, Provider
from capacity_service.models import Appointment, Workspace, WorkspaceAvailabilityCache
from tests.factories import make_appointment, make_lead


async def make_slots(
    session: AsyncSession,
    workspace: Workspace,
    slots: list[datetime],
    *,
    fetched_at: datetime,
    identifier: str = "cal_default",
    source: AvailabilitySource = AvailabilitySource.DEFAULT,
    provider: Provider = Provider.GHL,
    seats: list[int] | None = None,
    slot_duration_minutes: int | None = 30,
) -> WorkspaceAvailabilityCache:
    ordered = sorted(zip(slots, seats or [1] * len(slots), strict=True))
    row = WorkspaceAvailabilityCache(
        workspace_id=workspace.id,
        source=source,
        provider=provider,
        identifier=identifier,
        slots=[s for s, _ in ordered],
        slot_seats=None if seats is None else [n for _, n in ordered],
        slot_duration_minutes=slot_duration_minutes,
        range_start_at=fetched_at,
        range_end_at=fetched_at + timedelta(days=92),
        fetched_at=fetched_at,
    )
    session.add(row)
    await session.flush()
    return row


async def book(
    session: AsyncSession,
    workspace: Workspace,
    start: datetime,
    *,
    minutes: int = 30,
    calendar: str | None = "cal_default",
    event_type: str | None = None,
    status: AppointmentStatus = AppointmentStatus.CONFIRMED,
    booked_at: datetime | None = None,
) -> Appointment:
    lead = await make_lead(session, workspace)
    if event_type is not None:
        return await make_appointment(
            session,
            lead,
            start_at=start,
            end_at=start + timedelta(minutes=minutes),
            status=status,
            provider=Provider.CALENDLY,
            calendly_event_type_uri=event_type,
            booked_at=booked_at,
        )
    return await make_appointment(
        session,
        lead,
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        status=status,
        ghl_calendar_id=calendar,
        booked_at=booked_at,
    )
