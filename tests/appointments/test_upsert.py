"""The appointment upsert: idempotent, ordered by provider version, attribution kept, rollup."""

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity_service.appointments.service import upsert_appointment_with_rollup
from capacity_service.db import create_sessionmaker
from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.models import Appointment, Lead
from capacity_service.providers.types import ProviderAppointment
from tests.factories import make_lead, make_workspace

T0 = datetime(2030, 1, 10, 15, 0, tzinfo=UTC)


def ghl_state(
    appointment_id: str = "ghl-appt-1",
    *,
    status: AppointmentStatus | None = AppointmentStatus.CONFIRMED,
    version: datetime | None = T0,
    calendar_id: str | None = "cal-1",
    start_at: datetime = T0 + timedelta(days=3),
) -> ProviderAppointment:
    return ProviderAppointment(
        provider=Provider.GHL,
        external_id=appointment_id,
        attribution=calendar_id,
        status=status,
        provider_status="x",
        start_at=start_at,
        end_at=start_at + timedelta(minutes=30),
        provider_updated_at=version,
        booked_at=T0,
    )


async def _rows(session: AsyncSession) -> list[Appointment]:
    result = await session.scalars(
        select(Appointment).execution_options(populate_existing=True).order_by(Appointment.id)
    )
    return list(result.all())


async def test_same_state_ten_times_is_one_row(session: AsyncSession) -> None:
    workspace = await make_workspace(session)
    lead = await make_lead(session, workspace)
    for _ in range(10):
        await upsert_appointment_with_rollup(
            session, workspace_id=workspace.id, lead_id=lead.id, appointment=ghl_state()
        )
    rows = await _rows(session)
    assert len(rows) == 1
    assert rows[0].ghl_calendar_id == "cal-1"
    assert rows[0].workspace_id == workspace.id


async def test_older_state_does_not_overwrite_newer(session: AsyncSession) -> None:
    workspace = await make_workspace(session)
    lead = await make_lead(session, workspace)
    newer = ghl_state(status=AppointmentStatus.CANCELED, version=T0 + timedelta(minutes=5))
    older = ghl_state(status=AppointmentStatus.CONFIRMED, version=T0, start_at=T0)
    for state in (newer, older):
        await upsert_appointment_with_rollup(
            session, workspace_id=workspace.id, lead_id=lead.id, appointment=state
        )
    (row,) = await _rows(session)
    assert row.status is AppointmentStatus.CANCELED
    assert row.start_at == newer.start_at
    assert row.provider_updated_at == newer.provider_updated_at


async def test_delete_with_same_version_wins_in_either_order(session: AsyncSession) -> None:
    workspace = await make_workspace(session)
    lead = await make_lead(session, workspace)
    live = ghl_state("a", status=AppointmentStatus.CONFIRMED)
    gone = ghl_state("a", status=AppointmentStatus.CANCELED)
    live_b = dataclasses.replace(live, external_id="b")
    gone_b = dataclasses.replace(gone, external_id="b")
    for state in (live, gone, gone_b, live_b):
        await upsert_appointment_with_rollup(
            session, workspace_id=workspace.id, lead_id=lead.id, appointment=state
        )
    assert {r.ghl_appointment_id: r.status for r in await _rows(session)} == {
        "a": AppointmentStatus.CANCELED,
        "b": AppointmentStatus.CANCELED,
    }


async def test_known_attribution_is_never_erased(session: AsyncSession) -> None:
    workspace = await make_workspace(session)
    lead = await make_lead(session, workspace)
    await upsert_appointment_with_rollup(
        session, workspace_id=workspace.id, lead_id=lead.id, appointment=ghl_state()
    )
    await upsert_appointment_with_rollup(
        session,
        workspace_id=workspace.id,
        lead_id=lead.id,
        appointment=ghl_state(version=T0 + timedelta(hours=1), calendar_id=None),
    )
    (row,) = await _rows(session)
    assert row.ghl_calendar_id == "cal-1"


async def test_blank_attribution_is_no_attribution(session: AsyncSession) -> None:
    """A payload with `"calendarId": ""` neither erases known attribution nor counts as one."""
    workspace = await make_workspace(session)
    lead = await make_lead(session, workspace)
    await upsert_appointment_with_rollup(
        session,
        workspace_id=workspace.id,
        lead_id=lead.id,
        appointment=ghl_state("blank-first", calendar_id=" "),
    )
    await upsert_appointment_with_rollup(
        session, workspace_id=workspace.id, lead_id=lead.id, appointment=ghl_state()
    )
    await upsert_appointment_with_rollup(
        session,
        workspace_id=workspace.id,
        lead_id=lead.id,
        appointment=ghl_state(version=T0 + timedelta(hours=1), calendar_id=""),
    )
    rows = {r.ghl_appointment_id: r for r in await _rows(session)}
    assert rows["blank-first"].ghl_calendar_id is None
    assert rows["ghl-appt-1"].ghl_calendar_id == "cal-1"


async def test_older_event_fills_missing_attribution(session: AsyncSession) -> None:
    workspace = await make_workspace(session)
    lead = await make_lead(session, workspace)
    await upsert_appointment_with_rollup(
        session,
        workspace_id=workspace.id,
        lead_id=lead.id,
        appointment=ghl_state(version=T0 + timedelta(hours=1), calendar_id=None),
    )
    await upsert_appointment_with_rollup(
        session, workspace_id=workspace.id, lead_id=lead.id, appointment=ghl_state(version=T0)
    )
    (row,) = await _rows(session)
    assert row.ghl_calendar_id == "cal-1"
    assert row.provider_updated_at == T0 + timedelta(hours=1)


