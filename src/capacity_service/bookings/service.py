"""Book on HighLevel or Calendly and write the appointment through the one upsert.

No transaction is open while the provider is called. With an `Idempotency-Key` the request runs
in short transactions of its own, each committed before the next step:

1. the key is recorded as `pending` (a concurrent duplicate finds it: 409);
2. the provider is called;
3. its identity of the booking (HighLevel appointment id, Calendly invitee URI) and its answer
   are stored on the pending row;
4. the appointment is upserted and the row marked `completed` with the response, which every
   repeat replays with no second provider call.

If step 4 fails (a database blip), a retry with the same key finds the pending row with the
provider's identity and finishes step 4 instead of booking again. A pending row without one,
older than the longest a provider call can take, means the provider's outcome is unknown: 409
asking for a reconcile, never a second booking. A provider failure marks the row `failed`, so
the same key may be retried.
"""

import dataclasses
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.appointments.schemas import AppointmentRead
from capacity_service.appointments.service import upsert_appointment_with_rollup
from capacity_service.bookings import snapshot
from capacity_service.bookings.repository import COMPLETED, FAILED, BookingRequestRepository
from capacity_service.bookings.schemas import BookingCreate
from capacity_service.exceptions import (
    BadGateway,
    CapacityServiceError,
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
IN_PROGRESS = "a request with this Idempotency-Key is still in progress; retry in a moment"


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
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    workspace: Workspace,
    data: BookingCreate,
    *,
    idempotency_key: str | None = None,
    outcome_unknown_after_seconds: float = 80.0,
) -> BookingResult:
    """`outcome_unknown_after_seconds`: how long a pending key without the provider's identity
    counts as still in flight; past it the first attempt's provider call has surely ended."""
    fingerprint = request_hash(data)
    claim: BookingResult | ProviderAppointment | uuid.UUID | None = None
    async with sessionmaker() as session, session.begin():
        lead = await LeadRepository(session).get(workspace.id, data.lead_id)
        if lead is None:
            raise NotFound(f"lead {data.lead_id} not found in this workspace")
        if idempotency_key is not None:
            claim = await _claim(
                session, workspace, idempotency_key, fingerprint, outcome_unknown_after_seconds
            )
    if isinstance(claim, BookingResult):
        return claim
    if isinstance(claim, ProviderAppointment):
        return await _finish(
            sessionmaker, workspace.id, lead.id, claim, idempotency_key, replayed=True
        )
    request_id = claim

    book_at = _book_ghl if data.provider is Provider.GHL else _book_calendly
    try:
        booked = await book_at(providers, cipher, workspace, lead, data)
    except (ProviderError, CapacityServiceError) as exc:  # ours are raised before any call
        if request_id is not None:
            async with sessionmaker() as session, session.begin():
                await BookingRequestRepository(session).mark_failed(request_id, str(exc))
        if isinstance(exc, ProviderError):
            raise provider_failure(exc) from None
        raise
    booked = dataclasses.replace(booked, booked_at=booked.booked_at or utcnow())
    if request_id is not None:
        async with sessionmaker() as session, session.begin():
            await BookingRequestRepository(session).record_provider_booking(
                request_id, booked.external_id, snapshot.dump(booked)
            )
    return await _finish(
        sessionmaker, workspace.id, lead.id, booked, idempotency_key, replayed=False
    )


async def _claim(
    session: AsyncSession,
    workspace: Workspace,
    idempotency_key: str,
    fingerprint: str,
    outcome_unknown_after_seconds: float,
) -> BookingResult | ProviderAppointment | uuid.UUID:
    """The stored result to replay, the provider's booking to finish writing, or the id of
    the row this attempt now holds (the provider is to be called)."""
    requests = BookingRequestRepository(session)
    claimed = await requests.claim(workspace.id, idempotency_key, fingerprint)
    if claimed is not None:
        return claimed.id
    previous = await requests.get(workspace.id, idempotency_key)
    assert previous is not None  # booking requests are never deleted while their workspace is
    if previous.status == FAILED:
        if await requests.reclaim_failed(previous.id, fingerprint):
            return previous.id
        raise Conflict(IN_PROGRESS)
    if previous.request_hash != fingerprint:
        raise UnprocessableEntity("this Idempotency-Key was used with a different request body")
    if previous.status == COMPLETED:
        assert previous.response_body is not None
        assert previous.response_status is not None
        return BookingResult(previous.response_status, previous.response_body, replayed=True)
    if previous.provider_booking is not None:
        return snapshot.load(previous.provider_booking)
    if await requests.claim_age_seconds(previous.id) > outcome_unknown_after_seconds:
        raise Conflict(
            "an earlier request with this Idempotency-Key called the provider and its outcome "
            "is unknown; it will not be booked again: reconcile the workspace's appointments "
            "(POST /v1/workspaces/{id}/reconcile) and check the provider before booking anew "
            "with a new key"
        )
    raise Conflict(IN_PROGRESS)


async def _finish(
    sessionmaker: async_sessionmaker[AsyncSession],
    workspace_id: uuid.UUID,
    lead_id: uuid.UUID,
    booked: ProviderAppointment,
    idempotency_key: str | None,
    *,
    replayed: bool,
) -> BookingResult:
    """Upsert the booked appointment and, with a key, mark its request completed. The row lock
    makes a retry finishing the same booking wait, then replay this result."""
    async with sessionmaker() as session, session.begin():
        requests = BookingRequestRepository(session)
        request = None
        if idempotency_key is not None:
            request = await requests.get(workspace_id, idempotency_key, for_update=True)
            if request is not None and request.status == COMPLETED:
                assert request.response_body is not None
                assert request.response_status is not None
                return BookingResult(request.response_status, request.response_body, True)
        row = await upsert_appointment_with_rollup(
            session, workspace_id=workspace_id, lead_id=lead_id, appointment=booked
        )
        body = AppointmentRead.model_validate(row).model_dump(mode="json", by_alias=True)
        if request is not None:
            await requests.mark_completed(
                request.id, response_status=CREATED, response_body=body, appointment_id=row.id
            )
    return BookingResult(CREATED, body, replayed=replayed)
