import uuid

from pydantic import EmailStr, Field, field_validator

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.kit.schemas import ResponseSchema, Schema, UtcDatetime


class LeadUpsert(Schema):
    """Create a lead, or update the workspace's lead with the same email."""

    email: EmailStr = Field(max_length=320, examples=["ada@example.com"])
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    ghl_contact_id: str | None = Field(default=None, max_length=100)
    campaign_id: uuid.UUID | None = None

    @field_validator("email")
    @classmethod
    def _lowercase(cls, value: str) -> str:
        return value.strip().lower()


class LeadRead(ResponseSchema):
    id: uuid.UUID
    workspace_id: uuid.UUID
    email: str | None
    name: str | None
    phone: str | None
    ghl_contact_id: str | None
    campaign_id: uuid.UUID | None
    latest_appointment_id: uuid.UUID | None
    latest_appointment_status: AppointmentStatus | None
    latest_appointment_start_at: UtcDatetime | None
    latest_appointment_booked_at: UtcDatetime | None
    latest_appointment_provider: Provider | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
