import uuid

from pydantic import Field, computed_field

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.kit.schemas import ResponseSchema, UtcDatetime


class AppointmentRead(ResponseSchema):
    """One booking with the attribution that decides which availability source it counts for."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    lead_id: uuid.UUID
    provider: Provider
    status: AppointmentStatus
    start_at: UtcDatetime
    end_at: UtcDatetime
    booked_at: UtcDatetime | None
    provider_updated_at: UtcDatetime | None = Field(
        description="The provider's version of this state; older events are not applied."
    )
    ghl_appointment_id: str | None
    calendly_invitee_uri: str | None
    calendly_scheduled_event_uri: str | None
    ghl_calendar_id: str | None
    calendly_event_type_uri: str | None
    attribution_lookup_error: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def attribution(self) -> str | None:
        """The calendar id or event type URI this booking is attributed to."""
        if self.provider is Provider.GHL:
            return self.ghl_calendar_id
        return self.calendly_event_type_uri

    @computed_field  # type: ignore[prop-decorator]
    @property
    def attributed(self) -> bool:
        return self.attribution is not None
