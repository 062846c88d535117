"""Calendly client against respx: pagination, the 7-day split, booking, URIs."""

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.kit.time import utcnow
from capacity_service.providers.calendly.client import CalendlyClient, event_uri_of_invitee
from capacity_service.providers.errors import ProviderBadRequestError, ProviderUnavailableError
from capacity_service.providers.types import CalendlyCredentials
from tests.providers.conftest import CALENDLY_TOKEN, ORG

API = "https://api.calendly.com"
EVENT_URI = f"{API}/scheduled_events/EV1"
INVITEE_URI = f"{EVENT_URI}/invitees/INV1"
EVENT_TYPE_URI = f"{API}/event_types/ET1"


def scheduled_event(uri: str = EVENT_URI, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "uri": uri,
        "name": "Intro",
        "status": "active",
        "start_time": "2030-01-01T10:00:00.000000Z",
        "end_time": "2030-01-01T10:30:00.000000Z",
        "event_type": EVENT_TYPE_URI,
        "created_at": "2029-12-01T10:00:00.000000Z",
        "updated_at": "2029-12-01T10:00:00.000000Z",
    }
    body.update(overrides)
    return body


def invitee(uri: str = INVITEE_URI, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "uri": uri,
        "event": EVENT_URI,
        "email": "ann@example.com",
        "name": "Ann",
        "status": "active",
        "rescheduled": False,
        "old_invitee": None,
        "new_invitee": None,
        "no_show": None,
        "created_at": "2029-12-01T10:00:00.000000Z",
        "updated_at": "2029-12-02T10:00:00.123456Z",
    }
    body.update(overrides)
    return body


def page(items: list[dict[str, object]], next_token: str | None) -> dict[str, object]:
    return {
        "collection": items,
        "pagination": {
            "count": len(items),
            "next_page": f"{API}/x?page_token={next_token}" if next_token else None,
            "next_page_token": next_token,
        },
    }


async def test_list_scheduled_events_follows_every_page(
    calendly: CalendlyClient, calendly_api: respx.MockRouter, calendly_creds: CalendlyCredentials
) -> None:
    route = calendly_api.get("/scheduled_events").mock(
        side_effect=[
            httpx.Response(200, json=page([scheduled_event(f"{API}/scheduled_events/A")], "t1")),
            httpx.Response(200, json=page([scheduled_event(f"{API}/scheduled_events/B")], "t2")),
            httpx.Response(200, json=page([scheduled_event(f"{API}/scheduled_events/C")], None)),
        ]
    )
    start = datetime(2030, 1, 1, tzinfo=UTC)
    events = await calendly.list_scheduled_events(calendly_creds, start, start + timedelta(days=7))
    assert [e.uri.rsplit("/", 1)[-1] for e in events] == ["A", "B", "C"]
    first, second, third = (c.request.url.params for c in route.calls)
    assert first["organization"] == ORG
    assert first["min_start_time"] == "2030-01-01T00:00:00.000000Z"
    assert first["max_start_time"] == "2030-01-08T00:00:00.000000Z"
    assert "page_token" not in first
    assert second["page_token"] == "t1"
    assert third["page_token"] == "t2"
    assert third["organization"] == ORG


async def test_list_event_invitees_all_pages(
    calendly: CalendlyClient, calendly_api: respx.MockRouter, calendly_creds: CalendlyCredentials
) -> None:
    calendly_api.get("/scheduled_events/EV1/invitees").mock(
        side_effect=[
            httpx.Response(200, json=page([invitee()], "t1")),
            httpx.Response(200, json=page([invitee(f"{EVENT_URI}/invitees/INV2")], None)),
        ]
    )
    invitees = await calendly.list_event_invitees(calendly_creds, EVENT_URI)
    assert [i.uri for i in invitees] == [INVITEE_URI, f"{EVENT_URI}/invitees/INV2"]


