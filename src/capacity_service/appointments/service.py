"""The only writer of appointment rows, and the lead rollup that follows every write.

Every write path (bookings, both webhooks, both reconciles) turns what the provider reported
into a `ProviderAppointment` and calls `upsert_appointment_with_rollup`; the database decides
which state wins (see `AppointmentRepository.upsert`), so concurrent and out-of-order deliveries
of one appointment converge on one row.
"""

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.alerts.dispatch import enqueue_alert_evaluation_after_change
from capacity_service.appointments.repository import (
    AppointmentFilter,
    AppointmentRepository,
    AppointmentValues,
)
from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.leads.repository import LeadRepository
from capacity_service.models import Appointment, Lead
from capacity_service.providers.types import ProviderAppointment, ProviderContact

logger = logging.getLogger("capacity_service.appointments")


class LeadIdentityMissing(ValueError):
    """The provider gave no email (Calendly) or contact id (HighLevel) to find the lead by."""


async def upsert_appointment_with_rollup(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    lead_id: uuid.UUID,
    appointment: ProviderAppointment,
    lead_locked: bool = False,
) -> Appointment:
    """Write one provider state of an appointment and recompute its lead's rollup.

    Idempotent on the provider identity (HighLevel appointment id, Calendly invitee URI);
    an older state (by `provider_updated_at`) does not overwrite a newer one; known
    attribution is never erased (a blank one counts as none). An existing row keeps the lead
    it was first written for. The new side of a Calendly reschedule also retires the old
    booking (see `_retire_rescheduled_predecessor`). Queues a debounced alert evaluation of
    the workspace with the write. `lead_locked` says this transaction already holds the
    lead's row lock (e.g. from `LeadRepository.ensure_by_email`), saving a round trip.
    """
    repository = AppointmentRepository(session)
    if not lead_locked:
        await repository.lock_lead(lead_id)
    if appointment.status is None:
        logger.warning(
            "%s appointment %s has unmapped status %r; keeping the stored status",
            appointment.provider.value,
            appointment.external_id,
            appointment.provider_status,
        )
    row, _ = await repository.upsert_with_rollup(
        AppointmentValues(
            workspace_id=workspace_id,
            lead_id=lead_id,
            provider=appointment.provider,
            external_id=appointment.external_id,
            status=appointment.status,
            start_at=appointment.start_at,
            end_at=appointment.end_at,
            booked_at=appointment.booked_at,
            provider_updated_at=appointment.provider_updated_at,
            ghl_calendar_id=_present(appointment.ghl_calendar_id),
            calendly_event_type_uri=_present(appointment.calendly_event_type_uri),
            calendly_scheduled_event_uri=_present(appointment.calendly_event_uri),
        )
    )
    if row.lead_id != lead_id:  # the row keeps its first lead, whose rollup this changed
        await repository.lock_lead(row.lead_id)
        await repository.refresh_lead_rollup(row.lead_id)
    await enqueue_alert_evaluation_after_change(session, workspace_id)
    if appointment.provider is Provider.CALENDLY and appointment.calendly_old_invitee_uri:
        await _retire_rescheduled_predecessor(session, workspace_id, appointment)
    return row


def _present(value: str | None) -> str | None:
    return value if value and value.strip() else None


