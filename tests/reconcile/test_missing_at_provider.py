"""HighLevel reconcile: a held CONFIRMED appointment the provider no longer has becomes CANCELED.

Only within the scope the provider listed (the lead's contact, or the listed calendars and the
range), only after the listing succeeded, and only once the appointment is not found on its own
either (it may have moved out of the range, or been booked after the listing).
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import respx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.appointments.service import upsert_appointment_with_rollup
from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Appointment, Lead, Workspace
from capacity_service.providers import ProviderClients
from capacity_service.providers.types import ProviderAppointment
from capacity_service.reconcile.service import reconcile_ghl
from tests.bookings.stubs import GHL_BASE
from tests.factories import make_appointment, make_lead, make_workspace

START = datetime(2030, 2, 1, 9, 0, tzinfo=UTC)
RANGE = (datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 3, 1, tzinfo=UTC))
CALENDARS = [
    {"id": "cal-1", "locationId": "loc-1", "name": "One"},
    {"id": "cal-2", "locationId": "loc-1", "name": "Two"},
]


def _event(appointment_id: str, *, calendar_id: str = "cal-1", **fields: Any) -> dict[str, Any]:
    return {
        "id": appointment_id,
        "calendarId": calendar_id,
        "locationId": "loc-1",
        "contactId": "contact-1",
        "appointmentStatus": "confirmed",
        "startTime": "2030-02-01T09:00:00Z",
        "endTime": "2030-02-01T09:30:00Z",
        "dateAdded": "2024-12-01T10:00:00Z",
        "dateUpdated": "2024-12-01T10:00:00Z",
        **fields,
    }


async def _workspace(session: AsyncSession, cipher: SecretCipher) -> Workspace:
    return await make_workspace(
        session, cipher, ghl_access_token="ghl-token", ghl_location_id="loc-1"
    )


async def _held(
    session: AsyncSession,
    lead: Lead,
    appointment_id: str,
    *,
    calendar_id: str | None = "cal-1",
    start_at: datetime = START,
    status: AppointmentStatus = AppointmentStatus.CONFIRMED,
    provider: Provider = Provider.GHL,
) -> Appointment:
    identity = (
        {"ghl_appointment_id": appointment_id, "ghl_calendar_id": calendar_id}
        if provider is Provider.GHL
        else {"calendly_event_type_uri": "https://api.calendly.com/event_types/ET"}
    )
    return await make_appointment(
        session,
        lead,
        start_at=start_at,
        status=status,
        provider=provider,
        booked_at=START - timedelta(days=30),
        provider_updated_at=datetime(2024, 12, 1, 10, tzinfo=UTC),
        **identity,
    )


async def _statuses(session: AsyncSession) -> dict[str, AppointmentStatus]:
    rows = await session.scalars(select(Appointment).execution_options(populate_existing=True))
    return {(r.ghl_appointment_id or r.calendly_invitee_uri or ""): r.status for r in rows}


async def _row(session: AsyncSession, appointment_id: str) -> Appointment:
    row = await session.scalar(
        select(Appointment)
        .where(Appointment.ghl_appointment_id == appointment_id)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def _mock_location(ghl: respx.Router, events: dict[str, list[dict[str, Any]]]) -> None:
    ghl.get("/calendars/").respond(200, json={"calendars": CALENDARS})
    ghl.get("/calendars/events").mock(
        side_effect=lambda request: httpx.Response(
            200, json={"events": events.get(request.url.params["calendarId"], [])}
        )
    )


async def test_lead_reconcile_cancels_a_held_appointment_the_contact_no_longer_has(
    provider_client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await _workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    await _held(session, lead, "kept")
    await _held(session, lead, "gone", start_at=START + timedelta(days=1))
    before = utcnow()
    with respx.mock(base_url=GHL_BASE) as ghl:
        ghl.get("/contacts/contact-1/appointments").respond(200, json={"events": [_event("kept")]})
        lookup = ghl.get("/calendars/events/appointments/gone").respond(
            404, json={"statusCode": 404, "message": "Appointment not found"}
        )
        response = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/reconcile",
            headers=admin_headers,
            json={"leadId": str(lead.id)},
        )
    after = utcnow()

    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert (result["seen"], result["written"], result["canceledMissing"]) == (1, 1, 1)
    assert result["errors"] == []
    assert lookup.call_count == 1
    assert await _statuses(session) == {
        "kept": AppointmentStatus.CONFIRMED,
        "gone": AppointmentStatus.CANCELED,
    }
    gone = await _row(session, "gone")
    assert gone.provider_updated_at is not None
    assert before <= gone.provider_updated_at <= after
    assert gone.ghl_calendar_id == "cal-1"
    refreshed = await session.get(Lead, lead.id, populate_existing=True)
    assert refreshed is not None
    assert refreshed.latest_appointment_id == gone.id
    assert refreshed.latest_appointment_status is AppointmentStatus.CANCELED


async def test_lead_reconcile_leaves_other_leads_and_ended_states_alone(
    session: AsyncSession, cipher: SecretCipher, providers: ProviderClients
) -> None:
    workspace = await _workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    other = await make_lead(session, workspace, ghl_contact_id="contact-2")
    await _held(session, lead, "showed", status=AppointmentStatus.SHOWED)
    await _held(session, lead, "calendly", provider=Provider.CALENDLY)
    await _held(session, other, "other-lead")
    with respx.mock(base_url=GHL_BASE, assert_all_called=False) as ghl:
        ghl.get("/contacts/contact-1/appointments").respond(200, json={"events": []})
        lookup = ghl.get(path__startswith="/calendars/events/appointments/").respond(404)
        result = await reconcile_ghl(session, providers, cipher, workspace, lead_id=lead.id)

    assert (result.seen, result.canceled_missing, result.errors) == (0, 0, [])
    assert lookup.call_count == 0
    statuses = await _statuses(session)
    assert statuses["showed"] is AppointmentStatus.SHOWED
    assert statuses["other-lead"] is AppointmentStatus.CONFIRMED
    assert AppointmentStatus.CANCELED not in statuses.values()


async def test_workspace_reconcile_cancels_only_within_the_listed_calendars_and_range(
    session: AsyncSession, cipher: SecretCipher, providers: ProviderClients
) -> None:
    workspace = await _workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    await _held(session, lead, "listed")
    await _held(session, lead, "gone-1")
    await _held(session, lead, "gone-2", calendar_id="cal-2")
    await _held(session, lead, "before-range", start_at=RANGE[0] - timedelta(minutes=1))
    await _held(session, lead, "at-range-end", start_at=RANGE[1])
    await _held(session, lead, "unlisted-calendar", calendar_id="cal-deleted")
    await _held(session, lead, "unattributed", calendar_id=None)
    await _held(session, lead, "calendly", provider=Provider.CALENDLY)
    elsewhere = await make_workspace(
        session, cipher, ghl_access_token="other-token", ghl_location_id="loc-2"
    )
    await _held(session, await make_lead(session, elsewhere), "other-workspace")
    with respx.mock(base_url=GHL_BASE) as ghl:
        _mock_location(ghl, {"cal-1": [_event("listed")]})
        lookup = ghl.get(path__startswith="/calendars/events/appointments/").respond(404)
        result = await reconcile_ghl(
            session, providers, cipher, workspace, start=RANGE[0], end=RANGE[1]
        )

    assert (result.seen, result.written, result.canceled_missing) == (1, 1, 2)
    assert sorted(c.request.url.path.rsplit("/", 1)[1] for c in lookup.calls) == [
        "gone-1",
        "gone-2",
    ]
    statuses = await _statuses(session)
    canceled = {k for k, v in statuses.items() if v is AppointmentStatus.CANCELED}
    assert canceled == {"gone-1", "gone-2"}


async def test_appointment_found_on_its_own_is_written_as_the_provider_has_it(
    session: AsyncSession, cipher: SecretCipher, providers: ProviderClients
) -> None:
    """Rescheduled out of the range (a missed update): moved, not canceled."""
    workspace = await _workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    await _held(session, lead, "moved")
    moved = _event(
        "moved",
        startTime="2030-04-02T09:00:00Z",
        endTime="2030-04-02T09:30:00Z",
        dateUpdated="2024-12-20T10:00:00Z",
    )
    with respx.mock(base_url=GHL_BASE) as ghl:
        _mock_location(ghl, {})
        ghl.get("/calendars/events/appointments/moved").respond(200, json={"event": moved})
        result = await reconcile_ghl(
            session, providers, cipher, workspace, start=RANGE[0], end=RANGE[1]
        )

    assert (result.canceled_missing, result.errors) == (0, [])
    row = await _row(session, "moved")
    assert row.status is AppointmentStatus.CONFIRMED
    assert row.start_at == datetime(2030, 4, 2, 9, 0, tzinfo=UTC)


async def test_nothing_is_canceled_when_the_listing_fails(
    provider_client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await _workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    await _held(session, lead, "held")

    def events(request: httpx.Request) -> httpx.Response:
        if request.url.params["calendarId"] == "cal-2":
            return httpx.Response(503)
        return httpx.Response(200, json={"events": []})

    with respx.mock(base_url=GHL_BASE, assert_all_called=False) as ghl:
        ghl.get("/calendars/").respond(200, json={"calendars": CALENDARS})
        ghl.get("/calendars/events").mock(side_effect=events)
        lookup = ghl.get(path__startswith="/calendars/events/appointments/").respond(404)
        ghl.get("/contacts/contact-1/appointments").respond(503)
        workspace_wide = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/reconcile",
            headers=admin_headers,
            json={"startFrom": "2030-01-01T00:00:00Z", "startTo": "2030-03-01T00:00:00Z"},
        )
        per_lead = await provider_client.post(
            f"/v1/workspaces/{workspace.id}/reconcile",
            headers=admin_headers,
            json={"leadId": str(lead.id)},
        )

    assert (workspace_wide.status_code, per_lead.status_code) == (503, 503)
    assert lookup.call_count == 0
    assert await _statuses(session) == {"held": AppointmentStatus.CONFIRMED}


async def test_nothing_is_canceled_when_the_lookup_of_the_missing_appointment_fails(
    session: AsyncSession, cipher: SecretCipher, providers: ProviderClients
) -> None:
    workspace = await _workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    await _held(session, lead, "unsure")
    await _held(session, lead, "gone")
    with respx.mock(base_url=GHL_BASE) as ghl:
        ghl.get("/contacts/contact-1/appointments").respond(200, json={"events": []})
        ghl.get("/calendars/events/appointments/unsure").respond(503)
        ghl.get("/calendars/events/appointments/gone").respond(404)
        result = await reconcile_ghl(session, providers, cipher, workspace, lead_id=lead.id)

    assert result.canceled_missing == 1
    (error,) = result.errors
    assert error.startswith("unsure: ")
    assert await _statuses(session) == {
        "unsure": AppointmentStatus.CONFIRMED,
        "gone": AppointmentStatus.CANCELED,
    }


async def test_a_later_provider_event_wins_over_the_reconcile_cancel_and_an_earlier_one_not(
    session: AsyncSession, cipher: SecretCipher, providers: ProviderClients
) -> None:
    workspace = await _workspace(session, cipher)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    await _held(session, lead, "gone")
    with respx.mock(base_url=GHL_BASE) as ghl:
        ghl.get("/contacts/contact-1/appointments").respond(200, json={"events": []})
        ghl.get("/calendars/events/appointments/gone").respond(404)
        await reconcile_ghl(session, providers, cipher, workspace, lead_id=lead.id)
    canceled_at = (await _row(session, "gone")).provider_updated_at
    assert canceled_at is not None

    def state(version: datetime) -> ProviderAppointment:
        return ProviderAppointment(
            provider=Provider.GHL,
            external_id="gone",
            attribution="cal-1",
            status=AppointmentStatus.CONFIRMED,
            provider_status="confirmed",
            start_at=START,
            end_at=START + timedelta(minutes=30),
            provider_updated_at=version,
        )

    await upsert_appointment_with_rollup(
        session,
        workspace_id=workspace.id,
        lead_id=lead.id,
        appointment=state(canceled_at - timedelta(minutes=5)),
    )
    assert (await _row(session, "gone")).status is AppointmentStatus.CANCELED

    await upsert_appointment_with_rollup(
        session,
        workspace_id=workspace.id,
        lead_id=lead.id,
        appointment=state(canceled_at + timedelta(minutes=5)),
    )
    assert (await _row(session, "gone")).status is AppointmentStatus.CONFIRMED
