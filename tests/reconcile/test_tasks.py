"""The scheduled reconcile job against the provider test double."""

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.config import Settings
from capacity_service.jobs.context import JobContext, WorkerResources
from capacity_service.jobs.registry import load_registry
from capacity_service.kit.enums import Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Appointment
from capacity_service.providers import (
    ProviderClients,
    RateLimiterRegistry,
    RetryPolicy,
    build_provider_clients,
)
from capacity_service.providers.fake import (
    DEFAULT_CALENDLY_ORGANIZATION,
    FakeProviderServer,
    FakeProviderState,
    run_fake_provider_server,
)
from capacity_service.reconcile.tasks import RECONCILE_ENTRYPOINT, reconcile_task
from tests.factories import make_workspace


@pytest.fixture(scope="module")
def double() -> Iterator[FakeProviderServer]:
    with run_fake_provider_server() as server:
        yield server


@pytest.fixture
async def double_clients(double: FakeProviderServer) -> AsyncIterator[ProviderClients]:
    double.state.reset()
    clients = build_provider_clients(
        ghl_base_url=double.ghl_base_url,
        calendly_base_url=double.calendly_base_url,
        limiters=RateLimiterRegistry(),
        retry=RetryPolicy(max_seconds=0.3, initial_backoff_seconds=0.01, max_backoff_seconds=0.05),
    )
    yield clients
    await clients.aclose()


def test_reconcile_runs_on_the_reconcile_interval() -> None:
    registry = load_registry()
    (schedule,) = [s for s in registry.schedules if s.entrypoint == RECONCILE_ENTRYPOINT]
    assert schedule.interval_seconds(Settings(reconcile_interval_seconds=3600)) == 3600


async def test_the_reconcile_job_writes_upcoming_bookings_even_when_another_provider_fails(
    engine: AsyncEngine,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    double: FakeProviderServer,
    double_clients: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
) -> None:
    state: FakeProviderState = double.state
    event_type = state.add_calendly_event_type()
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    booking = state.add_calendly_booking(
        event_type_uri=event_type, start=start, email="lead@example.com"
    )
    state.add_ghl_calendar(location_id="loc-reconcile-job", calendar_id="cal-x")
    state.fail("/calendars/events", status=500, times=None)
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
        providers=double_clients,
        cipher=cipher,
    )

    await reconcile_task(
        JobContext(resources=resources, job_id=1), {"workspaceId": str(workspace.id)}
    )

    assert state.request_count("/calendars/events", provider="ghl") > 0
    rows = (
        await session.scalars(select(Appointment).where(Appointment.workspace_id == workspace.id))
    ).all()
    assert [(r.provider, r.calendly_invitee_uri) for r in rows] == [
        (Provider.CALENDLY, booking["invitee_uri"])
    ]
    assert rows[0].calendly_event_type_uri == event_type
