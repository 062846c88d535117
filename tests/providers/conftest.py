"""Fixtures for the provider tests: clients over respx or over the test double. No database."""

from collections.abc import AsyncIterator, Iterator

import pytest
import respx

from capacity_service.providers.calendly.client import CalendlyClient
from capacity_service.providers.fake import (
    FakeProviderServer,
    FakeProviderState,
    run_fake_provider_server,
)
from capacity_service.providers.ghl.client import GhlClient
from capacity_service.providers.http import RetryPolicy
from capacity_service.providers.ratelimit import RateLimiterRegistry
from capacity_service.providers.types import CalendlyCredentials, GhlCredentials

GHL_BASE = "https://ghl.test"
CALENDLY_BASE = "https://calendly.test"
GHL_TOKEN = "ghl-secret-token-123456"
CALENDLY_TOKEN = "calendly-secret-token-654321"
ORG = "https://api.calendly.com/organizations/ORG1"
FAST_RETRY = RetryPolicy(max_seconds=2.0, initial_backoff_seconds=0.001, max_backoff_seconds=0.01)


@pytest.fixture
def limiters() -> RateLimiterRegistry:
    """A registry of its own per test, so budgets learned in one test do not leak."""
    return RateLimiterRegistry()


@pytest.fixture
def ghl_creds() -> GhlCredentials:
    return GhlCredentials(location_id="loc1", access_token=GHL_TOKEN)


@pytest.fixture
def calendly_creds() -> CalendlyCredentials:
    return CalendlyCredentials(access_token=CALENDLY_TOKEN, organization_uri=ORG)


@pytest.fixture
async def ghl(limiters: RateLimiterRegistry) -> AsyncIterator[GhlClient]:
    client = GhlClient(base_url=GHL_BASE, retry=FAST_RETRY, limiters=limiters)
    yield client
    await client.aclose()


@pytest.fixture
async def calendly(limiters: RateLimiterRegistry) -> AsyncIterator[CalendlyClient]:
    client = CalendlyClient(base_url=CALENDLY_BASE, retry=FAST_RETRY, limiters=limiters)
    yield client
    await client.aclose()


@pytest.fixture
def ghl_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=GHL_BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
def calendly_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=CALENDLY_BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeProviderServer]:
    """One test double on 127.0.0.1 for the session; use `fake` to get it with clean state."""
    with run_fake_provider_server() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeProviderServer) -> FakeProviderServer:
    fake_server.state.reset()
    return fake_server


@pytest.fixture
def fake_state(fake: FakeProviderServer) -> FakeProviderState:
    return fake.state
