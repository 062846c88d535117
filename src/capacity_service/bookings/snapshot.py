"""A provider's answer to a booking, kept on its `booking_request` as JSON.

Stored the moment the provider booked, so a retry whose first attempt could not write the
appointment finishes that write from it instead of booking a second time.
"""

from datetime import datetime
from typing import Any

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.providers.types import ProviderAppointment, ProviderContact

_TIMES = ("start_at", "end_at", "provider_updated_at", "booked_at")
_TEXTS = (
    "external_id",
    "attribution",
    "provider_status",
    "ghl_location_id",
    "calendly_event_uri",
    "calendly_old_invitee_uri",
    "calendly_new_invitee_uri",
)
_CONTACT = ("email", "name", "phone", "ghl_contact_id")


def dump(booked: ProviderAppointment) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(booked, name) for name in _TEXTS}
    for name in _TIMES:
        value: datetime | None = getattr(booked, name)
        data[name] = None if value is None else value.isoformat()
    data["provider"] = booked.provider.value
    data["status"] = None if booked.status is None else booked.status.value
    data["contact"] = {name: getattr(booked.contact, name) for name in _CONTACT}
    return data


def load(data: dict[str, Any]) -> ProviderAppointment:
    times: dict[str, Any] = {
        name: None if data[name] is None else datetime.fromisoformat(data[name]) for name in _TIMES
    }
    status = data["status"]
    return ProviderAppointment(
        provider=Provider(data["provider"]),
        status=None if status is None else AppointmentStatus(status),
        contact=ProviderContact(**{name: data["contact"][name] for name in _CONTACT}),
        **{name: data[name] for name in _TEXTS},
        **times,
    )
