"""The provider test double on 127.0.0.1 and provider clients pointed at it."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.config import Settings
from capacity_service.main import create_app
from capacity_service.providers import (
    ProviderClients,
    RateLimiterRegistry,
    RetryPolicy,
    build_provider_clients,
)
from capacity_service.providers.fake import (
    FakeProviderServer,
    FakeProviderState,
    run_fake_provider_server,
)

GHL_TOKEN = "ghl-token-availability"
CALENDLY_TOKEN = "calendly-token-availability"
LOCATION_ID = "loc-availability"


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeProviderServer]:
    with run_fake_provider_server() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeProviderServer) -> FakeProviderState:
    fake_server.state.reset()
    return fake_server.state


@pytest.fixture
async def providers(fake_server: FakeProviderServer) -> AsyncIterator[ProviderClients]:
    """Own limiters and short retry bounds, so a failing provider gives up quickly."""
    clients = build_provider_clients(
        ghl_base_url=fake_server.ghl_base_url,
        calendly_base_url=fake_server.calendly_base_url,
        limiters=RateLimiterRegistry(),
        retry=RetryPolicy(max_seconds=0.3, initial_backoff_seconds=0.01, max_backoff_seconds=0.05),
    )
    yield clients
    await clients.aclose()


@pytest.fixture
async def provider_app(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
) -> AsyncIterator[FastAPI]:
    application = create_app(settings, engine=engine, providers=providers)
    async with application.router.lifespan_context(application):
        application.state.sessionmaker = sessionmaker
        yield application


@pytest.fixture
async def provider_client(provider_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=provider_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
