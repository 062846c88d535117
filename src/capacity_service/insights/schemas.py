"""The metrics snapshot handed to an Insights chat model."""

import uuid
from typing import Literal

from pydantic import Field

from capacity_service.analytics.schemas import AppointmentFigures, LeadFigures, Period
from capacity_service.capacity.schemas import Capacity
from capacity_service.kit.schemas import ResponseSchema


class WorkspaceRef(ResponseSchema):
    id: uuid.UUID
    name: str
    timezone: str


class CampaignRef(ResponseSchema):
    id: uuid.UUID
    name: str


class ContextPack(ResponseSchema):
    """Figures plus plain-language statements, so a model quotes rather than guesses."""

    scope: Literal["workspace", "campaign"]
    generated_at_iso: str
    workspace: WorkspaceRef
    campaign: CampaignRef | None
    window_days: int
    period: Period
    leads: LeadFigures
    appointments: AppointmentFigures
    capacity: Capacity | None
    capacity_summary: str = Field(
        description="One line on % booked; for a campaign, that it is not available.",
        examples=[
            "62% of the next 30 days' bookable slots are taken; DEFAULT 70%, DIRECT_BOOK 40%; "
            "3 bookings unattributed; availability data 2 hours old"
        ],
    )
    capacity_unavailable_reason: str | None
    definitions: dict[str, str]
