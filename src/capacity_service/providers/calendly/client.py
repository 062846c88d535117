"""Calendly API v2 client.

One instance per process; credentials travel with each call. Every call is paced by the
organization's rate limiter (a token whose organization is not yet known is paced on its own).
Resources are named by full URIs; paths are built from the URI's identifiers only, so a URI can
never send the token to another host.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import parse_qs, urlparse

import httpx
from pydantic import BaseModel

from capacity_service.kit.enums import Provider
from capacity_service.kit.time import to_utc, utcnow
from capacity_service.providers.calendly.mapper import (
    calendly_appointment,
    event_type_to_domain,
    invitee_to_domain,
    map_calendly_status,
    scheduled_event_to_domain,
    user_to_domain,
)
from capacity_service.providers.calendly.schemas import (
    CalendlyAvailableTimes,
    CalendlyCollection,
    CalendlyCreateInviteeRequest,
    CalendlyEventTypeModel,
    CalendlyInviteeModel,
    CalendlyInviteeRequest,
    CalendlyResource,
    CalendlyScheduledEventModel,
    CalendlyUserModel,
)
from capacity_service.providers.errors import ProviderError, ProviderResponseError
from capacity_service.providers.http import (
    ProviderApiClient,
    QueryParams,
    RetryPolicy,
    gather_all,
)
from capacity_service.providers.ratelimit import RateLimiterRegistry
from capacity_service.providers.timestamps import calendly_time, split_range
from capacity_service.providers.types import (
    CalendlyCredentials,
    CalendlyEventType,
    CalendlyInvitee,
    CalendlyScheduledEvent,
    CalendlyUser,
    OpenSlot,
    ProviderAppointment,
    ProviderContact,
)

M = TypeVar("M", bound=BaseModel)

logger = logging.getLogger("capacity_service.providers")

AVAILABLE_TIMES_MAX_SPAN = timedelta(days=7)
"""The documented cap until mid-2026 (31 days after); 7 is safe under both rules."""

_ID = r"[A-Za-z0-9_-]+"
_EVENT_URI = re.compile(rf"/scheduled_events/({_ID})/?$")
_INVITEE_URI = re.compile(rf"/scheduled_events/({_ID})/invitees/({_ID})/?$")
_EVENT_TYPE_URI = re.compile(rf"/event_types/({_ID})/?$")


def event_uri_of_invitee(invitee_uri: str) -> str:
    """The scheduled event URI an invitee URI belongs to (no call needed)."""
    match = _INVITEE_URI.search(urlparse(invitee_uri).path)
    if match is None:
        raise ValueError(f"not a Calendly invitee URI: {invitee_uri!r}")
    parsed = urlparse(invitee_uri)
    return f"{parsed.scheme}://{parsed.netloc}/scheduled_events/{match.group(1)}"


def _path(pattern: re.Pattern[str], uri: str, kind: str, collection: str = "") -> str:
    """The API path of a resource URI (or of a bare UUID), checked against its shape."""
    path = urlparse(uri).path if "/" in uri else f"/{collection}/{uri}"
    match = pattern.search(path)
    if match is None:
        raise ValueError(f"not a Calendly {kind} URI: {uri!r}")
    return match.group(0).rstrip("/")


class CalendlyClient(ProviderApiClient):
    def __init__(
        self,
        *,
        base_url: str = "https://api.calendly.com",
        timeout_seconds: float = 10.0,
        retry: RetryPolicy | None = None,
        limiters: RateLimiterRegistry | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        page_size: int = 100,
    ) -> None:
        super().__init__(
            Provider.CALENDLY,
            base_url=base_url,
            timeout_seconds=timeout_seconds,
            retry=retry,
            limiters=limiters,
            transport=transport,
        )
        self.page_size = page_size

    @staticmethod
    def account_of(creds: CalendlyCredentials) -> str:
        if creds.organization_uri:
            return creds.organization_uri
        return "token:" + hashlib.sha256(creds.access_token.encode()).hexdigest()[:16]

    async def _get(
        self, creds: CalendlyCredentials, path: str, params: QueryParams | None = None
    ) -> httpx.Response:
        return await self.http.request(
            "GET", path, account=self.account_of(creds), token=creds.access_token, params=params
        )

    async def _resource(
        self, creds: CalendlyCredentials, path: str, model: type[M], what: str
    ) -> M:
        response = await self._get(creds, path)
        return self.http.parse(CalendlyResource[model], response, what=what).resource  # type: ignore[valid-type]

    async def _all_pages(
        self, creds: CalendlyCredentials, path: str, params: QueryParams, model: type[M], what: str
    ) -> list[M]:
        """Every page of a list, following `next_page_token` until `next_page` is null."""
        items: list[M] = []
        page_token: str | None = None
        seen_tokens: set[str] = set()
        while True:
            query = {**params, "count": self.page_size, "page_token": page_token}
            response = await self._get(creds, path, query)
            page = self.http.parse(CalendlyCollection[model], response, what=what)  # type: ignore[valid-type]
            items.extend(page.collection)
            pagination = page.pagination
            if not pagination.next_page:
                return items
            page_token = pagination.next_page_token or _page_token_of(pagination.next_page)
            if not page_token or page_token in seen_tokens:
                raise ProviderResponseError(
                    Provider.CALENDLY, f"{what}: pagination does not advance"
                )
            seen_tokens.add(page_token)

    async def _organization(self, creds: CalendlyCredentials) -> str:
        if creds.organization_uri:
            return creds.organization_uri
        return (await self.get_current_user(creds)).organization_uri

    async def get_current_user(self, creds: CalendlyCredentials) -> CalendlyUser:
        """The token's user and its current organization (`GET /users/me`)."""
        user = await self._resource(creds, "/users/me", CalendlyUserModel, "current user")
        return user_to_domain(user)

    async def list_event_types(
        self, creds: CalendlyCredentials, *, active: bool | None = None
    ) -> list[CalendlyEventType]:
        organization = await self._organization(creds)
        items = await self._all_pages(
            creds,
            "/event_types",
            {"organization": organization, "active": active},
            CalendlyEventTypeModel,
            "event types",
        )
        return [event_type_to_domain(e) for e in items]

    async def get_event_type(
        self, creds: CalendlyCredentials, event_type_uri: str
    ) -> CalendlyEventType:
        path = _path(_EVENT_TYPE_URI, event_type_uri, "event type", "event_types")
        item = await self._resource(creds, path, CalendlyEventTypeModel, "event type")
        return event_type_to_domain(item)

    async def get_scheduled_event(
        self, creds: CalendlyCredentials, event_uri: str
    ) -> CalendlyScheduledEvent:
        """One scheduled event by URI (or bare UUID); its `event_type_uri` is the attribution."""
        path = _path(_EVENT_URI, event_uri, "scheduled event", "scheduled_events")
        item = await self._resource(creds, path, CalendlyScheduledEventModel, "scheduled event")
        return scheduled_event_to_domain(item)

    async def list_scheduled_events(
        self,
        creds: CalendlyCredentials,
        min_start: datetime,
        max_start: datetime,
        *,
        status: str | None = None,
        invitee_email: str | None = None,
    ) -> list[CalendlyScheduledEvent]:
        """Events of the organization starting in the range, all pages, canceled included
        unless `status` says otherwise."""
        organization = await self._organization(creds)
        items = await self._all_pages(
            creds,
            "/scheduled_events",
            {
                "organization": organization,
                "min_start_time": calendly_time(min_start),
                "max_start_time": calendly_time(max_start),
                "status": status,
                "invitee_email": invitee_email,
                "sort": "start_time:asc",
            },
            CalendlyScheduledEventModel,
            "scheduled events",
        )
        return [scheduled_event_to_domain(e) for e in items]

    async def list_event_invitees(
        self, creds: CalendlyCredentials, event_uri: str, *, status: str | None = None
    ) -> list[CalendlyInvitee]:
        event_path = _path(_EVENT_URI, event_uri, "scheduled event", "scheduled_events")
        items = await self._all_pages(
            creds,
            f"{event_path}/invitees",
            {"status": status},
            CalendlyInviteeModel,
            "invitees",
        )
        return [invitee_to_domain(i) for i in items]

    async def get_invitee(self, creds: CalendlyCredentials, invitee_uri: str) -> CalendlyInvitee:
        path = _path(_INVITEE_URI, invitee_uri, "invitee")
        item = await self._resource(creds, path, CalendlyInviteeModel, "invitee")
        return invitee_to_domain(item)

    async def get_invitee_appointment(
        self, creds: CalendlyCredentials, invitee_uri: str
    ) -> ProviderAppointment:
        """The invitee and its event, read concurrently, as one appointment."""
        invitee, event = await gather_all(
            [
                self.get_invitee(creds, invitee_uri),
                self.get_scheduled_event(creds, event_uri_of_invitee(invitee_uri)),
            ]
        )
        assert isinstance(invitee, CalendlyInvitee)
        assert isinstance(event, CalendlyScheduledEvent)
        return calendly_appointment(invitee, event)

    async def list_appointments(
        self, creds: CalendlyCredentials, min_start: datetime, max_start: datetime
    ) -> list[ProviderAppointment]:
        """Every invitee of every event starting in the range (the reconcile read)."""
        events = await self.list_scheduled_events(creds, min_start, max_start)
        per_event = await gather_all(self.list_event_invitees(creds, e.uri) for e in events)
        return [
            calendly_appointment(invitee, event)
            for event, invitees in zip(events, per_event, strict=True)
            for invitee in invitees
        ]

    async def get_available_times(
        self, creds: CalendlyCredentials, event_type_uri: str, start: datetime, end: datetime
    ) -> list[datetime]:
        """Sorted, distinct UTC starts of open slots in [start, end), any range length."""
        slots = await self.get_open_slots(creds, event_type_uri, start, end)
        return [slot.start_at for slot in slots]

    async def get_open_slots(
        self, creds: CalendlyCredentials, event_type_uri: str, start: datetime, end: datetime
    ) -> list[OpenSlot]:
        """Open slots in [start, end) sorted by start, one per start, with their seats left.

        The API takes at most 7 days and no start in the past, so the range is clamped to now
        and fetched as concurrent 7-day windows.
        """
        start = max(to_utc(start), utcnow() + timedelta(seconds=1))
        end = to_utc(end)
        windows = split_range(start, end, AVAILABLE_TIMES_MAX_SPAN)
        pages = await gather_all(
            self._available_times_window(creds, event_type_uri, ws, we) for ws, we in windows
        )
        by_start = {s.start_at: s for page in pages for s in page if start <= s.start_at < end}
        return [by_start[t] for t in sorted(by_start)]

    async def _available_times_window(
        self, creds: CalendlyCredentials, event_type_uri: str, start: datetime, end: datetime
    ) -> list[OpenSlot]:
        response = await self._get(
            creds,
            "/event_type_available_times",
            {
                "event_type": event_type_uri,
                "start_time": calendly_time(start),
                "end_time": calendly_time(end),
            },
        )
        parsed = self.http.parse(CalendlyAvailableTimes, response, what="available times")
        return [
            OpenSlot(t.start_time, t.invitees_remaining)
            for t in parsed.collection
            if t.status == "available"
        ]

    async def create_invitee(
        self,
        creds: CalendlyCredentials,
        *,
        event_type_uri: str,
        start_at: datetime,
        email: str,
        name: str,
        timezone: str = "UTC",
        phone: str | None = None,
    ) -> ProviderAppointment:
        """Book a slot through the Scheduling API (`POST /invitees`).

        Not retried once sent: a lost reply may still have booked it. The new event is read
        back for its end time; if that read fails the booking still stands, so the appointment
        is returned without an end rather than raising.
        """
        body = CalendlyCreateInviteeRequest(
            event_type=event_type_uri,
            start_time=calendly_time(start_at),
            invitee=CalendlyInviteeRequest(
                email=email, name=name, timezone=timezone, text_reminder_number=phone
            ),
        )
        response = await self.http.request(
            "POST",
            "/invitees",
            account=self.account_of(creds),
            token=creds.access_token,
            json=body.model_dump(exclude_none=True),
            idempotent=False,
        )
        parsed = self.http.parse(
            CalendlyResource[CalendlyInviteeModel], response, what="created invitee"
        )
        invitee = invitee_to_domain(parsed.resource)
        try:
            event = await self.get_scheduled_event(creds, invitee.event_uri)
        except ProviderError as exc:
            logger.warning("calendly: booked %s but could not read its event: %s", invitee.uri, exc)
            return ProviderAppointment(
                provider=Provider.CALENDLY,
                external_id=invitee.uri,
                attribution=event_type_uri,
                status=map_calendly_status(
                    invitee.status,
                    rescheduled=invitee.rescheduled,
                    new_invitee_uri=invitee.new_invitee_uri,
                    no_show=invitee.no_show,
                ),
                provider_status=invitee.status,
                start_at=to_utc(start_at),
                end_at=None,
                provider_updated_at=invitee.updated_at,
                booked_at=invitee.created_at,
                contact=ProviderContact(email=invitee.email, name=invitee.name, phone=phone),
                calendly_event_uri=invitee.event_uri,
            )
        return calendly_appointment(invitee, event)


def _page_token_of(next_page: str) -> str | None:
    tokens = parse_qs(urlparse(next_page).query).get("page_token")
    return tokens[0] if tokens else None
