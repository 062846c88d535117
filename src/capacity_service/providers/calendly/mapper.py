"""Calendly wire models to domain types, and invitee state to neutral statuses.

The table is providers.md §1.6. The invitee is the booking (its URI the identity); the scheduled
event gives the times and the attribution (`event_type`). Calendly has no attended signal, so
SHOWED never comes from here.
"""

from __future__ import annotations

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.providers.calendly.schemas import (
    CalendlyEventTypeModel,
    CalendlyInviteeModel,
    CalendlyScheduledEventModel,
    CalendlyUserModel,
)
from capacity_service.providers.types import (
    CalendlyEventType,
    CalendlyInvitee,
    CalendlyScheduledEvent,
    CalendlyUser,
    ProviderAppointment,
    ProviderContact,
)


def map_calendly_status(
    status: str, *, rescheduled: bool, new_invitee_uri: str | None, no_show: bool
) -> AppointmentStatus:
    """Canceled: RESCHEDULED when it has a successor, else CANCELED; active: NO_SHOW when
    marked so, else CONFIRMED (also after a no-show is undone)."""
    if status.lower() == "canceled":
        if rescheduled or new_invitee_uri:
            return AppointmentStatus.RESCHEDULED
        return AppointmentStatus.CANCELED
    if no_show:
        return AppointmentStatus.NO_SHOW
    return AppointmentStatus.CONFIRMED


def invitee_to_domain(invitee: CalendlyInviteeModel) -> CalendlyInvitee:
    return CalendlyInvitee(
        uri=invitee.uri,
        event_uri=invitee.event,
        email=invitee.email,
        name=invitee.name,
        status=invitee.status,
        rescheduled=invitee.rescheduled,
        old_invitee_uri=invitee.old_invitee,
        new_invitee_uri=invitee.new_invitee,
        no_show=invitee.no_show is not None,
        created_at=invitee.created_at,
        updated_at=invitee.updated_at,
        phone=invitee.text_reminder_number,
    )


def scheduled_event_to_domain(event: CalendlyScheduledEventModel) -> CalendlyScheduledEvent:
    return CalendlyScheduledEvent(
        uri=event.uri,
        event_type_uri=event.event_type,
        status=event.status,
        start_at=event.start_time,
        end_at=event.end_time,
        name=event.name,
        updated_at=event.updated_at,
    )


def calendly_appointment(
    invitee: CalendlyInvitee, event: CalendlyScheduledEvent
) -> ProviderAppointment:
    """One appointment per invitee, timed and attributed by its scheduled event.

    A canceled event cancels every invitee on it, even one still listed as active (a host
    cancel); a reconcile reads the invitees of canceled events too.
    """
    canceled_event = event.status.lower() == "canceled"
    status = map_calendly_status(
        "canceled" if canceled_event else invitee.status,
        rescheduled=invitee.rescheduled,
        new_invitee_uri=invitee.new_invitee_uri,
        no_show=invitee.no_show,
    )
    return ProviderAppointment(
        provider=Provider.CALENDLY,
        external_id=invitee.uri,
        attribution=event.event_type_uri,
        status=status,
        provider_status=invitee.status,
        start_at=event.start_at,
        end_at=event.end_at,
        provider_updated_at=invitee.updated_at,
        booked_at=invitee.created_at,
        contact=ProviderContact(email=invitee.email, name=invitee.name, phone=invitee.phone),
        calendly_event_uri=invitee.event_uri,
        calendly_old_invitee_uri=invitee.old_invitee_uri,
        calendly_new_invitee_uri=invitee.new_invitee_uri,
    )


def webhook_payload_to_appointment(
    invitee: CalendlyInviteeModel, event: CalendlyScheduledEventModel
) -> ProviderAppointment:
    """For `invitee.*` webhooks: `payload` is the invitee, `payload.scheduled_event` the event."""
    return calendly_appointment(invitee_to_domain(invitee), scheduled_event_to_domain(event))


def user_to_domain(user: CalendlyUserModel) -> CalendlyUser:
    return CalendlyUser(
        uri=user.uri,
        name=user.name,
        email=user.email,
        timezone=user.timezone,
        organization_uri=user.current_organization,
    )


def event_type_to_domain(event_type: CalendlyEventTypeModel) -> CalendlyEventType:
    return CalendlyEventType(
        uri=event_type.uri,
        name=event_type.name,
        active=event_type.active,
        duration_minutes=int(event_type.duration) if event_type.duration is not None else None,
        scheduling_url=event_type.scheduling_url,
        slug=event_type.slug,
        kind=event_type.kind,
    )
