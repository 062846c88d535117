"""Fill the demo workspace through the service's own front doors.

The provider test double gets the clinic's calendars and bookings; the service learns about
them exactly as in production: the workspace and its key through the admin API, availability
through the refresh that the jobs run, and every booking through a signed webhook.
"""

import asyncio
import functools
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from capacity_service.demo.plan import (
    DEFAULT_CALENDAR_ID,
    DEMO_LOCATION_ID,
    DEMO_TIMEZONE,
    DEMO_WORKSPACE_NAME,
    DIRECT_BOOK_EVENT_TYPE_UUID,
    UNCONFIGURED_CALENDAR_ID,
    DemoBooking,
    DemoSource,
    DemoStatus,
    build_plan,
)
from capacity_service.demo.webhooks import (
    GhlSigner,
    calendly_headers,
    calendly_invitee_event,
    compact,
    ghl_appointment_event,
)
from capacity_service.kit.time import utcnow
from capacity_service.providers.fake import DEFAULT_CALENDLY_ORGANIZATION, FakeProviderState

GHL_TOKEN = "demo-highlevel-token"
CALENDLY_TOKEN = "demo-calendly-token"
DEFAULT_MINUTES = 30
DIRECT_BOOK_MINUTES = 60
CONCURRENT_DELIVERIES = 8
_GHL_STATUS = {
    DemoStatus.CONFIRMED: "confirmed",
    DemoStatus.CANCELED: "cancelled",
    DemoStatus.SHOWED: "showed",
    DemoStatus.NO_SHOW: "noshow",
}


class DemoSeedError(RuntimeError):
    """The service refused part of the demo data; the message says which call and why."""


@dataclass(frozen=True)
class DemoWorkspace:
    workspace_id: uuid.UUID
    name: str
    api_key: str
    bookings: int
    webhooks: int


@dataclass(frozen=True)
class _Delivery:
    path: str
    body: bytes
    headers: dict[str, str]


