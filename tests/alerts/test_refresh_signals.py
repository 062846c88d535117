"""A refresh queues an alert evaluation; a provider refusing the token becomes one alert."""

import json
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.alerts.dispatch import EVALUATE_ENTRYPOINT
from capacity_service.alerts.tasks import evaluate_task
from capacity_service.availability.repository import AvailabilityCacheRepository
from capacity_service.availability.tasks import refresh_workspace
from capacity_service.config import Settings
from capacity_service.jobs.context import JobContext, WorkerResources
from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Alert
from capacity_service.providers import ProviderClients
from capacity_service.providers.fake import FakeProviderState
from capacity_service.workspaces.sources import SourceConfig
from tests.alerts.conftest import queued_jobs
from tests.factories import make_workspace

GHL_TOKEN = "ghl-token-alerts"


async def test_a_401_on_refresh_records_an_authentication_signal_and_opens_one_alert(
    engine: AsyncEngine,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    fake_state: FakeProviderState,
    cipher: SecretCipher,
    settings: Settings,
) -> None:
    calendar_id = fake_state.add_ghl_calendar(
        location_id="ignored", slots=[utcnow().replace(microsecond=0) + timedelta(hours=5)]
    )
    workspace = await make_workspace(
        session,
        cipher,
        ghl_access_token=GHL_TOKEN,
        ghl_location_id=f"loc-alerts-{uuid.uuid4().hex[:6]}",
        ghl_default_calendar_id=calendar_id,
    )
    fake_state.revoke_token(GHL_TOKEN)
    context = JobContext(
        resources=WorkerResources(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            providers=providers,
            cipher=cipher,
        ),
        job_id=0,
    )

    for _ in range(2):
        await refresh_workspace(sessionmaker, providers, cipher, settings, workspace.id)
        jobs = await queued_jobs(session, EVALUATE_ENTRYPOINT)
        await evaluate_task(context, json.loads(bytes(jobs[-1]["payload"])))  # type: ignore[arg-type]

    meta = await AvailabilityCacheRepository(session).get_meta(
        workspace.id, SourceConfig(AvailabilitySource.DEFAULT, Provider.GHL, calendar_id)
    )
    assert meta is not None
    assert meta.last_error_kind == "authentication"
    assert meta.consecutive_failures == 2
    assert GHL_TOKEN not in (meta.last_error or "")
    alerts = (await session.scalars(select(Alert).where(Alert.workspace_id == workspace.id))).all()
    assert [(a.kind, a.scope, a.state) for a in alerts] == [
        ("data_quality_auth", "DEFAULT", "open")
    ]
    assert alerts[0].figures["consecutiveFailures"] == 1
