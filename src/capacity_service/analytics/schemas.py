"""The workspace (or campaign) analytics payload."""

import uuid

from pydantic import Field

from capacity_service.capacity.schemas import Capacity
from capacity_service.data_quality.schemas import DataQuality
from capacity_service.kit.schemas import ResponseSchema


class Period(ResponseSchema):
    """The last `days` days up to now: what already happened. Capacity looks ahead instead."""

    start_iso: str
    end_iso: str
    days: int


class LeadFigures(ResponseSchema):
    total: int = Field(description="Leads in scope, whenever created.")
    new_in_period: int = Field(description="Leads created in the period.")


class AppointmentFigures(ResponseSchema):
    booked: int = Field(
        description="Bookings made in the period (the provider's booking time, else when first "
        "seen), whatever their status now."
    )
    canceled: int = Field(description="Appointments starting in the period, now CANCELED.")
    rescheduled: int = Field(description="Appointments starting in the period, now RESCHEDULED.")
    showed: int = Field(description="Appointments starting in the period, now SHOWED.")
    no_show: int = Field(description="Appointments starting in the period, now NO_SHOW.")
    upcoming_confirmed: int = Field(
        description="CONFIRMED appointments starting in the capacity window [now, now + N days)."
    )


class Analytics(ResponseSchema):
    workspace_id: uuid.UUID
    campaign_id: uuid.UUID | None
    generated_at_iso: str
    window_days: int
    period: Period
    leads: LeadFigures
    appointments: AppointmentFigures
    capacity: Capacity | None = Field(description="Null for a campaign: see the reason.")
    capacity_unavailable_reason: str | None
    data_quality: DataQuality | None = Field(
        default=None,
        description="Whether the capacity figures can be trusted, per source and provider.",
    )
