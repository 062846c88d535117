"""Retries, their bound, and keeping tokens out of everything a person or log can see."""

import logging

import httpx
import pytest
import respx

from capacity_service.providers.errors import (
    ProviderAuthError,
    ProviderRateLimitedError,
    ProviderUnavailableError,
)
from capacity_service.providers.ghl.client import GhlClient
from capacity_service.providers.http import RetryPolicy
from capacity_service.providers.ratelimit import RateLimiterRegistry
from capacity_service.providers.types import CalendlyCredentials, GhlCredentials
from tests.providers.conftest import CALENDLY_TOKEN, GHL_BASE, GHL_TOKEN

CALENDAR = {"calendar": {"id": "cal1", "locationId": "loc1", "name": "Main"}}


async def test_retries_503_then_succeeds(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    route = ghl_api.get("/calendars/cal1").mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, json=CALENDAR)]
    )
    assert (await ghl.get_calendar(ghl_creds, "cal1")).name == "Main"
    assert route.call_count == 3


async def test_retries_429_honouring_retry_after(
    ghl_api: respx.MockRouter, ghl_creds: GhlCredentials, limiters: RateLimiterRegistry
) -> None:
    waits: list[float] = []
    client = GhlClient(base_url=GHL_BASE, limiters=limiters, retry=RetryPolicy(max_seconds=5))
    original = client.http._wait

    def record(state):  # type: ignore[no-untyped-def]
        waits.append(original(state))
        return waits[-1]

    client.http._wait = record  # type: ignore[method-assign]
    route = ghl_api.get("/calendars/cal1").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "0.05"}),
            httpx.Response(200, json=CALENDAR),
        ]
    )
    try:
        await client.get_calendar(ghl_creds, "cal1")
    finally:
        await client.aclose()
    assert route.call_count == 2
    assert waits == [0.05]


async def test_gives_up_when_retry_after_exceeds_the_bound(
    ghl_api: respx.MockRouter, ghl_creds: GhlCredentials, limiters: RateLimiterRegistry
) -> None:
    client = GhlClient(base_url=GHL_BASE, limiters=limiters, retry=RetryPolicy(max_seconds=1))
    route = ghl_api.get("/calendars/cal1").respond(429, headers={"Retry-After": "120"})
    try:
        with pytest.raises(ProviderRateLimitedError) as caught:
            await client.get_calendar(ghl_creds, "cal1")
    finally:
        await client.aclose()
    assert route.call_count == 1
    assert caught.value.retry_after == 120


async def test_gives_up_on_persistent_5xx_after_the_bound(
    ghl_api: respx.MockRouter, ghl_creds: GhlCredentials, limiters: RateLimiterRegistry
) -> None:
    policy = RetryPolicy(
        max_seconds=0.3, initial_backoff_seconds=0.01, max_backoff_seconds=0.05, max_attempts=100
    )
    client = GhlClient(base_url=GHL_BASE, limiters=limiters, retry=policy)
    route = ghl_api.get("/calendars/cal1").respond(503)
    try:
        with pytest.raises(ProviderUnavailableError):
            await client.get_calendar(ghl_creds, "cal1")
    finally:
        await client.aclose()
    assert 2 <= route.call_count < 100


async def test_auth_errors_are_not_retried(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    route = ghl_api.get("/calendars/cal1").respond(401, json={"message": "Invalid token"})
    with pytest.raises(ProviderAuthError):
        await ghl.get_calendar(ghl_creds, "cal1")
    assert route.call_count == 1


def test_tokens_not_in_reprs() -> None:
    ghl = GhlCredentials(location_id="loc1", access_token=GHL_TOKEN)
    calendly = CalendlyCredentials(access_token=CALENDLY_TOKEN, organization_uri="org")
    for value in (ghl, calendly):
        assert GHL_TOKEN not in repr(value)
        assert CALENDLY_TOKEN not in repr(value)
        assert CALENDLY_TOKEN not in str(value)
    assert "loc1" in repr(ghl)


async def test_tokens_not_in_logs_or_errors(
    ghl: GhlClient,
    ghl_api: respx.MockRouter,
    ghl_creds: GhlCredentials,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ghl_api.get("/calendars/cal1").respond(
        503, json={"message": f"upstream said Bearer {GHL_TOKEN}"}
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(ProviderUnavailableError) as caught:
        await ghl.get_calendar(ghl_creds, "cal1")
    assert caplog.records, "retries are logged"
    assert GHL_TOKEN not in caplog.text
    assert GHL_TOKEN not in str(caught.value)
    assert GHL_TOKEN not in repr(caught.value)
    assert GHL_TOKEN not in repr(ghl)
