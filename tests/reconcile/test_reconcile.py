"""Reconcile: provider appointments written through the upsert with their attribution."""

from typing import Any

import httpx
import respx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.models import Appointment, Lead, Workspace
from capacity_service.providers import ProviderClients
from capacity_service.reconcile.service import reconcile_ghl
from tests.bookings.stubs import CALENDLY_BASE, GHL_BASE
from tests.factories import make_lead, make_workspace

ORG = "https://api.calendly.com/organizations/O1"
API = "https://api.calendly.com"


def _ghl_event(appointment_id: str, calendar_id: str, status: str, contact: str) -> dict[str, Any]:
    return {
        "id": appointment_id,
        "calendarId": calendar_id,
        "locationId": "loc-1",
        "contactId": contact,
        "appointmentStatus": status,
        "startTime": "2030-02-01T10:00:00+01:00",
        "endTime": "2030-02-01T10:30:00+01:00",
        "dateAdded": "2030-01-01T10:00:00Z",
        "dateUpdated": "2030-01-02T10:00:00Z",
    }


async def _ghl_workspace(session: AsyncSession, cipher: SecretCipher) -> Workspace:
    return await make_workspace(
        session, cipher, ghl_access_token="ghl-token", ghl_location_id="loc-1"
    )


async def _rows(session: AsyncSession) -> dict[str, Appointment]:
    rows = await session.scalars(select(Appointment).execution_options(populate_existing=True))
    return {(r.ghl_appointment_id or r.calendly_invitee_uri or ""): r for r in rows.all()}


async def test_ghl_lead_reconcile_writes_contact_appointments_with_calendar(
    provider_client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await _ghl_workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    events = [
        _ghl_event("a1", "cal-1", "booked", "contact-1"),
        _ghl_event("a2", "cal-2", "cancelled", "contact-1"),
    ]
    with respx.mock(base_url=GHL_BASE) as ghl:
        route = ghl.get("/contacts/contact-1/appointments").respond(200, json={"events": events})
        for _ in range(2):
            response = await provider_client.post(
                f"/v1/workspaces/{workspace.id}/reconcile",
                headers=admin_headers,
                json={"leadId": str(lead.id)},
            )
            assert response.status_code == 200, response.text

    assert route.call_count == 2
    (result,) = response.json()["results"]
    assert result == {
        "provider": "ghl",
        "seen": 2,
        "written": 2,
        "canceledMissing": 0,
        "skipped": None,
        "errors": [],
    }
    rows = await _rows(session)
    assert set(rows) == {"a1", "a2"}
    assert rows["a1"].ghl_calendar_id == "cal-1"
    assert rows["a1"].status is AppointmentStatus.CONFIRMED
    assert rows["a2"].ghl_calendar_id == "cal-2"
    assert rows["a2"].status is AppointmentStatus.CANCELED
    assert {r.lead_id for r in rows.values()} == {lead.id}


async def test_ghl_workspace_reconcile_reads_every_calendar_and_creates_leads(
    session: AsyncSession, cipher: SecretCipher, providers: ProviderClients
) -> None:
    workspace = await _ghl_workspace(session, cipher)

    def events(request: httpx.Request) -> httpx.Response:
        calendar = request.url.params["calendarId"]
        return httpx.Response(
            200, json={"events": [_ghl_event(f"{calendar}-x", calendar, "confirmed", "c9")]}
        )

    calendars = [
        {"id": "cal-1", "locationId": "loc-1", "name": "One"},
        {"id": "cal-2", "locationId": "loc-1", "name": "Two"},
    ]
    with respx.mock(base_url=GHL_BASE) as ghl:
        ghl.get("/calendars/").respond(200, json={"calendars": calendars})
        ghl.get("/calendars/events").mock(side_effect=events)
        result = await reconcile_ghl(session, providers, cipher, workspace)

    assert (result.seen, result.written, result.errors) == (2, 2, [])
    rows = await _rows(session)
    assert {k: r.ghl_calendar_id for k, r in rows.items()} == {
        "cal-1-x": "cal-1",
        "cal-2-x": "cal-2",
    }
    lead = await session.scalar(select(Lead).where(Lead.ghl_contact_id == "c9"))
    assert lead is not None
    assert {r.lead_id for r in rows.values()} == {lead.id}


def _calendly_event(uuid: str, status: str = "active") -> dict[str, Any]:
    return {
        "uri": f"{API}/scheduled_events/{uuid}",
        "status": status,
        "start_time": "2030-03-01T09:00:00.000000Z",
        "end_time": "2030-03-01T09:30:00.000000Z",
        "event_type": f"{API}/event_types/ET-{uuid}",
    }


def _invitee(event: str, uuid: str, email: str, **fields: Any) -> dict[str, Any]:
    return {
        "uri": f"{API}/scheduled_events/{event}/invitees/{uuid}",
        "event": f"{API}/scheduled_events/{event}",
        "email": email,
        "name": "Someone",
        "status": "active",
        "created_at": "2030-01-01T00:00:00.000000Z",
        "updated_at": "2030-01-01T00:00:00.000000Z",
        **fields,
    }


async def test_calendly_reconcile_writes_invitees_with_event_type(
    provider_client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(
        session, cipher, calendly_access_token="cal-token", calendly_organization_uri=ORG
    )
    invitees = {
        "EV1": [_invitee("EV1", "I1", "a@example.com")],
        "EV2": [
            _invitee(
                "EV2",
                "I2",
                "b@example.com",
                status="canceled",
                rescheduled=True,
                new_invitee=f"{API}/scheduled_events/EV1/invitees/I1",
            )
        ],
    }
    with respx.mock(base_url=CALENDLY_BASE) as calendly:
        calendly.get("/scheduled_events").respond(
            200,
            json={
                "collection": [_calendly_event("EV1"), _calendly_event("EV2", "canceled")],
                "pagination": {"next_page": None},
            },
        )
        for event, items in invitees.items():
            calendly.get(f"/scheduled_events/{event}/invitees").respond(
                200, json={"collection": items, "pagination": {"next_page": None}}
            )
        response = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/reconcile", headers=admin_headers
        )

    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert (result["provider"], result["written"]) == ("calendly", 2)
    rows = await _rows(session)
    first = rows[f"{API}/scheduled_events/EV1/invitees/I1"]
    second = rows[f"{API}/scheduled_events/EV2/invitees/I2"]
    assert first.calendly_event_type_uri == f"{API}/event_types/ET-EV1"
    assert first.status is AppointmentStatus.CONFIRMED
    assert second.calendly_event_type_uri == f"{API}/event_types/ET-EV2"
    assert second.status is AppointmentStatus.RESCHEDULED
    assert first.provider is Provider.CALENDLY


async def test_provider_failure_is_503_and_writes_nothing(
    provider_client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await _ghl_workspace(session, cipher)
    with respx.mock(base_url=GHL_BASE) as ghl:
        ghl.get("/calendars/").respond(503)
        response = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/reconcile", headers=admin_headers
        )

    assert response.status_code == 503
    assert await session.scalar(select(func.count()).select_from(Appointment)) == 0


async def test_workspace_without_providers_is_422(
    provider_client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)

    response = await provider_client.post(
        f"/v1/workspaces/{workspace.id}/reconcile", headers=admin_headers
    )

    assert response.status_code == 422
