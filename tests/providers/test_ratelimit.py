"""The per-account limiter: learned budgets, 429 pauses, and never exceeding a provider's limit."""

import asyncio
from datetime import timedelta

from capacity_service.kit.enums import Provider
from capacity_service.kit.time import utcnow
from capacity_service.providers.calendly.client import CalendlyClient
from capacity_service.providers.fake import FakeProviderServer
from capacity_service.providers.ghl.client import GhlClient
from capacity_service.providers.http import RetryPolicy
from capacity_service.providers.ratelimit import (
    RateLimiterRegistry,
    RateLimitHeaders,
    RateLimitPolicy,
    parse_retry_after,
)
from capacity_service.providers.types import CalendlyCredentials, GhlCredentials


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_registry_shares_one_limiter_per_account() -> None:
    registry = RateLimiterRegistry()
    assert registry.get(Provider.GHL, "loc1") is registry.get(Provider.GHL, "loc1")
    assert registry.get(Provider.GHL, "loc1") is not registry.get(Provider.GHL, "loc2")
    assert registry.get(Provider.GHL, "x") is not registry.get(Provider.CALENDLY, "x")
    assert registry.get(Provider.GHL, "loc1").limit == 100  # HighLevel docs: 100 per 10 s


def test_headers_of_both_providers_parse() -> None:
    ghl = RateLimitHeaders.parse(
        {
            "x-ratelimit-max": "100",
            "x-ratelimit-remaining": "42",
            "x-ratelimit-interval-milliseconds": "10000",
            "x-ratelimit-daily-remaining": "199000",
        }
    )
    assert (ghl.limit, ghl.remaining, ghl.window_seconds) == (100, 42, 10.0)
    calendly = RateLimitHeaders.parse(
        {"x-ratelimit-limit": "500", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "37"}
    )
    assert (calendly.limit, calendly.remaining, calendly.reset_seconds) == (500, 0, 37.0)
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


async def test_budget_is_learned_and_used_concurrently() -> None:
    clock = FakeClock()
    registry = RateLimiterRegistry({Provider.GHL: RateLimitPolicy(10, 10.0)}, clock=clock)
    limiter = registry.get(Provider.GHL, "loc1")
    async with limiter.slot() as slot:  # the first call goes alone and calibrates
        slot.observe(
            200,
            {
                "X-RateLimit-Max": "3",
                "X-RateLimit-Remaining": "2",
                "X-RateLimit-Interval-Milliseconds": "5000",
            },
        )
    assert (limiter.limit, limiter.window_seconds) == (3, 5.0)
    assert limiter.available() == 2
    await asyncio.wait_for(asyncio.gather(limiter.acquire(), limiter.acquire()), 1)
    assert limiter.available() == 0
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    clock.now += 5.0 + limiter.margin  # the first unit comes back one window after its use
    limiter.observe(RateLimitHeaders(), status_code=200, started=clock.now)  # wake the queue
    await asyncio.wait_for(waiter, 1)


async def test_a_caller_out_of_time_while_the_first_call_is_unanswered_goes_ahead() -> None:
    """Waiting for the first answer is not waiting for budget: none is known to be spent."""
    limiter = RateLimiterRegistry({Provider.CALENDLY: RateLimitPolicy(10, 10.0)}).get(
        Provider.CALENDLY, "user1"
    )
    probe = limiter.slot()
    await probe.__aenter__()  # the first call is in flight, unanswered

    await limiter.acquire(max_wait=0.05)  # would raise ProviderRateLimitedError before

    assert limiter.available() == 8
    await probe.__aexit__(None, None, None)


async def test_a_unit_is_held_one_window_after_its_response_not_its_send() -> None:
    """A slow answer may have been counted by the provider late in its flight."""
    clock = FakeClock()
    registry = RateLimiterRegistry({Provider.GHL: RateLimitPolicy(1, 10.0)}, clock=clock)
    limiter = registry.get(Provider.GHL, "loc1")
    async with limiter.slot() as slot:
        clock.now += 4.0  # the request takes 4 s to answer
        slot.observe(200, {"X-RateLimit-Max": "1", "X-RateLimit-Interval-Milliseconds": "10000"})

    clock.now += 10.0 + limiter.margin - 0.5  # a window after the send, not after the answer
    assert limiter.available() == 0
    clock.now += 0.5
    assert limiter.available() == 1


async def test_a_429_pauses_every_caller_until_retry_after() -> None:
    clock = FakeClock()
    registry = RateLimiterRegistry(clock=clock)
    limiter = registry.get(Provider.CALENDLY, "org")
    limiter.observe(RateLimitHeaders(limit=500), status_code=200, started=clock.now)
    limiter.observe(RateLimitHeaders(retry_after=30), status_code=429, started=clock.now)
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    clock.now += 31
    limiter.observe(RateLimitHeaders(), status_code=200, started=clock.now)
    await asyncio.wait_for(waiter, 1)


async def test_calendly_units_come_back_at_the_stated_reset() -> None:
    clock = FakeClock()
    registry = RateLimiterRegistry(clock=clock)
    limiter = registry.get(Provider.CALENDLY, "org")
    limiter.observe(RateLimitHeaders(limit=50), status_code=200, started=clock.now)
    for _ in range(50):
        await limiter.acquire()
    limiter.observe(
        RateLimitHeaders(limit=50, remaining=0, reset_seconds=3),
        status_code=200,
        started=clock.now,
    )
    assert limiter.available() == 0
    clock.now += 3 + limiter.margin
    assert limiter.available() == 50


async def test_limiter_never_exceeds_the_provider_limit(fake: FakeProviderServer) -> None:
    """Many concurrent callers against the double at 5 requests per second: no 429 at all."""
    fake.state.configure(latency_ms=20, rate_limit=5, rate_window_seconds=1.0)
    ids = fake.state.add_ghl_appointments(
        [{"location_id": "loc1", "calendar_id": "c", "contact_id": "x", "start": utcnow()}] * 12
    )
    event_type = fake.state.add_calendly_event_type()
    events = [
        fake.state.add_calendly_booking(event_type_uri=event_type, start=utcnow(), email="a@b")[
            "event_uri"
        ]
        for _ in range(12)
    ]
    registry = RateLimiterRegistry()
    retry = RetryPolicy(max_seconds=20)
    ghl = GhlClient(base_url=fake.ghl_base_url, limiters=registry, retry=retry)
    calendly = CalendlyClient(base_url=fake.calendly_base_url, limiters=registry, retry=retry)
    ghl_creds = GhlCredentials("loc1", "ghl-token")
    calendly_creds = CalendlyCredentials("calendly-token", "org")
    try:
        await asyncio.gather(
            *(ghl.get_appointment(ghl_creds, i) for i in ids),
            *(calendly.get_scheduled_event(calendly_creds, e) for e in events),
        )
    finally:
        await ghl.aclose()
        await calendly.aclose()
    assert fake.state.rate_limited == 0
    assert fake.state.request_count() == 24
    assert registry.get(Provider.GHL, "loc1").limit == 5
    assert registry.get(Provider.CALENDLY, "org").window_seconds <= timedelta(seconds=1).seconds
