"""The provider test double on 127.0.0.1 and provider clients pointed at it.

Loaded for every test package from tests/conftest.py. One double serves the whole run; each test
that asks for `fake_state` or `double_providers` gets it with its state emptied first.
"""

from collections.abc import AsyncIterator, Iterator

import pytest

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

QUICK_RETRY = RetryPolicy(max_seconds=0.3, initial_backoff_seconds=0.01, max_backoff_seconds=0.05)


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeProviderServer]:
    with run_fake_provider_server() as server:
        yield server


@pytest.fixture
def fake_state(fake_server: FakeProviderServer) -> FakeProviderState:
    """Emptied once per test, before any fixture that seeds it (they all depend on this one)."""
    fake_server.state.reset()
    return fake_server.state


@pytest.fixture
async def double_providers(
    fake_server: FakeProviderServer, fake_state: FakeProviderState
) -> AsyncIterator[ProviderClients]:
    """Own limiters and short retry bounds, so a failing provider gives up quickly."""
    clients = build_provider_clients(
        ghl_base_url=fake_server.ghl_base_url,
        calendly_base_url=fake_server.calendly_base_url,
        limiters=RateLimiterRegistry(),
        retry=QUICK_RETRY,
    )
    yield clients
    await clients.aclose()


@pytest.fixture
def providers(double_providers: ProviderClients) -> ProviderClients:
    """The clients `provider_app` runs with; packages that mock providers with respx override it."""
    return double_providers
