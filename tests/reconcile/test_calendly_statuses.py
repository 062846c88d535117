"""Calendly reconcile: canceled events and invitees reach the rows we hold (providers.md §1.6)."""

from datetime import datetime
from typing import Any

import respx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.models import Appointment, Lead, Workspace
from capacity_service.providers import ProviderClients
from capacity_service.reconcile.service import reconcile_calendly
from tests.bookings.stubs import CALENDLY_BASE
from tests.factories import make_appointment, make_lead, make_workspace

API = "https://api.calendly.com"
ORG = f"{API}/organizations/O1"
HELD_VERSION = "2030-01-01T00:00:00.000000Z"


def _event(uuid: str, status: str = "active") -> dict[str, Any]:
    return {
        "uri": f"{API}/scheduled_events/{uuid}",
        "status": status,
        "start_time": "2030-03-01T09:00:00.000000Z",
        "end_time": "2030-03-01T09:30:00.000000Z",
        "event_type": f"{API}/event_types/ET-1",
    }


def _invitee(event: str, uuid: str, **fields: Any) -> dict[str, Any]:
    return {
        "uri": invitee_uri(event, uuid),
        "event": f"{API}/scheduled_events/{event}",
        "email": "ada@example.com",
        "name": "Ada",
        "status": "active",
        "created_at": HELD_VERSION,
        "updated_at": HELD_VERSION,
        **fields,
    }


def invitee_uri(event: str, uuid: str) -> str:
    return f"{API}/scheduled_events/{event}/invitees/{uuid}"


async def _workspace(session: AsyncSession, cipher: SecretCipher) -> Workspace:
    return await make_workspace(
        session, cipher, calendly_access_token="cal-token", calendly_organization_uri=ORG
    )


async def _hold(session: AsyncSession, lead: Lead, event: str, uuid: str) -> Appointment:
    return await make_appointment(
        session,
        lead,
        provider=Provider.CALENDLY,
        calendly_invitee_uri=invitee_uri(event, uuid),
        calendly_scheduled_event_uri=f"{API}/scheduled_events/{event}",
        calendly_event_type_uri=f"{API}/event_types/ET-1",
        provider_updated_at=datetime.fromisoformat(HELD_VERSION),
    )


async def _statuses(session: AsyncSession) -> dict[str, AppointmentStatus]:
    rows = await session.scalars(select(Appointment).execution_options(populate_existing=True))
    return {r.calendly_invitee_uri or "": r.status for r in rows}


def _mock(
    calendly: respx.Router, events: list[dict[str, Any]], invitees: dict[str, list[Any]]
) -> respx.Route:
    listing = calendly.get("/scheduled_events").respond(
        200, json={"collection": events, "pagination": {"next_page": None}}
    )
    for event, items in invitees.items():
        calendly.get(f"/scheduled_events/{event}/invitees").respond(
            200, json={"collection": items, "pagination": {"next_page": None}}
        )
    return listing


async def test_canceled_events_cancel_held_invitees_and_a_rescheduled_one_is_rescheduled(
    session: AsyncSession, cipher: SecretCipher, providers: ProviderClients
) -> None:
    workspace = await _workspace(session, cipher)
    lead = await make_lead(session, workspace, email="ada@example.com")
    for event in ("EV1", "EV2", "EV3"):
        await _hold(session, lead, event, "I")
    later = "2030-01-05T00:00:00.000000Z"
    with respx.mock(base_url=CALENDLY_BASE) as calendly:
        listing = _mock(
            calendly,
            [_event("EV1", "canceled"), _event("EV2", "canceled"), _event("EV3", "canceled")],
            {
                "EV1": [_invitee("EV1", "I", status="canceled", updated_at=later)],
                "EV2": [
                    _invitee(
                        "EV2",
                        "I",
                        status="canceled",
                        rescheduled=True,
                        new_invitee=invitee_uri("EV9", "J"),
                        updated_at=later,
                    )
                ],
                # the host canceled the event; the invitee is still listed as active
                "EV3": [_invitee("EV3", "I")],
            },
        )
        result = await reconcile_calendly(session, providers, cipher, workspace)

    assert "status" not in listing.calls.last.request.url.params
    assert (result.seen, result.written, result.errors) == (3, 3, [])
    assert await _statuses(session) == {
        invitee_uri("EV1", "I"): AppointmentStatus.CANCELED,
        invitee_uri("EV2", "I"): AppointmentStatus.RESCHEDULED,
        invitee_uri("EV3", "I"): AppointmentStatus.CANCELED,
    }


async def test_a_new_invitee_marks_the_held_old_invitee_rescheduled_when_its_event_is_not_listed(
    session: AsyncSession, cipher: SecretCipher, providers: ProviderClients
) -> None:
    workspace = await _workspace(session, cipher)
    lead = await make_lead(session, workspace, email="ada@example.com")
    await _hold(session, lead, "OLD", "I")
    successor = _invitee(
        "NEW",
        "J",
        old_invitee=invitee_uri("OLD", "I"),
        created_at="2030-01-05T00:00:00.000000Z",
        updated_at="2030-01-05T00:00:00.000000Z",
    )
    with respx.mock(base_url=CALENDLY_BASE) as calendly:
        _mock(calendly, [_event("NEW")], {"NEW": [successor]})
        result = await reconcile_calendly(session, providers, cipher, workspace, lead_id=lead.id)

    assert (result.written, result.errors) == (1, [])
    assert await _statuses(session) == {
        invitee_uri("OLD", "I"): AppointmentStatus.RESCHEDULED,
        invitee_uri("NEW", "J"): AppointmentStatus.CONFIRMED,
    }
    refreshed = await session.get(Lead, lead.id, populate_existing=True)
    assert refreshed is not None
    assert refreshed.latest_appointment_status is AppointmentStatus.CONFIRMED
