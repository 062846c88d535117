"""`capacity-service demo` fills a workspace through the real webhook and refresh paths.

One seeding for the module: it commits, and the tables are emptied after it.
"""

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity_service.availability.tasks import refresh_workspace
from capacity_service.config import Settings
from capacity_service.db import create_sessionmaker
from capacity_service.demo.runner import demo_settings
from capacity_service.demo.seed import DemoWorkspace, seed_demo
from capacity_service.demo.webhooks import GhlSigner
from capacity_service.kit.secrets import SecretCipher
from capacity_service.main import build_providers, create_app
from capacity_service.models import Appointment, WebhookEvent
from capacity_service.providers.fake import FakeProviderServer, run_fake_provider_server
from capacity_service.webhooks.tasks import apply_now
from tests.conftest import ADMIN_TOKEN, ENCRYPTION_KEY, TABLES_TO_CLEAN
from tests.dashboard.live_server import serve_in_thread


@dataclass(frozen=True)
class DemoRun:
    demo: DemoWorkspace
    base_url: str
    fake: FakeProviderServer


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviderServer]:
    with run_fake_provider_server() as server:
        yield server


@pytest.fixture(scope="module")
def signer() -> GhlSigner:
    return GhlSigner()


@pytest.fixture(scope="module")
def wired(database_url: str, fake: FakeProviderServer, signer: GhlSigner) -> Settings:
    base = Settings(
        database_url=database_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        encryption_key=SecretStr(ENCRYPTION_KEY),
    )
    return demo_settings(
        base,
        ghl_base_url=fake.ghl_base_url,
        calendly_base_url=fake.calendly_base_url,
        ghl_public_key=signer.public_pem,
    )


@pytest.fixture(scope="module")
async def demo_run(
    wired: Settings, fake: FakeProviderServer, signer: GhlSigner, engine: AsyncEngine
) -> AsyncIterator[DemoRun]:
    providers = build_providers(wired)
    cipher = SecretCipher(wired.fernet_keys)
    sessionmaker = create_sessionmaker(engine)

    async def refresh(workspace_id: uuid.UUID) -> object:
        return await refresh_workspace(sessionmaker, providers, cipher, wired, workspace_id)

    try:
        with serve_in_thread(create_app(wired)) as base_url:
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
                demo = await seed_demo(
                    client,
                    admin_token=ADMIN_TOKEN,
                    fake=fake.state,
                    signer=signer,
                    refresh=refresh,
                    apply_webhooks=lambda event_ids: apply_now(sessionmaker, event_ids),
                )
            yield DemoRun(demo, base_url, fake)
    finally:
        await providers.aclose()
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {TABLES_TO_CLEAN} CASCADE"))


async def test_demo_workspace_shows_real_numbers_on_the_analytics_api(demo_run: DemoRun) -> None:
    async with httpx.AsyncClient(base_url=demo_run.base_url) as client:
        response = await client.get(
            f"/v1/workspaces/{demo_run.demo.workspace_id}/analytics",
            params={"windowDays": 30},
            headers={"Authorization": f"Bearer {demo_run.demo.api_key}"},
        )
    assert response.status_code == 200
    capacity = response.json()["capacity"]
    assert 10 < capacity["bookedPct"] < 90
    for source in ("DEFAULT", "DIRECT_BOOK"):
        figures = capacity["breakdown"][source]
        assert figures["bookedSlots"] > 0, source
        assert figures["availableSlots"] > 0, source
        assert figures["cacheMeta"]["isStale"] is False
    assert capacity["unattributedBookedSlots"] > 0
    assert capacity["cacheMeta"]["lastError"] is None


async def test_availability_came_from_the_provider_through_the_refresh(
    demo_run: DemoRun,
) -> None:
    assert demo_run.fake.state.request_count("free-slots", provider="ghl") > 0
    assert demo_run.fake.state.request_count("event_type_available_times") > 0


async def test_every_booking_arrived_as_a_stored_signed_webhook(
    demo_run: DemoRun, engine: AsyncEngine
) -> None:
    async with AsyncSession(engine) as session:
        events = await session.scalar(select(func.count()).select_from(WebhookEvent))
        failed = await session.scalar(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.error.is_not(None))
        )
        appointments = await session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.workspace_id == demo_run.demo.workspace_id)
        )
    assert events == demo_run.demo.webhooks
    assert failed == 0
    assert appointments == demo_run.demo.bookings