async def test_available_times_split_into_concurrent_seven_day_windows(
    calendly: CalendlyClient, calendly_api: respx.MockRouter, calendly_creds: CalendlyCredentials
) -> None:
    start = utcnow().replace(microsecond=0) + timedelta(hours=1)
    slot = start + timedelta(days=8)

    def respond(request: httpx.Request) -> httpx.Response:
        window_start = datetime.fromisoformat(request.url.params["start_time"])
        window_end = datetime.fromisoformat(request.url.params["end_time"])
        assert window_end - window_start <= timedelta(days=7)
        times = [t for t in (slot, slot + timedelta(hours=1)) if window_start <= t < window_end]
        # a slot the API repeats at a window edge must come out once
        times.append(slot)
        return httpx.Response(
            200,
            json={
                "collection": [
                    {
                        "status": "available",
                        "invitees_remaining": 1,
                        "start_time": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    }
                    for t in times
                ]
            },
        )

    route = calendly_api.get("/event_type_available_times").mock(side_effect=respond)
    times = await calendly.get_available_times(
        calendly_creds, EVENT_TYPE_URI, start, start + timedelta(days=30)
    )
    assert route.call_count == 5  # 30 days = 4 full weeks + 2 days
    assert times == [slot, slot + timedelta(hours=1)]
    assert {c.request.url.params["event_type"] for c in route.calls} == {EVENT_TYPE_URI}


async def test_available_times_never_ask_for_the_past(
    calendly: CalendlyClient, calendly_api: respx.MockRouter, calendly_creds: CalendlyCredentials
) -> None:
    route = calendly_api.get("/event_type_available_times").respond(json={"collection": []})
    before = utcnow()
    await calendly.get_available_times(
        calendly_creds, EVENT_TYPE_URI, before - timedelta(days=3), before + timedelta(days=2)
    )
    assert route.call_count == 1
    sent = datetime.fromisoformat(route.calls.last.request.url.params["start_time"])
    assert sent >= before


async def test_create_invitee_books_and_reads_the_event_back(
    calendly: CalendlyClient, calendly_api: respx.MockRouter, calendly_creds: CalendlyCredentials
) -> None:
    booking = calendly_api.post("/invitees").respond(
        201, json={"resource": invitee(scheduling_method="api")}
    )
    calendly_api.get("/scheduled_events/EV1").respond(json={"resource": scheduled_event()})
    start = datetime(2030, 1, 1, 10, tzinfo=UTC)
    appointment = await calendly.create_invitee(
        calendly_creds,
        event_type_uri=EVENT_TYPE_URI,
        start_at=start,
        email="ann@example.com",
        name="Ann",
        timezone="Europe/Paris",
    )
    assert json.loads(booking.calls.last.request.content) == {
        "event_type": EVENT_TYPE_URI,
        "start_time": "2030-01-01T10:00:00.000000Z",
        "invitee": {"email": "ann@example.com", "name": "Ann", "timezone": "Europe/Paris"},
    }
    assert appointment.provider is Provider.CALENDLY
    assert appointment.external_id == INVITEE_URI
    assert appointment.calendly_event_type_uri == EVENT_TYPE_URI
    assert appointment.end_at == datetime(2030, 1, 1, 10, 30, tzinfo=UTC)
    assert appointment.status is AppointmentStatus.CONFIRMED


async def test_booking_stands_when_the_event_cannot_be_read_back(
    calendly: CalendlyClient, calendly_api: respx.MockRouter, calendly_creds: CalendlyCredentials
) -> None:
    booking = calendly_api.post("/invitees").respond(201, json={"resource": invitee()})
    calendly_api.get("/scheduled_events/EV1").respond(500)
    start = datetime(2030, 1, 1, 10, tzinfo=UTC)
    appointment = await calendly.create_invitee(
        calendly_creds, event_type_uri=EVENT_TYPE_URI, start_at=start, email="a@b.c", name="A"
    )
    assert booking.call_count == 1
    assert appointment.start_at == start
    assert appointment.end_at is None
    assert appointment.attribution == EVENT_TYPE_URI