async def _call(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> Any:
    response = await client.request(method, path, **kwargs)
    if response.status_code >= 300:
        raise DemoSeedError(f"{method} {path}: HTTP {response.status_code} {response.text[:300]}")
    return response.json() if response.content else None


def _booked_at(booking: DemoBooking, now: datetime) -> datetime:
    if booking.start <= now:
        return booking.start - timedelta(days=7, hours=booking.number % 48)
    return now - timedelta(hours=2 + booking.number % 240)


def _changed_at(booking: DemoBooking, now: datetime) -> datetime:
    if booking.start <= now:
        return min(now, booking.start + timedelta(hours=1))
    return now - timedelta(minutes=1 + booking.number % 60)


class _Seeder:
    def __init__(
        self, fake: FakeProviderState, signer: GhlSigner, signing_key: str, now: datetime
    ) -> None:
        self.fake = fake
        self.signer = signer
        self.signing_key = signing_key
        self.now = now
        self.event_type_uri = ""

    def offer_availability(self, default_slots: list[datetime], direct: list[datetime]) -> None:
        self.fake.add_ghl_calendar(
            location_id=DEMO_LOCATION_ID,
            calendar_id=DEFAULT_CALENDAR_ID,
            name="New patient visit",
            slot_duration_minutes=DEFAULT_MINUTES,
            timezone=DEMO_TIMEZONE,
            slots=list(default_slots),
        )
        self.fake.add_ghl_calendar(
            location_id=DEMO_LOCATION_ID,
            calendar_id=UNCONFIGURED_CALENDAR_ID,
            name="Hygiene (old calendar)",
            slot_duration_minutes=DEFAULT_MINUTES,
            timezone=DEMO_TIMEZONE,
        )
        self.fake.add_calendly_user(token=CALENDLY_TOKEN, name="Sunrise Dental front desk")
        self.event_type_uri = self.fake.add_calendly_event_type(
            organization_uri=DEFAULT_CALENDLY_ORGANIZATION,
            name="Direct book: evening visit",
            duration_minutes=DIRECT_BOOK_MINUTES,
            event_type_uuid=DIRECT_BOOK_EVENT_TYPE_UUID,
            times=list(direct),
        )

    def ghl(self, booking: DemoBooking, workspace_id: uuid.UUID) -> list[_Delivery]:
        """Book at the double, then the webhooks HighLevel would send: create, and an update
        when the appointment later changed (canceled, showed, no-show)."""
        calendar = (
            DEFAULT_CALENDAR_ID
            if booking.source is DemoSource.DEFAULT
            else UNCONFIGURED_CALENDAR_ID
        )
        appointment_id = f"demo-appt-{booking.number:04d}"
        contact_id = f"demo-contact-{booking.number:04d}"
        added, changed = _booked_at(booking, self.now), _changed_at(booking, self.now)
        self.fake.add_ghl_appointment(
            location_id=DEMO_LOCATION_ID,
            calendar_id=calendar,
            contact_id=contact_id,
            start=booking.start,
            status=_GHL_STATUS[booking.status],
            appointment_id=appointment_id,
            title=f"Visit: {booking.name}",
            date_added=added,
            date_updated=changed if booking.status is not DemoStatus.CONFIRMED else added,
        )
        event = functools.partial(
            ghl_appointment_event,
            location_id=DEMO_LOCATION_ID,
            appointment_id=appointment_id,
            calendar_id=calendar,
            contact_id=contact_id,
            start=booking.start,
            minutes=DEFAULT_MINUTES,
            added=added,
            zone=DEMO_TIMEZONE,
            title=f"Visit: {booking.name}",
        )
        documents = [event("AppointmentCreate", status="confirmed", updated=added)]
        if booking.status is not DemoStatus.CONFIRMED:
            documents.append(
                event("AppointmentUpdate", status=_GHL_STATUS[booking.status], updated=changed)
            )
        deliveries = []
        for document in documents:
            body = compact(document)
            deliveries.append(_Delivery("/v1/webhooks/ghl", body, self.signer.headers(body)))
        return deliveries

    def calendly(self, booking: DemoBooking, workspace_id: uuid.UUID) -> list[_Delivery]:
        created = self.fake.add_calendly_booking(
            event_type_uri=self.event_type_uri,
            start=booking.start,
            email=booking.email,
            name=booking.name,
            timezone=DEMO_TIMEZONE,
        )
        added = _booked_at(booking, self.now)
        event = functools.partial(
            calendly_invitee_event,
            invitee_uri=created["invitee_uri"],
            event_uri=created["event_uri"],
            event_type_uri=self.event_type_uri,
            start=booking.start,
            minutes=DIRECT_BOOK_MINUTES,
            email=booking.email,
            name=booking.name,
            created=added,
        )
        documents = [event("invitee.created", updated=added)]
        if booking.status is DemoStatus.CANCELED:
            self.fake.cancel_calendly_invitee(created["invitee_uri"])
            documents.append(event("invitee.canceled", updated=_changed_at(booking, self.now)))
        path = f"/v1/webhooks/calendly/{workspace_id}"
        return [
            _Delivery(path, body, calendly_headers(body, self.signing_key))
            for body in (compact(d) for d in documents)
        ]


async def _deliver(client: httpx.AsyncClient, deliveries: list[_Delivery]) -> list[uuid.UUID]:
    """Send the deliveries; the stored events' ids, in the order of `deliveries`."""
    gate = asyncio.Semaphore(CONCURRENT_DELIVERIES)

    async def send(delivery: _Delivery) -> uuid.UUID:
        async with gate:
            ack = await _call(
                client, "POST", delivery.path, content=delivery.body, headers=delivery.headers
            )
        return uuid.UUID(ack["eventId"])

    return list(await asyncio.gather(*(send(d) for d in deliveries)))


async def seed_demo(
    client: httpx.AsyncClient,
    *,
    admin_token: str,
    fake: FakeProviderState,
    signer: GhlSigner,
    refresh: Callable[[uuid.UUID], Awaitable[object]],
    apply_webhooks: Callable[[list[uuid.UUID]], Awaitable[object]],
    now: datetime | None = None,
) -> DemoWorkspace:
    """Create and fill the demo workspace; `client` talks to the running service, and
    `apply_webhooks` applies the stored events as a worker would."""
    now = now or utcnow()
    plan = build_plan(now)
    signing_key = secrets.token_urlsafe(24)
    seeder = _Seeder(fake, signer, signing_key, now)
    seeder.offer_availability(plan.default_slots, plan.direct_book_slots)

    admin = {"Authorization": f"Bearer {admin_token}"}
    workspace = await _call(
        client,
        "POST",
        "/v1/admin/workspaces",
        headers=admin,
        json={
            "name": DEMO_WORKSPACE_NAME,
            "timezone": DEMO_TIMEZONE,
            "ghlLocationId": DEMO_LOCATION_ID,
            "ghlAccessToken": GHL_TOKEN,
            "ghlDefaultCalendarId": DEFAULT_CALENDAR_ID,
            "calendlyAccessToken": CALENDLY_TOKEN,
            "calendlyOrganizationUri": DEFAULT_CALENDLY_ORGANIZATION,
            "calendlyWebhookSigningKey": signing_key,
            "calendlyDirectBookEventTypeUri": seeder.event_type_uri,
        },
    )
    workspace_id = uuid.UUID(workspace["id"])
    key = await _call(
        client,
        "POST",
        f"/v1/admin/workspaces/{workspace_id}/api-keys",
        headers=admin,
        json={"name": "demo dashboard"},
    )

    creates: list[_Delivery] = []
    changes: list[_Delivery] = []
    for booking in plan.bookings:
        if booking.source is DemoSource.DIRECT_BOOK:
            first, *rest = seeder.calendly(booking, workspace_id)
        else:
            first, *rest = seeder.ghl(booking, workspace_id)
        creates.append(first)
        changes.extend(rest)

    await refresh(workspace_id)
    await apply_webhooks(await _deliver(client, creates))
    await apply_webhooks(await _deliver(client, changes))
    return DemoWorkspace(
        workspace_id=workspace_id,
        name=DEMO_WORKSPACE_NAME,
        api_key=key["key"],
        bookings=len(plan.bookings),
        webhooks=len(creates) + len(changes),
    )
