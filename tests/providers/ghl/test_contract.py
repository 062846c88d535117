"""HighLevel contract: our requests and the double's responses both fit the published spec."""

from datetime import UTC, datetime, timedelta

import httpx
import respx

from capacity_service.providers.fake import FakeProviderServer
from capacity_service.providers.ghl.client import GhlClient
from capacity_service.providers.types import GhlCredentials
from tests.providers.ghl.spec import request_problems, response_problems

START = datetime(2030, 1, 1, tzinfo=UTC)
EVENT = {
    "id": "a1",
    "title": "t",
    "calendarId": "cal1",
    "locationId": "loc1",
    "contactId": "c1",
    "groupId": "",
    "appointmentStatus": "confirmed",
    "assignedUserId": "",
    "users": [],
    "startTime": "2030-01-01T10:00:00+00:00",
    "endTime": "2030-01-01T10:30:00+00:00",
    "dateAdded": "2030-01-01T10:00:00+00:00",
    "dateUpdated": "2030-01-01T10:00:00+00:00",
}


async def test_every_request_the_client_sends_fits_the_spec(
    ghl: GhlClient, ghl_api: respx.MockRouter, ghl_creds: GhlCredentials
) -> None:
    ghl_api.get(path__regex=r"/free-slots$").respond(json={})
    ghl_api.post("/calendars/events/appointments").respond(json=EVENT)
    ghl_api.get("/calendars/events/appointments/a1").respond(json={"event": EVENT})
    ghl_api.get("/calendars/events").respond(json={"events": [EVENT]})
    ghl_api.get("/calendars/").respond(
        json={"calendars": [{"id": "cal1", "locationId": "loc1", "name": "n"}]}
    )
    ghl_api.get("/calendars/cal1").respond(
        json={"calendar": {"id": "cal1", "locationId": "loc1", "name": "n"}}
    )
    ghl_api.get("/contacts/c1/appointments").respond(json={"events": []})

    end = START + timedelta(days=3)
    await ghl.get_free_slots(ghl_creds, "cal1", START, end, timezone="Asia/Kolkata", user_id="u1")
    await ghl.create_appointment(
        ghl_creds,
        calendar_id="cal1",
        contact_id="c1",
        start_at=START,
        end_at=START + timedelta(minutes=30),
        title="Intro",
        assigned_user_id="u1",
        ignore_free_slot_validation=True,
        to_notify=False,
    )
    await ghl.get_appointment(ghl_creds, "a1")
    await ghl.list_calendar_events(ghl_creds, START, end, calendar_id="cal1")
    await ghl.list_location_events(ghl_creds, START, end)
    await ghl.get_calendar(ghl_creds, "cal1")
    await ghl.get_contact_appointments(ghl_creds, "c1")

    requests = [call.request for call in ghl_api.calls]
    assert len(requests) == 8
    for request in requests:
        assert request_problems(request) == [], f"{request.method} {request.url}"


def test_a_request_outside_the_spec_is_caught() -> None:
    bad = httpx.Request(
        "GET",
        "https://x/calendars/cal1/free-slots",
        params={"startDate": "soon", "bogus": "1"},
        headers={"Version": "2099-01-01"},
    )
    problems = request_problems(bad)
    assert any("startDate" in p for p in problems)
    assert any("endDate" in p for p in problems)
    assert any("bogus" in p for p in problems)
    assert any("Version" in p for p in problems)


async def test_double_responses_fit_the_spec(fake: FakeProviderServer) -> None:
    state = fake.state
    slot = datetime(2030, 1, 1, 15, tzinfo=UTC)
    calendar_id = state.add_ghl_calendar(
        location_id="loc1", timezone="Asia/Kolkata", slots=[slot, slot + timedelta(hours=1)]
    )
    headers = {"Authorization": "Bearer t", "Version": "2021-04-15"}
    async with httpx.AsyncClient(base_url=fake.ghl_base_url, headers=headers) as http:
        ms = int(START.timestamp() * 1000)
        checks: list[tuple[str, str, httpx.Response]] = []

        async def call(method: str, path: str, template: str, **kwargs: object) -> httpx.Response:
            response = await http.request(method, path, **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 200, response.text
            checks.append((method, template, response))
            return response

        slots = await call(
            "GET",
            f"/calendars/{calendar_id}/free-slots",
            "/calendars/x/free-slots",
            params={"startDate": ms, "endDate": ms + 7 * 86_400_000, "timezone": "Asia/Kolkata"},
        )
        assert slots.json() == {
            "2030-01-01": {"slots": ["2030-01-01T20:30:00+05:30", "2030-01-01T21:30:00+05:30"]}
        }
        created = await call(
            "POST",
            "/calendars/events/appointments",
            "/calendars/events/appointments",
            json={
                "calendarId": calendar_id,
                "locationId": "loc1",
                "contactId": "c1",
                "startTime": slot.isoformat(),
            },
        )
        appointment_id = created.json()["id"]
        await call(
            "GET",
            f"/calendars/events/appointments/{appointment_id}",
            "/calendars/events/appointments/x",
        )
        await call(
            "GET",
            "/calendars/events",
            "/calendars/events",
            params={
                "locationId": "loc1",
                "calendarId": calendar_id,
                "startTime": str(ms),
                "endTime": str(ms + 86_400_000),
            },
        )
        await call("GET", "/calendars/", "/calendars/", params={"locationId": "loc1"})
        await call("GET", f"/calendars/{calendar_id}", "/calendars/x")
        contact = await call(
            "GET",
            "/contacts/c1/appointments",
            "/contacts/x/appointments",
            headers={"Version": "2021-07-28"},
        )
        assert len(contact.json()["events"]) == 1

    for method, template, response in checks:
        assert response_problems(method, template, response.json()) == [], template
