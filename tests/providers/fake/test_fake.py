"""The provider test double behaves like the real APIs where our code depends on it."""

from datetime import timedelta

import httpx
import pytest

from capacity_service.kit.time import utcnow
from capacity_service.providers.errors import ProviderResponseError, ProviderUnavailableError
from capacity_service.providers.fake import FakeProviderServer, FakeProviderState
from capacity_service.providers.ghl.client import GhlClient
from capacity_service.providers.http import RetryPolicy
from capacity_service.providers.ratelimit import RateLimiterRegistry
from capacity_service.providers.types import GhlCredentials

CALENDLY = {"Authorization": "Bearer cal-token"}
GHL = {"Authorization": "Bearer ghl-token", "Version": "2021-04-15"}


async def test_available_times_refuse_more_than_seven_days(fake: FakeProviderServer) -> None:
    event_type = fake.state.add_calendly_event_type()
    start = utcnow() + timedelta(minutes=5)
    async with httpx.AsyncClient(base_url=fake.calendly_base_url, headers=CALENDLY) as http:
        params = {
            "event_type": event_type,
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(days=7, seconds=1)).isoformat(),
        }
        response = await http.get("/event_type_available_times", params=params)
        assert response.status_code == 400
        assert response.json()["title"] == "Invalid Argument"
        params["end_time"] = (start + timedelta(days=7)).isoformat()
        assert (await http.get("/event_type_available_times", params=params)).status_code == 200


async def test_rate_limit_sends_real_headers_and_429_bodies(fake: FakeProviderServer) -> None:
    fake.state.configure(rate_limit=2, rate_window_seconds=30)
    async with httpx.AsyncClient(base_url=fake.base_url) as http:
        first = await http.get("/ghl/calendars/", params={"locationId": "l"}, headers=GHL)
        assert first.headers["X-RateLimit-Max"] == "2"
        assert first.headers["X-RateLimit-Remaining"] == "1"
        assert first.headers["X-RateLimit-Interval-Milliseconds"] == "30000"
        await http.get("/ghl/calendars/", params={"locationId": "l"}, headers=GHL)
        limited = await http.get("/ghl/calendars/", params={"locationId": "l"}, headers=GHL)
        assert limited.status_code == 429
        assert limited.json()["statusCode"] == 429
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert float(limited.headers["Retry-After"]) > 0

        calendly = await http.get("/calendly/users/me", headers=CALENDLY)
        assert calendly.headers["X-RateLimit-Limit"] == "2"
        assert 0 < int(calendly.headers["X-RateLimit-Reset"]) <= 30
    assert fake.state.rate_limited == 1


async def test_auth_and_version_are_checked(fake: FakeProviderServer) -> None:
    fake.state.revoke_token("revoked")
    async with httpx.AsyncClient(base_url=fake.base_url) as http:
        assert (await http.get("/calendly/users/me")).status_code == 401
        revoked = await http.get("/calendly/users/me", headers={"Authorization": "Bearer revoked"})
        assert revoked.status_code == 401
        no_version = await http.get(
            "/ghl/calendars/", params={"locationId": "l"}, headers={"Authorization": "Bearer t"}
        )
        assert no_version.status_code == 400


async def test_failures_on_demand(fake: FakeProviderServer) -> None:
    state = fake.state
    calendar_id = state.add_ghl_calendar(location_id="loc1", calendar_id="cal1")
    state.configure(hang_seconds=2)
    client = GhlClient(
        base_url=fake.ghl_base_url,
        timeout_seconds=0.3,
        limiters=RateLimiterRegistry(),
        retry=RetryPolicy(max_seconds=5, initial_backoff_seconds=0.001, max_backoff_seconds=0.01),
    )
    creds = GhlCredentials("loc1", "t")
    try:
        state.fail("/calendars/cal1$", status=503, times=2)
        assert (await client.get_calendar(creds, calendar_id)).id == "cal1"
        assert state.request_count("/calendars/cal1$") == 3

        state.fail("/calendars/cal1$", kind="malformed", times=1)
        with pytest.raises(ProviderResponseError):
            await client.get_calendar(creds, calendar_id)

        state.fail("/calendars/cal1$", kind="timeout", times=None)
        client.http.retry = RetryPolicy(max_seconds=0.5, max_attempts=2)
        with pytest.raises(ProviderUnavailableError, match="timed out"):
            await client.get_calendar(creds, calendar_id)
        state.clear_failures()
    finally:
        await client.aclose()


async def test_control_api_seeds_and_counts(fake: FakeProviderServer) -> None:
    slot = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    async with httpx.AsyncClient(base_url=fake.control_url) as control:
        created = await control.post(
            "/add_ghl_calendar",
            json={"location_id": "loc9", "calendar_id": "c9", "slots": [slot.isoformat()]},
        )
        assert created.json() == {"result": "c9"}
        event_type = (await control.post("/add_calendly_event_type", json={"name": "X"})).json()
        assert event_type["result"].startswith("https://api.calendly.com/event_types/")
        bad = await control.post("/add_ghl_calendar", json={"nonsense": 1})
        assert bad.status_code == 400
        assert (await control.post("/drop_tables", json={})).status_code == 404
        await control.post("/configure", json={"latency_ms": 1})
    assert fake.state.ghl_free_slots("c9") == [slot]
    assert fake.state.latency_seconds == 0.001
    async with httpx.AsyncClient(base_url=fake.base_url) as http:
        await http.get("/ghl/calendars/c9", headers=GHL)
        counts = (await http.get("/_control/requests", params={"path": "^/calendars/"})).json()
    assert counts == {"count": 1, "rateLimited": 0}


def test_state_tracks_calendly_reschedules() -> None:
    state = FakeProviderState()
    event_type = state.add_calendly_event_type()
    start = utcnow() + timedelta(days=1)
    booking = state.add_calendly_booking(event_type_uri=event_type, start=start, email="a@b.c")
    new_uri = state.reschedule_calendly_invitee(booking["invitee_uri"], start + timedelta(hours=1))
    old = state.invitees[booking["invitee_uri"]]
    assert (old.status, old.rescheduled, old.new_invitee) == ("canceled", True, new_uri)
    assert state.invitees[new_uri].old_invitee == booking["invitee_uri"]
