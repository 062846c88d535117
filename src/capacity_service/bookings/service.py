"""Book on HighLevel or Calendly and write the appointment through the one upsert.

Idempotency: with an `Idempotency-Key`, the first successful result is stored in
`booking_request` in the same transaction as the appointment and replayed for every repeat,
with no second provider call. A request that failed stored nothing, so it may be retried with
the same key. A concurrent duplicate while the first is in flight gets 409.

Nothing half-written: the provider is called before anything is written, and a provider failure
raises (502/503), rolling the request's transaction back.
"""

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.appointments.schemas import AppointmentRead
from capacity_service.appointments.service import upsert_appointment_with_rollup
from capacity_service.bookings.repository import BookingRequestRepository
from capacity_service.bookings.schemas import BookingCreate
from capacity_service.exceptions import (
    BadGateway,
    Conflict,
    NotFound,
    ServiceUnavailable,
    UnprocessableEntity,
)
from capacity_service.kit.enums import Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.leads.repository import LeadRepository
from capacity_service.models import Lead, Workspace
from capacity_service.providers import ProviderClients
from capacity_service.providers.errors import TRANSIENT_ERRORS, ProviderError
from capacity_service.providers.types import ProviderAppointment
from capacity_service.workspaces.credentials import calendly_credentials, ghl_credentials

CREATED = 201


@dataclass(frozen=True, slots=True)
class BookingResult:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def request_hash(data: BookingCreate) -> str:
    return hashlib.sha256(data.model_dump_json(by_alias=True).encode()).hexdigest()


def provider_failure(exc: ProviderError, what: str = "the booking was not made") -> Exception:
    """503 when the provider may answer later (down, rate limited), 502 otherwise."""
    if isinstance(exc, TRANSIENT_ERRORS):
        return ServiceUnavailable(f"{what}: {exc}")
    return BadGateway(f"{what}: {exc}")


async def _book_ghl(
    providers: ProviderClients,
    cipher: SecretCipher,
    workspace: Workspace,
    lead: Lead,
    data: BookingCreate,
) -> ProviderAppointment:
    creds = ghl_credentials(workspace, cipher)
    calendar_id = data.calendar_id or workspace.ghl_default_calendar_id
    if calendar_id is None:
        raise UnprocessableEntity("calendarId: required (the workspace has no default calendar)")
    if lead.ghl_contact_id is None:
        raise UnprocessableEntity("the lead has no ghlContactId to book on HighLevel")
    booked = await providers.ghl.create_appointment(
        creds,
        calendar_id=calendar_id,
        contact_id=lead.ghl_contact_id,
        start_at=data.start_time,
        end_at=data.end_time,
        title=data.title,
    )
    return dataclasses.replace(booked, attribution=booked.attribution or calendar_id)


async def _book_calendly(
    providers: ProviderClients,
    cipher: SecretCipher,
    workspace: Workspace,
    lead: Lead,
    data: BookingCreate,
) -> ProviderAppointment:
    creds = calendly_credentials(workspace, cipher)
    event_type = data.event_type_uri or workspace.calendly_default_event_type_uri
    if event_type is None:
        raise UnprocessableEntity(
            "eventTypeUri: required (the workspace has no default Calendly event type)"
        )
    if lead.email is None:
        raise UnprocessableEntity("the lead has no email to book on Calendly")
    booked = await providers.calendly.create_invitee(
        creds,
        event_type_uri=event_type,
        start_at=data.start_time,
        email=lead.email,
        name=lead.name or lead.email.split("@")[0],
        timezone=data.timezone or workspace.timezone,
        phone=lead.phone,
    )
    return dataclasses.replace(booked, attribution=booked.attribution or event_type)


async def book(
    session: AsyncSession,
    providers: ProviderClients,
    cipher: SecretCipher,
    workspace: Workspace,
    data: BookingCreate,
    *,
    idempotency_key: str | None = None,
) -> BookingResult:
    requests = BookingRequestRepository(session)
    fingerprint = request_hash(data)
    if idempotency_key is not None:
        if not await requests.try_claim(workspace.id, idempotency_key):
            raise Conflict(
                "a request with this Idempotency-Key is still in progress; retry in a moment"
            )
        previous = await requests.get(workspace.id, idempotency_key)
        if previous is not None:
            if previous.request_hash != fingerprint:
                raise UnprocessableEntity(
                    "this Idempotency-Key was used with a different request body"
                )
            assert previous.response_body is not None
            assert previous.response_status is not None
            return BookingResult(previous.response_status, previous.response_body, replayed=True)

    lead = await LeadRepository(session).get(workspace.id, data.lead_id)
    if lead is None:
        raise NotFound(f"lead {data.lead_id} not found in this workspace")
    book_at = _book_ghl if data.provider is Provider.GHL else _book_calendly
    try:
        booked = await book_at(providers, cipher, workspace, lead, data)
    except ProviderError as exc:
        raise provider_failure(exc) from None
    booked = dataclasses.replace(booked, booked_at=booked.booked_at or utcnow())
    row = await upsert_appointment_with_rollup(
        session, workspace_id=workspace.id, lead_id=lead.id, appointment=booked
    )
    body = AppointmentRead.model_validate(row).model_dump(mode="json", by_alias=True)
    if idempotency_key is not None:
        await requests.record_completed(
            workspace_id=workspace.id,
            idempotency_key=idempotency_key,
            request_hash=fingerprint,
            response_status=CREATED,
            response_body=body,
            appointment_id=row.id,
        )
    return BookingResult(CREATED, body, replayed=False)