async def test_unmapped_status_keeps_the_stored_status(session: AsyncSession) -> None:
    workspace = await make_workspace(session)
    lead = await make_lead(session, workspace)
    await upsert_appointment_with_rollup(
        session,
        workspace_id=workspace.id,
        lead_id=lead.id,
        appointment=ghl_state(status=AppointmentStatus.SHOWED),
    )
    await upsert_appointment_with_rollup(
        session,
        workspace_id=workspace.id,
        lead_id=lead.id,
        appointment=ghl_state(status=None, version=T0 + timedelta(minutes=1)),
    )
    (row,) = await _rows(session)
    assert row.status is AppointmentStatus.SHOWED


async def test_rollup_follows_the_latest_booked_appointment(session: AsyncSession) -> None:
    workspace = await make_workspace(session)
    lead = await make_lead(session, workspace)
    first = dataclasses.replace(ghl_state("first"), booked_at=T0)
    second = dataclasses.replace(
        ghl_state("second", start_at=T0 + timedelta(days=1)), booked_at=T0 + timedelta(hours=2)
    )
    await upsert_appointment_with_rollup(
        session, workspace_id=workspace.id, lead_id=lead.id, appointment=second
    )
    await upsert_appointment_with_rollup(
        session, workspace_id=workspace.id, lead_id=lead.id, appointment=first
    )
    await session.refresh(lead)
    assert lead.latest_appointment_status is AppointmentStatus.CONFIRMED
    assert lead.latest_appointment_start_at == second.start_at
    assert lead.latest_appointment_booked_at == second.booked_at
    assert lead.latest_appointment_provider is Provider.GHL

    await upsert_appointment_with_rollup(
        session,
        workspace_id=workspace.id,
        lead_id=lead.id,
        appointment=dataclasses.replace(
            second, status=AppointmentStatus.CANCELED, provider_updated_at=T0 + timedelta(days=1)
        ),
    )
    await session.refresh(lead)
    assert lead.latest_appointment_status is AppointmentStatus.CANCELED


async def test_rollup_of_a_lead_with_one_appointment_shows_its_newest_state(
    session: AsyncSession,
) -> None:
    """The upsert and the rollup run as one statement: the rollup must see the row's new state,
    not the one the statement's snapshot holds."""
    workspace = await make_workspace(session)
    lead = await make_lead(session, workspace)
    for status, version in [
        (AppointmentStatus.CONFIRMED, T0),
        (AppointmentStatus.SHOWED, T0 + timedelta(days=4)),
    ]:
        await upsert_appointment_with_rollup(
            session,
            workspace_id=workspace.id,
            lead_id=lead.id,
            appointment=ghl_state(status=status, version=version),
        )
        await session.refresh(lead)
        assert lead.latest_appointment_status is status


async def test_write_for_another_lead_refreshes_the_rollup_of_the_lead_holding_the_row(
    session: AsyncSession,
) -> None:
    workspace = await make_workspace(session)
    holder = await make_lead(session, workspace, email="holder@example.com")
    other = await make_lead(session, workspace, email="other@example.com")
    await upsert_appointment_with_rollup(
        session, workspace_id=workspace.id, lead_id=holder.id, appointment=ghl_state()
    )
    row = await upsert_appointment_with_rollup(
        session,
        workspace_id=workspace.id,
        lead_id=other.id,
        appointment=ghl_state(status=AppointmentStatus.CANCELED, version=T0 + timedelta(hours=1)),
    )
    assert row.lead_id == holder.id
    await session.refresh(holder)
    await session.refresh(other)
    assert holder.latest_appointment_status is AppointmentStatus.CANCELED
    assert holder.latest_appointment_id == row.id
    assert other.latest_appointment_id is None


async def test_concurrent_upserts_of_one_appointment_give_one_row(
    committing_app: FastAPI, engine: AsyncEngine
) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        workspace = await make_workspace(session)
        lead = await make_lead(session, workspace)
    workspace_id, lead_id = workspace.id, lead.id
    appointment_id = f"race-{uuid.uuid4().hex[:8]}"
    states = [
        ghl_state(
            appointment_id,
            status=AppointmentStatus.CANCELED if i == 7 else AppointmentStatus.CONFIRMED,
            version=T0 + timedelta(minutes=i),
        )
        for i in range(8)
    ] * 2

    async def deliver(state: ProviderAppointment) -> None:
        async with sessions() as session, session.begin():
            await upsert_appointment_with_rollup(
                session, workspace_id=workspace_id, lead_id=lead_id, appointment=state
            )

    await asyncio.gather(*(deliver(s) for s in states))

    async with sessions() as session:
        rows = (
            await session.scalars(
                select(Appointment).where(Appointment.ghl_appointment_id == appointment_id)
            )
        ).all()
        lead_row = await session.get(Lead, lead_id)
        count = await session.scalar(select(func.count()).select_from(Appointment))
    assert count == 1
    (row,) = rows
    assert row.status is AppointmentStatus.CANCELED
    assert row.provider_updated_at == T0 + timedelta(minutes=7)
    assert lead_row is not None
    assert lead_row.latest_appointment_status is AppointmentStatus.CANCELED
