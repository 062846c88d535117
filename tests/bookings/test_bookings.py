"""Bookings: attributed appointments, idempotent repeats, provider failures write nothing."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.bookings.repository import BookingRequestRepository
from capacity_service.bookings.schemas import BookingCreate
from capacity_service.bookings.service import request_hash
from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.models import Appointment, BookingRequest, Lead, Workspace
from tests.bookings.stubs import CALENDLY_BASE, GHL_BASE
from tests.factories import make_api_key, make_lead, make_workspace

START = datetime(2030, 5, 6, 14, 0, tzinfo=UTC)
EVENT_TYPE = "https://api.calendly.com/event_types/ET1"
EVENT = "https://api.calendly.com/scheduled_events/EV1"
INVITEE = f"{EVENT}/invitees/INV1"


async def _ghl_workspace(session: AsyncSession, cipher: SecretCipher) -> Workspace:
    return await make_workspace(
        session,
        cipher,
        ghl_access_token="ghl-token",
        ghl_location_id="loc-1",
        ghl_default_calendar_id="cal-default",
    )


async def _headers(session: AsyncSession, workspace: Workspace) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_api_key(session, workspace)}"}


def _ghl_created(calendar_id: str) -> dict[str, Any]:
    return {
        "id": "ghl-new-1",
        "calendarId": calendar_id,
        "locationId": "loc-1",
        "contactId": "contact-1",
        "startTime": START.isoformat(),
        "endTime": (START + timedelta(minutes=30)).isoformat(),
        "title": "Intro",
        "appointmentStatus": "confirmed",
    }


async def _count(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_ghl_booking_on_default_calendar_is_attributed_to_it(
    provider_client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _ghl_workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    with respx.mock(base_url=GHL_BASE) as ghl:
        route = ghl.post("/calendars/events/appointments").respond(
            200, json=_ghl_created("cal-default")
        )
        response = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/bookings",
            headers=await _headers(session, workspace),
            json={"provider": "ghl", "leadId": str(lead.id), "startTime": START.isoformat()},
        )

    assert response.status_code == 201, response.text
    sent = json.loads(route.calls.last.request.content)
    assert sent["calendarId"] == "cal-default"
    assert sent["contactId"] == "contact-1"
    body = response.json()
    assert body["ghlCalendarId"] == "cal-default"
    assert body["attribution"] == "cal-default"
    assert body["status"] == "CONFIRMED"
    row = await session.scalar(select(Appointment))
    assert row is not None
    assert row.ghl_appointment_id == "ghl-new-1"
    assert row.ghl_calendar_id == "cal-default"
    refreshed = await session.get(Lead, lead.id, populate_existing=True)
    assert refreshed is not None
    assert refreshed.latest_appointment_status is AppointmentStatus.CONFIRMED


async def test_ghl_booking_on_explicit_calendar(
    provider_client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _ghl_workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    with respx.mock(base_url=GHL_BASE) as ghl:
        ghl.post("/calendars/events/appointments").respond(200, json=_ghl_created("cal-direct"))
        response = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/bookings",
            headers=await _headers(session, workspace),
            json={
                "provider": "ghl",
                "leadId": str(lead.id),
                "startTime": START.isoformat(),
                "calendarId": "cal-direct",
            },
        )

    assert response.status_code == 201, response.text
    assert response.json()["ghlCalendarId"] == "cal-direct"


async def test_calendly_booking_is_attributed_to_the_event_type(
    provider_client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await make_workspace(
        session,
        cipher,
        calendly_access_token="cal-token",
        calendly_organization_uri="https://api.calendly.com/organizations/O1",
        calendly_default_event_type_uri=EVENT_TYPE,
        timezone="Europe/Paris",
    )
    lead = await make_lead(session, workspace, email="grace@example.com", name="Grace")
    invitee = {
        "uri": INVITEE,
        "event": EVENT,
        "email": "grace@example.com",
        "name": "Grace",
        "status": "active",
        "created_at": "2030-05-01T10:00:00.000000Z",
        "updated_at": "2030-05-01T10:00:00.000000Z",
    }
    event = {
        "uri": EVENT,
        "status": "active",
        "start_time": "2030-05-06T14:00:00.000000Z",
        "end_time": "2030-05-06T14:45:00.000000Z",
        "event_type": EVENT_TYPE,
    }
    with respx.mock(base_url=CALENDLY_BASE) as calendly:
        booked = calendly.post("/invitees").respond(201, json={"resource": invitee})
        calendly.get("/scheduled_events/EV1").respond(200, json={"resource": event})
        response = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/bookings",
            headers=await _headers(session, workspace),
            json={"provider": "calendly", "leadId": str(lead.id), "startTime": START.isoformat()},
        )

    assert response.status_code == 201, response.text
    sent = json.loads(booked.calls.last.request.content)
    assert sent["event_type"] == EVENT_TYPE
    assert sent["invitee"]["timezone"] == "Europe/Paris"
    body = response.json()
    assert body["calendlyEventTypeUri"] == EVENT_TYPE
    assert body["calendlyInviteeUri"] == INVITEE
    assert body["endAt"] == "2030-05-06T14:45:00.000Z"
    assert body["provider"] == Provider.CALENDLY.value


async def test_repeat_with_same_idempotency_key_returns_first_result_without_booking_again(
    provider_client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _ghl_workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    headers = {**await _headers(session, workspace), "Idempotency-Key": "book-1"}
    payload = {"provider": "ghl", "leadId": str(lead.id), "startTime": START.isoformat()}
    with respx.mock(base_url=GHL_BASE) as ghl:
        route = ghl.post("/calendars/events/appointments").respond(
            200, json=_ghl_created("cal-default")
        )
        first = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/bookings", headers=headers, json=payload
        )
        second = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/bookings", headers=headers, json=payload
        )
        changed = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/bookings",
            headers=headers,
            json={**payload, "calendarId": "other"},
        )

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert route.call_count == 1
    assert changed.status_code == 422
    assert await _count(session, Appointment) == 1
    assert await _count(session, BookingRequest) == 1


async def test_provider_refusal_is_502_with_reason_and_leaves_the_key_retryable(
    provider_client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _ghl_workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    headers = {**await _headers(session, workspace), "Idempotency-Key": "book-2"}
    with respx.mock(base_url=GHL_BASE) as ghl:
        ghl.post("/calendars/events/appointments").respond(
            422,
            json={
                "statusCode": 422,
                "message": "The slot you have selected is no longer available.",
            },
        )
        response = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/bookings",
            headers=headers,
            json={"provider": "ghl", "leadId": str(lead.id), "startTime": START.isoformat()},
        )

    assert response.status_code == 502, response.text
    assert "no longer available" in response.json()["detail"]
    assert await _count(session, Appointment) == 0
    request = await session.scalar(select(BookingRequest))
    assert request is not None
    assert request.status == "failed"
    assert request.provider_booking_id is None


async def test_provider_unavailable_is_503_and_writes_nothing(
    provider_client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _ghl_workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    with respx.mock(base_url=GHL_BASE) as ghl:
        ghl.post("/calendars/events/appointments").respond(429, json={"message": "slow down"})
        response = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/bookings",
            headers=await _headers(session, workspace),
            json={"provider": "ghl", "leadId": str(lead.id), "startTime": START.isoformat()},
        )

    assert response.status_code == 503, response.text
    assert await _count(session, Appointment) == 0


async def test_booking_needs_what_the_provider_needs(
    provider_client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await make_workspace(session, cipher, ghl_access_token="t", ghl_location_id="loc-2")
    headers = await _headers(session, workspace)
    lead = await make_lead(session, workspace)
    url = f"/v1/workspaces/{workspace.id}/bookings"
    start = START.isoformat()

    no_contact = await provider_client.post(
        url,
        headers=headers,
        json={"provider": "ghl", "leadId": str(lead.id), "startTime": start, "calendarId": "c"},
    )
    no_calendar = await provider_client.post(
        url, headers=headers, json={"provider": "ghl", "leadId": str(lead.id), "startTime": start}
    )
    not_configured = await provider_client.post(
        url,
        headers=headers,
        json={"provider": "calendly", "leadId": str(lead.id), "startTime": start},
    )
    unknown_lead = await provider_client.post(
        url,
        headers=headers,
        json={
            "provider": "ghl",
            "leadId": "00000000-0000-0000-0000-000000000000",
            "startTime": start,
        },
    )
    mixed = await provider_client.post(
        url,
        headers=headers,
        json={"provider": "ghl", "leadId": str(lead.id), "startTime": start, "eventTypeUri": "x"},
    )

    assert no_contact.status_code == 422
    assert "ghlContactId" in no_contact.json()["detail"]
    assert no_calendar.status_code == 422
    assert not_configured.status_code == 422
    assert unknown_lead.status_code == 404
    assert mixed.status_code == 422
    assert await _count(session, Appointment) == 0


async def test_duplicate_while_first_is_in_flight_is_409_and_books_once(
    committing_app: Any, engine: Any, cipher: SecretCipher
) -> None:
    import asyncio

    from capacity_service.db import create_sessionmaker

    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        workspace = await _ghl_workspace(session, cipher)
        lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
        headers = {**await _headers(session, workspace), "Idempotency-Key": "race-1"}
    payload = {"provider": "ghl", "leadId": str(lead.id), "startTime": START.isoformat()}
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_provider(request: httpx.Request) -> httpx.Response:
        entered.set()
        await release.wait()
        return httpx.Response(200, json=_ghl_created("cal-default"))

    transport = httpx.ASGITransport(app=committing_app)
    url = f"/v1/workspaces/{workspace.id}/bookings"
    ghl_base = committing_app.state.settings.ghl_base_url
    with respx.mock(base_url=ghl_base) as ghl:
        route = ghl.post("/calendars/events/appointments").mock(side_effect=slow_provider)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            first = asyncio.create_task(client.post(url, headers=headers, json=payload))
            await entered.wait()
            duplicate = await client.post(url, headers=headers, json=payload)
            release.set()
            first_response = await first
            repeat = await client.post(url, headers=headers, json=payload)

    assert duplicate.status_code == 409
    assert "in progress" in duplicate.json()["detail"]
    assert first_response.status_code == 201
    assert repeat.status_code == 201
    assert repeat.json() == first_response.json()
    assert route.call_count == 1


async def test_retry_after_the_write_failed_finishes_it_without_booking_again(
    provider_client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workspace = await _ghl_workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    headers = {**await _headers(session, workspace), "Idempotency-Key": "blip-1"}
    payload = {"provider": "ghl", "leadId": str(lead.id), "startTime": START.isoformat()}
    real_mark_completed = BookingRequestRepository.mark_completed
    blips = [OperationalError("COMMIT", {}, ConnectionResetError("server closed"))]

    async def mark_completed_once_failing(self: Any, *args: Any, **kwargs: Any) -> None:
        if blips:
            raise blips.pop()
        await real_mark_completed(self, *args, **kwargs)

    monkeypatch.setattr(BookingRequestRepository, "mark_completed", mark_completed_once_failing)
    url = f"/v1/workspaces/{workspace.id}/bookings"
    with respx.mock(base_url=GHL_BASE) as ghl:
        route = ghl.post("/calendars/events/appointments").respond(
            200, json=_ghl_created("cal-default")
        )
        failed = await provider_client.post(url, headers=headers, json=payload)
        pending = await session.scalar(
            select(BookingRequest).execution_options(populate_existing=True)
        )
        assert pending is not None
        assert (pending.status, pending.provider_booking_id) == ("pending", "ghl-new-1")
        assert await _count(session, Appointment) == 0
        retried = await provider_client.post(url, headers=headers, json=payload)
        replayed = await provider_client.post(url, headers=headers, json=payload)

    assert failed.status_code == 503, failed.text
    assert retried.status_code == 201, retried.text
    assert retried.json()["ghlAppointmentId"] == "ghl-new-1"
    assert replayed.json() == retried.json()
    assert route.call_count == 1
    assert await _count(session, Appointment) == 1
    done = await session.scalar(select(BookingRequest).execution_options(populate_existing=True))
    assert done is not None
    assert done.status == "completed"


async def _pending_request(
    session: AsyncSession, workspace: Workspace, key: str, payload: dict[str, Any], age: timedelta
) -> None:
    session.add(
        BookingRequest(
            workspace_id=workspace.id,
            idempotency_key=key,
            request_hash=request_hash(BookingCreate.model_validate(payload)),
            status="pending",
            claimed_at=datetime.now(UTC) - age,
        )
    )
    await session.flush()


async def test_pending_key_without_provider_identity_past_the_timeout_asks_to_reconcile(
    provider_client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _ghl_workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    payload = {"provider": "ghl", "leadId": str(lead.id), "startTime": START.isoformat()}
    await _pending_request(session, workspace, "lost-1", payload, timedelta(hours=1))
    await _pending_request(session, workspace, "young-1", payload, timedelta(seconds=0))
    url = f"/v1/workspaces/{workspace.id}/bookings"
    auth = await _headers(session, workspace)
    with respx.mock(base_url=GHL_BASE, assert_all_called=False) as ghl:
        route = ghl.post("/calendars/events/appointments").respond(
            200, json=_ghl_created("cal-default")
        )
        lost = await provider_client.post(
            url, headers={**auth, "Idempotency-Key": "lost-1"}, json=payload
        )
        young = await provider_client.post(
            url, headers={**auth, "Idempotency-Key": "young-1"}, json=payload
        )

    assert lost.status_code == 409, lost.text
    assert "reconcile" in lost.json()["detail"]
    assert young.status_code == 409
    assert "in progress" in young.json()["detail"]
    assert route.call_count == 0
    assert await _count(session, Appointment) == 0


async def test_retry_after_a_provider_refusal_books_with_the_same_key(
    provider_client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _ghl_workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    headers = {**await _headers(session, workspace), "Idempotency-Key": "again-1"}
    payload = {"provider": "ghl", "leadId": str(lead.id), "startTime": START.isoformat()}
    url = f"/v1/workspaces/{workspace.id}/bookings"
    with respx.mock(base_url=GHL_BASE) as ghl:
        route = ghl.post("/calendars/events/appointments")
        route.side_effect = [
            httpx.Response(422, json={"statusCode": 422, "message": "slot taken"}),
            httpx.Response(200, json=_ghl_created("cal-default")),
        ]
        refused = await provider_client.post(url, headers=headers, json=payload)
        booked = await provider_client.post(url, headers=headers, json=payload)

    assert refused.status_code == 502
    assert booked.status_code == 201, booked.text
    assert route.call_count == 2
    assert await _count(session, Appointment) == 1
    assert await _count(session, BookingRequest) == 1
