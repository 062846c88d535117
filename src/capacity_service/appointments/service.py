"""The only writer of appointment rows, and the lead rollup that follows every write.

Every write path (bookings, both webhooks, both reconciles) turns what the provider reported
into a `ProviderAppointment` and calls `upsert_appointment_with_rollup`; the database decides
which state wins (see `AppointmentRepository.upsert`), so concurrent and out-of-order deliveries
of one appointment converge on one row.
"""

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.alerts.dispatch import enqueue_alert_evaluation_after_change
from capacity_service.appointments.repository import (
    AppointmentFilter,
    AppointmentRepository,
    AppointmentValues,
)
from capacity_service.kit.enums import Provider
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
) -> Appointment:
    """Write one provider state of an appointment and recompute its lead's rollup.

    Idempotent on the provider identity (HighLevel appointment id, Calendly invitee URI);
    an older state (by `provider_updated_at`) does not overwrite a newer one; known
    attribution is never erased. An existing row keeps the lead it was first written for.
    Queues a debounced alert evaluation of the workspace with the write.
    """
    repository = AppointmentRepository(session)
    await repository.lock_lead(lead_id)
    if appointment.status is None:
        logger.warning(
            "%s appointment %s has unmapped status %r; keeping the stored status",
            appointment.provider.value,
            appointment.external_id,
            appointment.provider_status,
        )
    row, _ = await repository.upsert(
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
            ghl_calendar_id=appointment.ghl_calendar_id,
            calendly_event_type_uri=appointment.calendly_event_type_uri,
            calendly_scheduled_event_uri=appointment.calendly_event_uri,
        )
    )
    if row.lead_id != lead_id:
        await repository.lock_lead(row.lead_id)
    await repository.refresh_lead_rollup(row.lead_id)
    await enqueue_alert_evaluation_after_change(session, workspace_id)
    return row


async def lead_for_provider_contact(
    session: AsyncSession, workspace_id: uuid.UUID, provider: Provider, contact: ProviderContact
) -> Lead:
    """The lead a provider's invitee or contact is, created when it does not exist yet.

    Calendly invitees are found by email (lower-cased), HighLevel contacts by contact id.
    """
    leads = LeadRepository(session)
    if provider is Provider.CALENDLY:
        if not contact.email:
            raise LeadIdentityMissing("the Calendly invitee has no email")
        return await leads.ensure_by_email(
            workspace_id, contact.email.strip().lower(), name=contact.name, phone=contact.phone
        )
    if not contact.ghl_contact_id:
        raise LeadIdentityMissing("the HighLevel appointment has no contactId")
    return await leads.ensure_by_ghl_contact(workspace_id, contact.ghl_contact_id)


async def record_provider_appointment(
    session: AsyncSession, workspace_id: uuid.UUID, appointment: ProviderAppointment
) -> Appointment:
    """Find or create the lead from the provider's contact, then upsert (webhooks, reconcile)."""
    lead = await lead_for_provider_contact(
        session, workspace_id, appointment.provider, appointment.contact
    )
    return await upsert_appointment_with_rollup(
        session, workspace_id=workspace_id, lead_id=lead.id, appointment=appointment
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
