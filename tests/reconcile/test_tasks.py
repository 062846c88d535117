"""The scheduled reconcile job against the provider test double."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.config import Settings
from capacity_service.jobs.context import JobContext, WorkerResources
from capacity_service.jobs.registry import load_registry
from capacity_service.kit.enums import Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Appointment
from capacity_service.providers import ProviderClients
from capacity_service.providers.fake import DEFAULT_CALENDLY_ORGANIZATION, FakeProviderState
from capacity_service.reconcile.tasks import RECONCILE_ENTRYPOINT, reconcile_task
from tests.factories import make_workspace


def test_reconcile_runs_on_the_reconcile_interval() -> None:
    registry = load_registry()
    (schedule,) = [s for s in registry.schedules if s.entrypoint == RECONCILE_ENTRYPOINT]
    assert schedule.interval_seconds(Settings(reconcile_interval_seconds=3600)) == 3600


async def test_the_reconcile_job_writes_upcoming_bookings_even_when_another_provider_fails(
    engine: AsyncEngine,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    double_providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
) -> None:
    event_type = fake_state.add_calendly_event_type()
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    booking = fake_state.add_calendly_booking(
        event_type_uri=event_type, start=start, email="lead@example.com"
    )
    fake_state.add_ghl_calendar(location_id="loc-reconcile-job", calendar_id="cal-x")
    fake_state.fail("/calendars/events", status=500, times=None)
    workspace = await make_workspace(
        session,
        cipher,
        ghl_access_token="ghl-token-reconcile",
        ghl_location_id="loc-reconcile-job",
        ghl_default_calendar_id="cal-x",
        calendly_access_token="calendly-token-reconcile",
        calendly_organization_uri=DEFAULT_CALENDLY_ORGANIZATION,
    )
    resources = WorkerResources(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        providers=double_providers,
        cipher=cipher,
    )

    await reconcile_task(
        JobContext(resources=resources, job_id=1), {"workspaceId": str(workspace.id)}
    )

    assert fake_state.request_count("/calendars/events", provider="ghl") > 0
    rows = (
        await session.scalars(select(Appointment).where(Appointment.workspace_id == workspace.id))
    ).all()
    assert [(r.provider, r.calendly_invitee_uri) for r in rows] == [
        (Provider.CALENDLY, booking["invitee_uri"])
    ]
    assert rows[0].calendly_event_type_uri == event_type
