"""The scheduled reconcile against the provider test double: deletions, cancels, reschedules."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.config import Settings
from capacity_service.jobs.context import JobContext, WorkerResources
from capacity_service.kit.enums import AppointmentStatus
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Appointment, Workspace
from capacity_service.providers import ProviderClients
from capacity_service.providers.fake import DEFAULT_CALENDLY_ORGANIZATION, FakeProviderState
from capacity_service.reconcile.tasks import reconcile_task
from tests.factories import make_workspace


async def _run(
    workspace: Workspace,
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
) -> None:
    resources = WorkerResources(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        providers=providers,
        cipher=cipher,
    )
    await reconcile_task(
        JobContext(resources=resources, job_id=1), {"workspaceId": str(workspace.id)}
    )


async def _statuses(session: AsyncSession, workspace: Workspace) -> dict[str, AppointmentStatus]:
    rows = await session.scalars(
        select(Appointment)
        .where(Appointment.workspace_id == workspace.id)
        .execution_options(populate_existing=True)
    )
    return {(r.ghl_appointment_id or r.calendly_invitee_uri or ""): r.status for r in rows}


async def test_an_appointment_deleted_in_highlevel_is_canceled_by_the_next_reconcile(
    engine: AsyncEngine,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    double_providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
) -> None:
    fake_state.add_ghl_calendar(location_id="loc-e2e", calendar_id="cal-e2e")
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    kept, deleted = (
        fake_state.add_ghl_appointment(
            location_id="loc-e2e",
            calendar_id="cal-e2e",
            contact_id="contact-e2e",
            start=start + timedelta(hours=hour),
        )
        for hour in (0, 1)
    )
    workspace = await make_workspace(
        session, cipher, ghl_access_token="ghl-token-e2e", ghl_location_id="loc-e2e"
    )
    await _run(workspace, settings, engine, sessionmaker, double_providers, cipher)
    assert await _statuses(session, workspace) == {
        kept: AppointmentStatus.CONFIRMED,
        deleted: AppointmentStatus.CONFIRMED,
    }

    fake_state.delete_ghl_appointment(deleted)
    await _run(workspace, settings, engine, sessionmaker, double_providers, cipher)

    assert await _statuses(session, workspace) == {
        kept: AppointmentStatus.CONFIRMED,
        deleted: AppointmentStatus.CANCELED,
    }


async def test_calendly_cancel_and_reschedule_at_the_provider_reach_the_held_rows(
    engine: AsyncEngine,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    double_providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
) -> None:
    event_type = fake_state.add_calendly_event_type()
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    canceled, rescheduled = (
        fake_state.add_calendly_booking(
            event_type_uri=event_type, start=start + timedelta(hours=hour), email=email
        )["invitee_uri"]
        for hour, email in ((0, "a@example.com"), (1, "b@example.com"))
    )
    workspace = await make_workspace(
        session,
        cipher,
        calendly_access_token="calendly-token-e2e",
        calendly_organization_uri=DEFAULT_CALENDLY_ORGANIZATION,
    )
    await _run(workspace, settings, engine, sessionmaker, double_providers, cipher)
    assert set((await _statuses(session, workspace)).values()) == {AppointmentStatus.CONFIRMED}

    fake_state.cancel_calendly_invitee(canceled)
    successor = fake_state.reschedule_calendly_invitee(rescheduled, start + timedelta(days=1))
    await _run(workspace, settings, engine, sessionmaker, double_providers, cipher)

    assert await _statuses(session, workspace) == {
        canceled: AppointmentStatus.CANCELED,
        rescheduled: AppointmentStatus.RESCHEDULED,
        successor: AppointmentStatus.CONFIRMED,
    }
