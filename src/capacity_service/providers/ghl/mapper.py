"""HighLevel wire models to domain types, and `appointmentStatus` to neutral statuses.

The table is providers.md §2.6. A reschedule keeps the appointment id and only moves the times,
so no HighLevel status maps to RESCHEDULED.
"""

from __future__ import annotations

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.providers.ghl.schemas import GhlAppointment, GhlCalendarModel
from capacity_service.providers.types import GhlCalendar, ProviderAppointment, ProviderContact

GHL_STATUS_MAP: dict[str, AppointmentStatus] = {
    "confirmed": AppointmentStatus.CONFIRMED,
    "new": AppointmentStatus.CONFIRMED,
    "booked": AppointmentStatus.CONFIRMED,
    "active": AppointmentStatus.CONFIRMED,
    "cancelled": AppointmentStatus.CANCELED,
    "invalid": AppointmentStatus.CANCELED,
    "showed": AppointmentStatus.SHOWED,
    "completed": AppointmentStatus.SHOWED,
    "noshow": AppointmentStatus.NO_SHOW,
}

GHL_DELETED_STATUS = AppointmentStatus.CANCELED
"""An `AppointmentDelete` webhook, or an appointment missing on reconcile."""


def map_ghl_status(appointment_status: str | None) -> AppointmentStatus | None:
    """The neutral status, or None for a value outside the table (keep the previous one)."""
    if not appointment_status:
        return None
    return GHL_STATUS_MAP.get(appointment_status.strip().lower())


def ghl_appointment_to_domain(
    appointment: GhlAppointment, *, location_id: str | None = None
) -> ProviderAppointment:
    status = appointment.effective_status
    return ProviderAppointment(
        provider=Provider.GHL,
        external_id=appointment.id,
        attribution=appointment.calendar_id,
        status=map_ghl_status(status),
        provider_status=status,
        start_at=appointment.start_time,
        end_at=appointment.end_time,
        provider_updated_at=appointment.date_updated,
        booked_at=appointment.date_added,
        contact=ProviderContact(ghl_contact_id=appointment.contact_id),
        ghl_location_id=appointment.location_id or location_id,
    )


_UNIT_MINUTES = {"mins": 1, "min": 1, "minutes": 1, "hours": 60, "hour": 60}


def ghl_calendar_to_domain(calendar: GhlCalendarModel) -> GhlCalendar:
    duration: int | None = None
    if calendar.slot_duration is not None:
        unit = _UNIT_MINUTES.get((calendar.slot_duration_unit or "mins").lower(), 1)
        duration = int(calendar.slot_duration * unit)
    return GhlCalendar(
        id=calendar.id,
        location_id=calendar.location_id,
        name=calendar.name,
        slot_duration_minutes=duration,
        calendar_type=calendar.calendar_type,
        is_active=calendar.is_active,
    )
