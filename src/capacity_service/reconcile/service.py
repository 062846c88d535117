"""Pull a workspace's (or one lead's) appointments from HighLevel and Calendly and upsert them.

Callable from a job: each function takes the session first, flushes and never commits; the
caller owns the transaction. Provider failures raise `ProviderError` (a job retries them; the
endpoint turns them into 502/503). One appointment that cannot be written does not stop the
rest: it is rolled back to its savepoint and reported in `errors`.

Range: without `start`/`end`, from 30 days ago to 90 days ahead (appointment start times).
Per lead, HighLevel returns the contact's whole appointment list, so no range applies.

Missing on HighLevel (providers.md §2.6): after a successful listing, a CONFIRMED appointment we
hold inside exactly that listing's scope (the lead, or the listed calendars and the range) that
the listing did not return is looked up on its own. Not found: CANCELED, versioned at the
listing's time. Found (moved out of the range, booked after the listing): written as the
provider has it. A failed lookup leaves the row alone and is reported in `errors`. Calendly
needs no such step: its listing includes canceled events and invitees.
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.appointments.repository import AppointmentRepository, GhlListing
from capacity_service.appointments.service import (
    cancel_missing_at_provider,
    record_provider_appointment,
    upsert_appointment_with_rollup,
)
from capacity_service.data_quality.service import record_reconcile
from capacity_service.exceptions import NotFound
from capacity_service.kit.enums import Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import to_utc, utcnow
from capacity_service.leads.repository import LeadRepository
from capacity_service.models import Lead, Workspace
from capacity_service.providers import ProviderClients
from capacity_service.providers.calendly.mapper import calendly_appointment
from capacity_service.providers.errors import ProviderNotFoundError
from capacity_service.providers.http import gather_all
from capacity_service.providers.types import GhlCredentials, ProviderAppointment
from capacity_service.workspaces.credentials import calendly_credentials, ghl_credentials

logger = logging.getLogger("capacity_service.reconcile")

DEFAULT_LOOKBACK = timedelta(days=30)
DEFAULT_LOOKAHEAD = timedelta(days=90)


@dataclass(slots=True)
class ReconcileResult:
    provider: Provider
    seen: int = 0
    written: int = 0
    canceled_missing: int = 0
    skipped: str | None = None
    errors: list[str] = field(default_factory=list)


def default_range(
    start: datetime | None, end: datetime | None, *, now: datetime | None = None
) -> tuple[datetime, datetime]:
    current = now or utcnow()
    return (
        to_utc(start) if start else current - DEFAULT_LOOKBACK,
        to_utc(end) if end else current + DEFAULT_LOOKAHEAD,
    )


async def _lead(session: AsyncSession, workspace: Workspace, lead_id: uuid.UUID) -> Lead:
    lead = await LeadRepository(session).get(workspace.id, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} not found in this workspace")
    return lead


async def _write_all(
    session: AsyncSession,
    workspace: Workspace,
    appointments: list[ProviderAppointment],
    result: ReconcileResult,
    lead: Lead | None,
) -> ReconcileResult:
    result.seen = len(appointments)
    for appointment in appointments:
        try:
            async with session.begin_nested():
                if lead is not None:
                    await upsert_appointment_with_rollup(
                        session, workspace_id=workspace.id, lead_id=lead.id, appointment=appointment
                    )
                else:
                    await record_provider_appointment(session, workspace.id, appointment)
            result.written += 1
        except Exception as exc:  # one bad row must not stop the reconcile
            logger.warning("reconcile %s: %s", appointment.external_id, exc)
            result.errors.append(f"{appointment.external_id}: {exc}"[:500])
    return result


async def reconcile_ghl(
    session: AsyncSession,
    providers: ProviderClients,
    cipher: SecretCipher,
    workspace: Workspace,
    *,
    lead_id: uuid.UUID | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> ReconcileResult:
    """HighLevel: one lead's contact appointments, or every calendar's events of the location
    in the range; each attributed to its `calendarId`. Then settles what the listing lacked."""
    creds = ghl_credentials(workspace, cipher)
    result = ReconcileResult(Provider.GHL)
    read_at = utcnow()
    lead: Lead | None = None
    if lead_id is not None:
        lead = await _lead(session, workspace, lead_id)
        if lead.ghl_contact_id is None:
            result.skipped = "the lead has no ghlContactId"
            return result
        appointments = await providers.ghl.get_contact_appointments(creds, lead.ghl_contact_id)
        listing = GhlListing(frozenset(a.external_id for a in appointments), lead_id=lead.id)
    else:
        range_start, range_end = default_range(start, end)
        calendars = await providers.ghl.list_calendars(creds)
        per_calendar = await gather_all(
            providers.ghl.list_calendar_events(creds, range_start, range_end, calendar_id=c.id)
            for c in calendars
        )
        unique: dict[str, ProviderAppointment] = {}
        for events in per_calendar:
            for event in events:
                unique.setdefault(event.external_id, event)
        appointments = sorted(unique.values(), key=lambda a: (a.start_at, a.external_id))
        listing = GhlListing(
            frozenset(unique),
            calendar_ids=frozenset(c.id for c in calendars),
            start_from=range_start,
            start_to=range_end,
        )
    await _write_all(session, workspace, appointments, result, lead)
    await _settle_missing(session, providers, creds, workspace, listing, read_at, result)
    return result


async def _settle_missing(
    session: AsyncSession,
    providers: ProviderClients,
    creds: GhlCredentials,
    workspace: Workspace,
    listing: GhlListing,
    read_at: datetime,
    result: ReconcileResult,
) -> None:
    missing = await AppointmentRepository(session).confirmed_ghl_not_listed(workspace.id, listing)
    if not missing:
        return
    lookups = await asyncio.gather(
        *(providers.ghl.get_appointment(creds, str(row.ghl_appointment_id)) for row in missing),
        return_exceptions=True,
    )
    for row, found in zip(missing, lookups, strict=True):
        appointment_id = str(row.ghl_appointment_id)
        if isinstance(found, BaseException) and not isinstance(found, Exception):
            raise found
        if isinstance(found, Exception) and not isinstance(found, ProviderNotFoundError):
            logger.warning(
                "reconcile %s: lookup of a missing appointment: %s", appointment_id, found
            )
            result.errors.append(f"{appointment_id}: {found}"[:500])
            continue
        try:
            async with session.begin_nested():
                if isinstance(found, ProviderNotFoundError):
                    await cancel_missing_at_provider(session, row, missing_since=read_at)
                    result.canceled_missing += 1
                else:
                    await upsert_appointment_with_rollup(
                        session, workspace_id=workspace.id, lead_id=row.lead_id, appointment=found
                    )
                    result.written += 1
        except Exception as exc:  # one bad row must not stop the reconcile
            logger.warning("reconcile %s: %s", appointment_id, exc)
            result.errors.append(f"{appointment_id}: {exc}"[:500])


async def reconcile_calendly(
    session: AsyncSession,
    providers: ProviderClients,
    cipher: SecretCipher,
    workspace: Workspace,
    *,
    lead_id: uuid.UUID | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> ReconcileResult:
    """Calendly: the organization's scheduled events in the range (canceled included) with
    their invitees, each attributed to the event's `event_type`; for a lead, only events
    with that invitee email."""
    creds = calendly_credentials(workspace, cipher)
    result = ReconcileResult(Provider.CALENDLY)
    range_start, range_end = default_range(start, end)
    if lead_id is None:
        appointments = await providers.calendly.list_appointments(creds, range_start, range_end)
        return await _write_all(session, workspace, appointments, result, None)
    lead = await _lead(session, workspace, lead_id)
    if lead.email is None:
        result.skipped = "the lead has no email"
        return result
    events = await providers.calendly.list_scheduled_events(
        creds, range_start, range_end, invitee_email=lead.email
    )
    per_event = await gather_all(
        providers.calendly.list_event_invitees(creds, e.uri) for e in events
    )
    appointments = [
        calendly_appointment(invitee, event)
        for event, invitees in zip(events, per_event, strict=True)
        for invitee in invitees
        if (invitee.email or "").lower() == lead.email.lower()
    ]
    return await _write_all(session, workspace, appointments, result, lead)


def configured_providers(workspace: Workspace) -> list[Provider]:
    found = []
    if workspace.ghl_location_id and workspace.ghl_access_token_encrypted:
        found.append(Provider.GHL)
    if workspace.calendly_access_token_encrypted:
        found.append(Provider.CALENDLY)
    return found


async def reconcile_workspace(
    session: AsyncSession,
    providers: ProviderClients,
    cipher: SecretCipher,
    workspace: Workspace,
    *,
    provider: Provider | None = None,
    lead_id: uuid.UUID | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[ReconcileResult]:
    """Every configured provider of the workspace (or the one asked for), one after another.

    The entry point for a scheduled job: `reconcile_workspace(session, providers, cipher,
    workspace)` inside the job's own transaction.
    """
    targets = [provider] if provider is not None else configured_providers(workspace)
    results = []
    for target in targets:
        run = reconcile_ghl if target is Provider.GHL else reconcile_calendly
        result = await run(
            session, providers, cipher, workspace, lead_id=lead_id, start=start, end=end
        )
        results.append(result)
        if lead_id is None and result.skipped is None:
            await record_reconcile(
                session,
                workspace.id,
                target,
                at=utcnow(),
                seen=result.seen,
                errors=len(result.errors),
            )
    return results
