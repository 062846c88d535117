"""Fixtures for the provider tests: clients over respx or over the test double. No database."""

from collections.abc import AsyncIterator, Iterator

import pytest
import respx

from capacity_service.providers.calendly.client import CalendlyClient
from capacity_service.providers.fake import FakeProviderServer, FakeProviderState
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


@pytest.fixture
def fake(fake_server: FakeProviderServer, fake_state: FakeProviderState) -> FakeProviderServer:
    """The test double (tests/support) with its state emptied for this test."""
    return fake_server