async def _retire_rescheduled_predecessor(
    session: AsyncSession, workspace_id: uuid.UUID, successor: ProviderAppointment
) -> None:
    """Mark the old invitee of a Calendly reschedule RESCHEDULED, if we hold it.

    The old invitee's own `invitee.canceled` says the same, but may arrive late or never; until
    it does, the old booking would still count. The old invitee is canceled for good once a
    successor exists, so the successor's newest known time is a safe version for that state,
    and either webhook arriving first leaves the same row. A predecessor we never held is not
    created: its times and lead are unknown here.
    """
    assert successor.calendly_old_invitee_uri is not None
    held = await AppointmentRepository(session).get_calendly_invitee(
        workspace_id, successor.calendly_old_invitee_uri
    )
    if held is None or held.status is AppointmentStatus.RESCHEDULED:
        return
    versions = [v for v in (successor.booked_at, successor.provider_updated_at) if v is not None]
    await upsert_appointment_with_rollup(
        session,
        workspace_id=workspace_id,
        lead_id=held.lead_id,
        appointment=ProviderAppointment(
            provider=Provider.CALENDLY,
            external_id=successor.calendly_old_invitee_uri,
            attribution=held.calendly_event_type_uri,
            status=AppointmentStatus.RESCHEDULED,
            provider_status="rescheduled",
            start_at=held.start_at,
            end_at=held.end_at,
            provider_updated_at=max(versions) if versions else None,
            booked_at=held.booked_at,
            calendly_event_uri=held.calendly_scheduled_event_uri,
            calendly_new_invitee_uri=successor.external_id,
        ),
    )


async def cancel_missing_at_provider(
    session: AsyncSession, held: Appointment, *, missing_since: datetime
) -> Appointment:
    """Write CANCELED for a held HighLevel appointment the provider no longer has
    (providers.md §2.6, "missing on reconcile").

    The version is the moment the provider was read without it, so a provider event made
    after that read (a re-booking, a restore) still wins, and an older one does not undo it.
    """
    assert held.ghl_appointment_id is not None, "only HighLevel appointments go missing"
    return await upsert_appointment_with_rollup(
        session,
        workspace_id=held.workspace_id,
        lead_id=held.lead_id,
        appointment=ProviderAppointment(
            provider=Provider.GHL,
            external_id=held.ghl_appointment_id,
            attribution=held.ghl_calendar_id,
            status=AppointmentStatus.CANCELED,
            provider_status="missing",
            start_at=held.start_at,
            end_at=held.end_at,
            provider_updated_at=missing_since,
            booked_at=held.booked_at,
        ),
    )


async def lead_for_provider_contact(
    session: AsyncSession, workspace_id: uuid.UUID, provider: Provider, contact: ProviderContact
) -> Lead:
    """The lead a provider's invitee or contact is, created when it does not exist yet.

    Calendly invitees are found by email (lower-cased), HighLevel contacts by contact id.
    """
    missing = missing_lead_identity(provider, contact)
    if missing is not None:
        raise LeadIdentityMissing(missing)
    leads = LeadRepository(session)
    if provider is Provider.CALENDLY:
        assert contact.email is not None
        return await leads.ensure_by_email(
            workspace_id, contact.email.strip().lower(), name=contact.name, phone=contact.phone
        )
    assert contact.ghl_contact_id is not None
    return await leads.ensure_by_ghl_contact(workspace_id, contact.ghl_contact_id)


def missing_lead_identity(provider: Provider, contact: ProviderContact) -> str | None:
    """Why no lead can be found for this contact, or None; decidable from the payload alone,
    so a webhook can be refused before it is queued."""
    if provider is Provider.CALENDLY and not contact.email:
        return "the Calendly invitee has no email"
    if provider is Provider.GHL and not contact.ghl_contact_id:
        return "the HighLevel appointment has no contactId"
    return None


async def record_provider_appointment(
    session: AsyncSession, workspace_id: uuid.UUID, appointment: ProviderAppointment
) -> Appointment:
    """Find or create the lead from the provider's contact, then upsert (webhooks, reconcile).

    Finding the lead takes its row lock, so the upsert does not lock it again.
    """
    lead = await lead_for_provider_contact(
        session, workspace_id, appointment.provider, appointment.contact
    )
    return await upsert_appointment_with_rollup(
        session,
        workspace_id=workspace_id,
        lead_id=lead.id,
        appointment=appointment,
        lead_locked=True,
    )


async def list_appointments(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    filters: AppointmentFilter,
    *,
    limit: int,
    offset: int,
) -> tuple[Sequence[Appointment], int]:
    return await AppointmentRepository(session).list(
        workspace_id, filters, limit=limit, offset=offset
    )
