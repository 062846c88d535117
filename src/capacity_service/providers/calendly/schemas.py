"""Calendly API v2 wire models. Field names are Calendly's own snake_case.

Single resources arrive as `{"resource": ...}`, lists as `{"collection": [...],
"pagination": {...}}`. Only the fields the service reads are declared; the rest is ignored.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from capacity_service.providers.timestamps import UtcDatetime

R = TypeVar("R", bound=BaseModel)


class CalendlyModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CalendlyPagination(CalendlyModel):
    count: int | None = None
    next_page: str | None = None
    next_page_token: str | None = None


class CalendlyResource(CalendlyModel, Generic[R]):
    resource: R


class CalendlyCollection(CalendlyModel, Generic[R]):
    collection: list[R]
    pagination: CalendlyPagination = Field(default_factory=CalendlyPagination)


class CalendlyUserModel(CalendlyModel):
    uri: str
    name: str | None = None
    email: str | None = None
    timezone: str | None = None
    current_organization: str


class CalendlyEventTypeModel(CalendlyModel):
    uri: str
    name: str | None = None
    active: bool = True
    duration: float | None = None
    scheduling_url: str | None = None
    slug: str | None = None
    kind: str | None = None


class CalendlyScheduledEventModel(CalendlyModel):
    uri: str
    name: str | None = None
    status: str
    start_time: UtcDatetime
    end_time: UtcDatetime
    event_type: str | None = None
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None


class CalendlyNoShow(CalendlyModel):
    uri: str | None = None
    created_at: UtcDatetime | None = None


class CalendlyInviteeModel(CalendlyModel):
    """An invitee, as the API returns it and as a webhook `payload` carries it.

    A webhook payload also embeds `scheduled_event`; see `CalendlyWebhookPayload`.
    """

    uri: str
    event: str
    email: str | None = None
    name: str | None = None
    status: str
    rescheduled: bool = False
    old_invitee: str | None = None
    new_invitee: str | None = None
    no_show: CalendlyNoShow | None = None
    text_reminder_number: str | None = None
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None


class CalendlyWebhookPayload(CalendlyInviteeModel):
    scheduled_event: CalendlyScheduledEventModel


class CalendlyAvailableTime(CalendlyModel):
    status: str = "available"
    invitees_remaining: int | None = None
    start_time: UtcDatetime


class CalendlyAvailableTimes(CalendlyModel):
    collection: list[CalendlyAvailableTime]


class CalendlyInviteeRequest(CalendlyModel):
    email: str
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    timezone: str
    text_reminder_number: str | None = None


class CalendlyCreateInviteeRequest(CalendlyModel):
    """Body of `POST /invitees` (Scheduling API)."""

    event_type: str
    start_time: str
    invitee: CalendlyInviteeRequest
