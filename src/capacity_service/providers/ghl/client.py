"""HighLevel (LeadConnector) API v2 client.

One instance per process; credentials travel with each call because one process serves many
workspaces. Every call is paced by the location's rate limiter.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from capacity_service.kit.enums import Provider
from capacity_service.kit.time import to_utc
from capacity_service.providers.ghl.mapper import ghl_appointment_to_domain, ghl_calendar_to_domain
from capacity_service.providers.ghl.schemas import (
    GhlAppointment,
    GhlAppointmentResponse,
    GhlCalendarResponse,
    GhlCalendarsResponse,
    GhlCreateAppointmentRequest,
    GhlEventsResponse,
    GhlFreeSlotsResponse,
)
from capacity_service.providers.http import (
    ProviderApiClient,
    QueryParams,
    RetryPolicy,
    gather_all,
)
from capacity_service.providers.ratelimit import RateLimiterRegistry
from capacity_service.providers.timestamps import epoch_ms, split_range
from capacity_service.providers.types import GhlCalendar, GhlCredentials, ProviderAppointment

CALENDARS_API_VERSION = "2021-04-15"
CONTACTS_API_VERSION = "2021-07-28"
FREE_SLOTS_MAX_SPAN = timedelta(days=30)
"""The API refuses ranges over 31 days; 30 leaves room for an inclusive end."""


class GhlClient(ProviderApiClient):
    def __init__(
        self,
        *,
        base_url: str = "https://services.leadconnectorhq.com",
        timeout_seconds: float = 10.0,
        api_version: str = CALENDARS_API_VERSION,
        contacts_api_version: str = CONTACTS_API_VERSION,
        retry: RetryPolicy | None = None,
        limiters: RateLimiterRegistry | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            Provider.GHL,
            base_url=base_url,
            timeout_seconds=timeout_seconds,
            retry=retry,
            limiters=limiters,
            transport=transport,
        )
        self.api_version = api_version
        self.contacts_api_version = contacts_api_version

    async def _get(
        self,
        creds: GhlCredentials,
        path: str,
        *,
        params: QueryParams | None = None,
        version: str | None = None,
    ) -> httpx.Response:
        return await self.http.request(
            "GET",
            path,
            account=creds.location_id,
            token=creds.access_token,
            params=params,
            headers={"Version": version or self.api_version},
        )

    async def get_free_slots(
        self,
        creds: GhlCredentials,
        calendar_id: str,
        start: datetime,
        end: datetime,
        *,
        timezone: str | None = None,
        user_id: str | None = None,
    ) -> list[datetime]:
        """Sorted, distinct UTC slot starts in [start, end), any range length.

        Ranges longer than the API allows are fetched as concurrent windows and merged.
        """
        start, end = to_utc(start), to_utc(end)
        windows = split_range(start, end, FREE_SLOTS_MAX_SPAN)
        pages = await gather_all(
            self._free_slots_window(creds, calendar_id, ws, we, timezone, user_id)
            for ws, we in windows
        )
        return sorted({s for page in pages for s in page if start <= s < end})

    async def _free_slots_window(
        self,
        creds: GhlCredentials,
        calendar_id: str,
        start: datetime,
        end: datetime,
        timezone: str | None,
        user_id: str | None,
    ) -> list[datetime]:
        response = await self._get(
            creds,
            f"/calendars/{calendar_id}/free-slots",
            params={
                "startDate": epoch_ms(start),
                "endDate": epoch_ms(end),
                "timezone": timezone,
                "userId": user_id,
            },
        )
        return self.http.parse(GhlFreeSlotsResponse, response, what="free slots").slots

    async def create_appointment(
        self,
        creds: GhlCredentials,
        *,
        calendar_id: str,
        contact_id: str,
        start_at: datetime,
        end_at: datetime | None = None,
        title: str | None = None,
        appointment_status: str = "confirmed",
        assigned_user_id: str | None = None,
        ignore_free_slot_validation: bool | None = None,
        to_notify: bool | None = None,
    ) -> ProviderAppointment:
        """Book a slot. Not retried once sent: a lost reply may still have booked it."""
        body = GhlCreateAppointmentRequest(
            calendar_id=calendar_id,
            location_id=creds.location_id,
            contact_id=contact_id,
            start_time=to_utc(start_at).isoformat(),
            end_time=to_utc(end_at).isoformat() if end_at is not None else None,
            title=title,
            appointment_status=appointment_status,
            assigned_user_id=assigned_user_id,
            ignore_free_slot_validation=ignore_free_slot_validation,
            to_notify=to_notify,
        )
        response = await self.http.request(
            "POST",
            "/calendars/events/appointments",
            account=creds.location_id,
            token=creds.access_token,
            json=body.model_dump(by_alias=True, exclude_none=True),
            headers={"Version": self.api_version},
            idempotent=False,
        )
        created = self.http.parse(GhlAppointment, response, what="created appointment")
        return ghl_appointment_to_domain(created, location_id=creds.location_id)

    async def get_appointment(
        self, creds: GhlCredentials, appointment_id: str
    ) -> ProviderAppointment:
        response = await self._get(creds, f"/calendars/events/appointments/{appointment_id}")
        parsed = self.http.parse(GhlAppointmentResponse, response, what="appointment")
        return ghl_appointment_to_domain(parsed.event, location_id=creds.location_id)

    async def list_calendar_events(
        self,
        creds: GhlCredentials,
        start: datetime,
        end: datetime,
        *,
        calendar_id: str | None = None,
        user_id: str | None = None,
        group_id: str | None = None,
    ) -> list[ProviderAppointment]:
        """Appointments of one calendar, user or group with a start in the range.

        The API needs one of the three; for a whole location use `list_location_events`.
        """
        if not (calendar_id or user_id or group_id):
            raise ValueError("one of calendar_id, user_id or group_id is required")
        response = await self._get(
            creds,
            "/calendars/events",
            params={
                "locationId": creds.location_id,
                "startTime": str(epoch_ms(start)),
                "endTime": str(epoch_ms(end)),
                "calendarId": calendar_id,
                "userId": user_id,
                "groupId": group_id,
            },
        )
        parsed = self.http.parse(GhlEventsResponse, response, what="calendar events")
        return [ghl_appointment_to_domain(e, location_id=creds.location_id) for e in parsed.events]

    async def list_location_events(
        self, creds: GhlCredentials, start: datetime, end: datetime
    ) -> list[ProviderAppointment]:
        """Appointments of every calendar of the location, one concurrent call per calendar."""
        calendars = await self.list_calendars(creds)
        per_calendar = await gather_all(
            self.list_calendar_events(creds, start, end, calendar_id=c.id) for c in calendars
        )
        seen: dict[str, ProviderAppointment] = {}
        for events in per_calendar:
            for event in events:
                seen.setdefault(event.external_id, event)
        return sorted(seen.values(), key=lambda a: (a.start_at, a.external_id))

    async def list_calendars(self, creds: GhlCredentials) -> list[GhlCalendar]:
        response = await self._get(creds, "/calendars/", params={"locationId": creds.location_id})
        parsed = self.http.parse(GhlCalendarsResponse, response, what="calendars")
        return [ghl_calendar_to_domain(c) for c in parsed.calendars]

    async def get_calendar(self, creds: GhlCredentials, calendar_id: str) -> GhlCalendar:
        response = await self._get(creds, f"/calendars/{calendar_id}")
        parsed = self.http.parse(GhlCalendarResponse, response, what="calendar")
        return ghl_calendar_to_domain(parsed.calendar)

    async def get_contact_appointments(
        self, creds: GhlCredentials, contact_id: str
    ) -> list[ProviderAppointment]:
        response = await self._get(
            creds, f"/contacts/{contact_id}/appointments", version=self.contacts_api_version
        )
        parsed = self.http.parse(GhlEventsResponse, response, what="contact appointments")
        return [ghl_appointment_to_domain(e, location_id=creds.location_id) for e in parsed.events]