async def test_taken_slot_is_a_bad_request_and_not_retried(
    calendly: CalendlyClient, calendly_api: respx.MockRouter, calendly_creds: CalendlyCredentials
) -> None:
    route = calendly_api.post("/invitees").respond(
        400,
        json={
            "title": "Invalid Argument",
            "message": "The supplied parameters are invalid.",
            "details": [
                {
                    "parameter": "start_time",
                    "code": "already_filled",
                    "message": "This time slot is no longer available.",
                }
            ],
        },
    )
    with pytest.raises(ProviderBadRequestError, match="no longer available"):
        await calendly.create_invitee(
            calendly_creds,
            event_type_uri=EVENT_TYPE_URI,
            start_at=datetime(2030, 1, 1, tzinfo=UTC),
            email="a@b.c",
            name="A",
        )
    assert route.call_count == 1


async def test_booking_retried_only_when_the_connection_never_opened(
    calendly: CalendlyClient, calendly_api: respx.MockRouter, calendly_creds: CalendlyCredentials
) -> None:
    route = calendly_api.post("/invitees").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.ReadTimeout("lost")]
    )
    with pytest.raises(ProviderUnavailableError, match="timed out"):
        await calendly.create_invitee(
            calendly_creds,
            event_type_uri=EVENT_TYPE_URI,
            start_at=datetime(2030, 1, 1, tzinfo=UTC),
            email="a@b.c",
            name="A",
        )
    assert route.call_count == 2


async def test_invitee_appointment_reads_invitee_and_event(
    calendly: CalendlyClient, calendly_api: respx.MockRouter, calendly_creds: CalendlyCredentials
) -> None:
    calendly_api.get("/scheduled_events/EV1/invitees/INV1").respond(
        json={
            "resource": invitee(
                status="canceled",
                rescheduled=True,
                new_invitee=f"{API}/scheduled_events/EV2/invitees/INV9",
            )
        }
    )
    calendly_api.get("/scheduled_events/EV1").respond(json={"resource": scheduled_event()})
    appointment = await calendly.get_invitee_appointment(calendly_creds, INVITEE_URI)
    assert appointment.status is AppointmentStatus.RESCHEDULED
    assert appointment.attribution == EVENT_TYPE_URI
    assert appointment.provider_updated_at == datetime(2029, 12, 2, 10, 0, 0, 123456, tzinfo=UTC)
    assert appointment.calendly_new_invitee_uri == f"{API}/scheduled_events/EV2/invitees/INV9"


async def test_current_user_and_event_types(
    calendly: CalendlyClient, calendly_api: respx.MockRouter
) -> None:
    creds = CalendlyCredentials(access_token=CALENDLY_TOKEN)
    calendly_api.get("/users/me").respond(
        json={
            "resource": {
                "uri": f"{API}/users/U1",
                "name": "Host",
                "email": "h@x.com",
                "timezone": "UTC",
                "current_organization": ORG,
            }
        }
    )
    types_route = calendly_api.get("/event_types").respond(
        json=page([{"uri": EVENT_TYPE_URI, "name": "Intro", "active": True, "duration": 45}], None)
    )
    calendly_api.get("/event_types/ET1").respond(
        json={"resource": {"uri": EVENT_TYPE_URI, "name": "Intro", "active": True, "duration": 45}}
    )
    user = await calendly.get_current_user(creds)
    assert user.organization_uri == ORG
    [event_type] = await calendly.list_event_types(creds)
    assert types_route.calls.last.request.url.params["organization"] == ORG
    assert event_type.duration_minutes == 45
    assert (await calendly.get_event_type(creds, EVENT_TYPE_URI)).name == "Intro"


def test_event_uri_of_invitee() -> None:
    assert event_uri_of_invitee(INVITEE_URI) == EVENT_URI
    with pytest.raises(ValueError, match="invitee URI"):
        event_uri_of_invitee(EVENT_URI)


async def test_uris_never_send_the_token_elsewhere(
    calendly: CalendlyClient, calendly_api: respx.MockRouter, calendly_creds: CalendlyCredentials
) -> None:
    route = calendly_api.get("/scheduled_events/EV1").respond(json={"resource": scheduled_event()})
    await calendly.get_scheduled_event(calendly_creds, "https://evil.example/scheduled_events/EV1")
    assert route.calls.last.request.url.host == "calendly.test"
    with pytest.raises(ValueError, match="scheduled event"):
        await calendly.get_scheduled_event(calendly_creds, "https://x/other/../EV1?x=/")
