"""An app whose provider clients talk to respx-mocked hosts (no network)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.config import Settings
from capacity_service.main import create_app
from capacity_service.providers import ProviderClients, build_provider_clients
from capacity_service.providers.http import RetryPolicy
from capacity_service.providers.ratelimit import RateLimiterRegistry

GHL_BASE = "https://ghl.test"
CALENDLY_BASE = "https://calendly.test"
FAST_RETRY = RetryPolicy(max_seconds=0.5, initial_backoff_seconds=0.001, max_backoff_seconds=0.01)


@pytest.fixture
async def providers() -> AsyncIterator[ProviderClients]:
    clients = build_provider_clients(
        ghl_base_url=GHL_BASE,
        calendly_base_url=CALENDLY_BASE,
        retry=FAST_RETRY,
        limiters=RateLimiterRegistry(),
    )
    yield clients
    await clients.aclose()


@pytest.fixture
async def provider_client(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(settings, engine=engine, providers=providers)
    async with application.router.lifespan_context(application):
        application.state.sessionmaker = sessionmaker
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
