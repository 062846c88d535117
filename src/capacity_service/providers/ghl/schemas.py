"""HighLevel API v2 wire models (calendars 2021-04-15, contacts 2021-07-28).

Only the fields the service reads are declared; unknown keys (such as `traceId`) are ignored.
Field names follow HighLevel's camelCase through an alias generator.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from capacity_service.providers.timestamps import UtcDatetime

_DATE_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class GhlModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class GhlFreeSlotsResponse(GhlModel):
    """`GET /calendars/{id}/free-slots`: `{"YYYY-MM-DD": {"slots": [iso, ...]}, ...}`.

    Only date keys with a `slots` list count; `traceId` and placeholders are skipped.
    """

    slots: list[UtcDatetime]

    @model_validator(mode="before")
    @classmethod
    def _collect_date_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        collected: list[Any] = []
        for key, value in data.items():
            if _DATE_KEY.match(str(key)) and isinstance(value, dict):
                slots = value.get("slots")
                if isinstance(slots, list):
                    collected.extend(slots)
        return {"slots": collected}


class GhlAppointment(GhlModel):
    """An appointment as `GET /calendars/events/appointments/{id}`, `GET /calendars/events`,
    `GET /contacts/{id}/appointments` and the appointment webhooks carry it.

    The create response lacks `dateAdded`/`dateUpdated`; the contacts endpoint uses `status`
    where the calendar endpoints use `appointmentStatus`.
    """

    id: str
    calendar_id: str | None = None
    location_id: str | None = None
    contact_id: str | None = None
    appointment_status: str | None = None
    status: str | None = None
    title: str | None = None
    start_time: UtcDatetime
    end_time: UtcDatetime | None = None
    date_added: UtcDatetime | None = None
    date_updated: UtcDatetime | None = None
    assigned_user_id: str | None = None
    master_event_id: str | None = None

    @property
    def effective_status(self) -> str:
        return self.appointment_status or self.status or ""


class GhlAppointmentResponse(GhlModel):
    """`GET /calendars/events/appointments/{id}`: wrapped in `event` (spec), or `appointment`."""

    event: GhlAppointment

    @model_validator(mode="before")
    @classmethod
    def _accept_appointment_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and "event" not in data and "appointment" in data:
            return {"event": data["appointment"]}
        return data


class GhlEventsResponse(GhlModel):
    events: list[GhlAppointment] = Field(default_factory=list)


class GhlCalendarModel(GhlModel):
    id: str
    location_id: str
    name: str
    calendar_type: str | None = None
    is_active: bool | None = None
    slot_duration: float | None = None
    slot_duration_unit: str | None = None


class GhlCalendarResponse(GhlModel):
    calendar: GhlCalendarModel


class GhlCalendarsResponse(GhlModel):
    calendars: list[GhlCalendarModel] = Field(default_factory=list)


class GhlCreateAppointmentRequest(GhlModel):
    """Body of `POST /calendars/events/appointments` (AppointmentCreateSchema)."""

    calendar_id: str
    location_id: str
    contact_id: str
    start_time: str
    end_time: str | None = None
    title: str | None = None
    appointment_status: str | None = None
    assigned_user_id: str | None = None
    address: str | None = None
    ignore_date_range: bool | None = None
    ignore_free_slot_validation: bool | None = None
    to_notify: bool | None = None
