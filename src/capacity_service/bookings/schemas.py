import uuid
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from capacity_service.kit.enums import Provider
from capacity_service.kit.schemas import Schema, UtcDatetime


class BookingCreate(Schema):
    """Book a slot for a lead. The calendar / event type defaults to the workspace's DEFAULT
    one for that provider, and becomes the appointment's attribution."""

    provider: Provider
    lead_id: uuid.UUID
    start_time: UtcDatetime = Field(description="Slot start (ISO-8601; stored in UTC).")
    end_time: UtcDatetime | None = Field(
        default=None, description="HighLevel only; the calendar's slot length when omitted."
    )
    calendar_id: str | None = Field(
        default=None,
        max_length=100,
        description="HighLevel calendar; default ghlDefaultCalendarId.",
    )
    event_type_uri: str | None = Field(
        default=None,
        max_length=500,
        description="Calendly event type URI; default calendlyDefaultEventTypeUri.",
    )
    timezone: str | None = Field(
        default=None, description="Calendly invitee's IANA zone; default the workspace's."
    )
    title: str | None = Field(default=None, max_length=200, description="HighLevel only.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _fields_match_provider(self) -> Self:
        if self.provider is Provider.GHL and self.event_type_uri is not None:
            raise ValueError("eventTypeUri is for provider 'calendly'; use calendarId")
        if self.provider is Provider.CALENDLY and self.calendar_id is not None:
            raise ValueError("calendarId is for provider 'ghl'; use eventTypeUri")
        if self.end_time is not None and self.end_time <= self.start_time:
            raise ValueError("endTime must be after startTime")
        return self
