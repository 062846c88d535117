"""Domain types the rest of the service sees; wire models stay in `ghl/` and `calendly/`.

Frozen dataclasses: plain values, cheap to build by the thousand during a reconcile, hashable,
and free of pydantic's serialisation surface (so a token cannot leak through `model_dump`).
Every datetime is aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from capacity_service.kit.enums import AppointmentStatus, Provider


@dataclass(frozen=True, slots=True)
class GhlCredentials:
    """A HighLevel sub-account (location) token; the location is the rate-limit account."""

    location_id: str
    access_token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class CalendlyCredentials:
    """A Calendly token and its organization, the rate-limit account and list scope.

    `organization_uri` may be unknown right after a token is entered; `get_current_user`
    tells it.
    """

    access_token: str = field(repr=False)
    organization_uri: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderContact:
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    ghl_contact_id: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderAppointment:
    """One booking as a provider reports it, ready for the appointment upsert.

    `external_id` is the identity: the HighLevel appointment id or the Calendly invitee URI.
    `attribution` is the availability identifier that produced it: the HighLevel calendar id
    or the Calendly event type URI.

    `status` is None when the provider sent a status outside the mapping table; the upsert
    should then keep the previous status (providers.md §2.6, "anything else").

    `provider_updated_at` orders versions of the same booking (HighLevel `dateUpdated`,
    Calendly invitee `updated_at`); None when the provider gave none (HighLevel's create
    response). `end_at` is None only for a Calendly booking whose event could not be read back.
    """

    provider: Provider
    external_id: str
    attribution: str | None
    status: AppointmentStatus | None
    provider_status: str
    start_at: datetime
    end_at: datetime | None
    provider_updated_at: datetime | None
    booked_at: datetime | None = None
    contact: ProviderContact = field(default_factory=ProviderContact)
    ghl_location_id: str | None = None
    calendly_event_uri: str | None = None
    calendly_old_invitee_uri: str | None = None
    calendly_new_invitee_uri: str | None = None

    @property
    def ghl_calendar_id(self) -> str | None:
        return self.attribution if self.provider is Provider.GHL else None

    @property
    def calendly_event_type_uri(self) -> str | None:
        return self.attribution if self.provider is Provider.CALENDLY else None


@dataclass(frozen=True, slots=True)
class OpenSlot:
    """An open slot's start and, where the provider reports it, the seats still open in it
    (Calendly `invitees_remaining`; above one only on group event types)."""

    start_at: datetime
    seats: int | None = None


@dataclass(frozen=True, slots=True)
class GhlCalendar:
    id: str
    location_id: str
    name: str
    slot_duration_minutes: int | None = None
    calendar_type: str | None = None
    is_active: bool | None = None


@dataclass(frozen=True, slots=True)
class CalendlyUser:
    uri: str
    name: str | None
    email: str | None
    timezone: str | None
    organization_uri: str


@dataclass(frozen=True, slots=True)
class CalendlyEventType:
    uri: str
    name: str | None
    active: bool
    duration_minutes: int | None
    scheduling_url: str | None = None
    slug: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class CalendlyScheduledEvent:
    uri: str
    event_type_uri: str | None
    status: str
    start_at: datetime
    end_at: datetime
    name: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CalendlyInvitee:
    """An invitee as read; turn it into a `ProviderAppointment` with its scheduled event."""

    uri: str
    event_uri: str
    email: str | None
    name: str | None
    status: str
    rescheduled: bool
    old_invitee_uri: str | None
    new_invitee_uri: str | None
    no_show: bool
    created_at: datetime | None
    updated_at: datetime | None
    phone: str | None = None
