"""Provider clients that talk to respx-mocked hosts (no network), for `provider_client`."""

from collections.abc import AsyncIterator

import pytest

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
