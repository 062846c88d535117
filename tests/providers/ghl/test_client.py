"""HighLevel client against respx: paths, parameters, parsing, errors."""

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.providers.errors import (
    ProviderAuthError,
    ProviderBadRequestError,
    ProviderNotFoundError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from capacity_service.providers.ghl.client import GhlClient
from capacity_service.providers.types import GhlCredentials
from tests.providers.conftest import GHL_TOKEN

START = datetime(2030, 1, 1, tzinfo=UTC)


def event(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": "appt1",
        "title": "Call",
        "calendarId": "cal1",
        "locationId": "loc1",
        "contactId": "contact1",
        "groupId": "",
        "appointmentStatus": "confirmed",
        "assignedUserId": "user1",
        "users": [],
        "startTime": "2030-01-01T15:30:00+05:30",
        "endTime": "2030-01-01T16:00:00+05:30",
        "dateAdded": "2029-12-01T10:00:00+05:30",
        "dateUpdated": "2029-12-02T10:00:00+05:30",
    }
    body.update(overrides)
    return body


async def test_free_slots_sends_epoch_ms_and_version_and_returns_utc(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    route = ghl_api.get("/calendars/cal1/free-slots").respond(
        json={
            "2030-01-01": {"slots": ["2030-01-01T10:00:00-05:00", "2030-01-01T09:00:00-05:00"]},
            "2030-01-02": {"slots": ["2030-01-02T10:00:00+05:30"]},
            "traceId": "abc",
        }
    )
    slots = await ghl.get_free_slots(
        ghl_creds, "cal1", START, START + timedelta(days=2), timezone="America/New_York"
    )
    assert slots == [
        datetime(2030, 1, 1, 14, 0, tzinfo=UTC),
        datetime(2030, 1, 1, 15, 0, tzinfo=UTC),
        datetime(2030, 1, 2, 4, 30, tzinfo=UTC),
    ]
    request = route.calls.last.request
    assert request.url.params["startDate"] == str(int(START.timestamp() * 1000))
    assert request.url.params["endDate"] == str(int((START + timedelta(days=2)).timestamp() * 1000))
    assert request.url.params["timezone"] == "America/New_York"
    assert request.headers["Version"] == "2021-04-15"
    assert request.headers["Authorization"] == f"Bearer {GHL_TOKEN}"


async def test_free_slots_over_31_days_are_fetched_in_windows_and_merged(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    route = ghl_api.get("/calendars/cal1/free-slots").respond(
        json={"2030-01-31": {"slots": ["2030-01-31T00:00:00Z"]}}
    )
    slots = await ghl.get_free_slots(ghl_creds, "cal1", START, START + timedelta(days=90))
    assert route.call_count == 3
    for call in route.calls:
        params = call.request.url.params
        assert int(params["endDate"]) - int(params["startDate"]) <= 31 * 86_400_000
    assert slots == [datetime(2030, 1, 31, tzinfo=UTC)]  # the same slot from two windows, once


async def test_get_appointment_reads_event_wrapper(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    ghl_api.get("/calendars/events/appointments/appt1").respond(json={"event": event()})
    appointment = await ghl.get_appointment(ghl_creds, "appt1")
    assert appointment.provider is Provider.GHL
    assert appointment.external_id == "appt1"
    assert appointment.ghl_calendar_id == "cal1"
    assert appointment.status is AppointmentStatus.CONFIRMED
    assert appointment.start_at == datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
    assert appointment.provider_updated_at == datetime(2029, 12, 2, 4, 30, tzinfo=UTC)
    assert appointment.contact.ghl_contact_id == "contact1"


async def test_get_appointment_accepts_appointment_wrapper(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    ghl_api.get("/calendars/events/appointments/appt1").respond(
        json={"appointment": event(appointmentStatus="noshow")}
    )
    appointment = await ghl.get_appointment(ghl_creds, "appt1")
    assert appointment.status is AppointmentStatus.NO_SHOW


async def test_missing_required_field_is_a_clear_response_error(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    body = event()
    del body["startTime"]
    ghl_api.get("/calendars/events/appointments/appt1").respond(json={"event": body})
    with pytest.raises(ProviderResponseError, match=r"event\.startTime: field required"):
        await ghl.get_appointment(ghl_creds, "appt1")


async def test_malformed_json_is_a_response_error(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    ghl_api.get("/calendars/events/appointments/appt1").respond(
        content=b'{"event": ', headers={"Content-Type": "application/json"}
    )
    with pytest.raises(ProviderResponseError, match="not JSON"):
        await ghl.get_appointment(ghl_creds, "appt1")


async def test_create_appointment_posts_spec_body_and_maps_unwrapped_response(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    route = ghl_api.post("/calendars/events/appointments").respond(
        json={
            "id": "new1",
            "calendarId": "cal1",
            "locationId": "loc1",
            "contactId": "contact1",
            "startTime": "2030-01-01T10:00:00+00:00",
            "endTime": "2030-01-01T10:30:00+00:00",
            "appointmentStatus": "new",
        }
    )
    appointment = await ghl.create_appointment(
        ghl_creds, calendar_id="cal1", contact_id="contact1", start_at=START.replace(hour=10)
    )
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "calendarId": "cal1",
        "locationId": "loc1",
        "contactId": "contact1",
        "startTime": "2030-01-01T10:00:00+00:00",
        "appointmentStatus": "confirmed",
    }
    assert appointment.external_id == "new1"
    assert appointment.status is AppointmentStatus.CONFIRMED  # "new" still takes capacity
    assert appointment.provider_updated_at is None


async def test_create_appointment_is_not_retried_after_a_5xx(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    route = ghl_api.post("/calendars/events/appointments").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={})]
    )
    with pytest.raises(ProviderUnavailableError):
        await ghl.create_appointment(ghl_creds, calendar_id="cal1", contact_id="c", start_at=START)
    assert route.call_count == 1


async def test_list_calendar_events_needs_a_scope_and_sends_millis(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    route = ghl_api.get("/calendars/events").respond(
        json={"events": [event(), event(id="appt2", appointmentStatus="cancelled")]}
    )
    events = await ghl.list_calendar_events(
        ghl_creds, START, START + timedelta(days=1), calendar_id="cal1"
    )
    assert [(e.external_id, e.status) for e in events] == [
        ("appt1", AppointmentStatus.CONFIRMED),
        ("appt2", AppointmentStatus.CANCELED),
    ]
    params = route.calls.last.request.url.params
    assert params["locationId"] == "loc1"
    assert params["calendarId"] == "cal1"
    assert params["startTime"] == str(int(START.timestamp() * 1000))
    with pytest.raises(ValueError, match="calendar_id"):
        await ghl.list_calendar_events(ghl_creds, START, START)


async def test_list_location_events_asks_every_calendar(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    ghl_api.get("/calendars/").respond(
        json={
            "calendars": [
                {"id": "cal1", "locationId": "loc1", "name": "A"},
                {
                    "id": "cal2",
                    "locationId": "loc1",
                    "name": "B",
                    "slotDuration": 1,
                    "slotDurationUnit": "hours",
                },
            ]
        }
    )
    ghl_api.get("/calendars/events", params={"calendarId": "cal1"}).respond(
        json={"events": [event()]}
    )
    ghl_api.get("/calendars/events", params={"calendarId": "cal2"}).respond(
        json={"events": [event(id="appt2", calendarId="cal2")]}
    )
    events = await ghl.list_location_events(ghl_creds, START, START + timedelta(days=1))
    assert {(e.external_id, e.attribution) for e in events} == {
        ("appt1", "cal1"),
        ("appt2", "cal2"),
    }
    calendars = await ghl.list_calendars(ghl_creds)
    assert calendars[1].slot_duration_minutes == 60


async def test_contact_appointments_use_contacts_version_and_naive_times(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    route = ghl_api.get("/contacts/contact1/appointments").respond(
        json={
            "events": [
                {
                    "id": "appt1",
                    "calendarId": "cal1",
                    "status": "booked",
                    "appointmentStatus": "booked",
                    "startTime": "2021-07-16 11:00:00",
                    "endTime": "2021-07-16 11:30:00",
                    "dateUpdated": "2021-07-16 11:30:00",
                }
            ]
        }
    )
    [appointment] = await ghl.get_contact_appointments(ghl_creds, "contact1")
    assert route.calls.last.request.headers["Version"] == "2021-07-28"
    assert appointment.status is AppointmentStatus.CONFIRMED
    assert appointment.start_at == datetime(2021, 7, 16, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, ProviderAuthError),
        (403, ProviderAuthError),
        (404, ProviderNotFoundError),
        (400, ProviderBadRequestError),
        (422, ProviderBadRequestError),
        (500, ProviderUnavailableError),
        (503, ProviderUnavailableError),
    ],
)
async def test_http_errors_are_typed(
    ghl: GhlClient,
    ghl_api: respx.MockRouter,
    ghl_creds: GhlCredentials,
    status: int,
    error: type[Exception],
) -> None:
    ghl_api.get("/calendars/events/appointments/x").respond(
        status, json={"statusCode": status, "message": f"Invalid token: {GHL_TOKEN}"}
    )
    with pytest.raises(error) as caught:
        await ghl.get_appointment(ghl_creds, "x")
    assert GHL_TOKEN not in str(caught.value)
    assert GHL_TOKEN not in repr(caught.value)
    assert caught.value.status_code == status  # type: ignore[attr-defined]


async def test_timeouts_and_connection_failures_are_unavailable(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    ghl_api.get("/calendars/cal1").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderUnavailableError, match="timed out"):
        await ghl.get_calendar(ghl_creds, "cal1")
    ghl_api.get("/calendars/cal2").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ProviderUnavailableError, match="could not connect"):
        await ghl.get_calendar(ghl_creds, "cal2")
