"""In-memory state of the provider test double, seedable from Python or over `/_control`.

Every public method takes plain keyword arguments (datetimes may be ISO strings), so the control
API can pass a JSON body straight through. A lock guards the state because the server usually
runs in another thread than the test that seeds it.
"""

from __future__ import annotations

import math
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from capacity_service.kit.time import to_utc, utcnow

CALENDLY_API = "https://api.calendly.com"
DEFAULT_CALENDLY_ORGANIZATION = f"{CALENDLY_API}/organizations/FAKEORG000000000"

FailureKind = Literal["status", "timeout", "malformed"]
ProviderName = Literal["ghl", "calendly"]


def as_datetime(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return to_utc(value)


def new_id(length: int = 20) -> str:
    return uuid.uuid4().hex[:length]


@dataclass
class FakeGhlCalendar:
    id: str
    location_id: str
    name: str
    slot_duration_minutes: int
    timezone: str
    slots: set[datetime] = field(default_factory=set)


@dataclass
class FakeGhlAppointment:
    id: str
    location_id: str
    calendar_id: str
    contact_id: str
    start: datetime
    end: datetime
    status: str
    title: str
    assigned_user_id: str
    date_added: datetime
    date_updated: datetime


@dataclass
class FakeCalendlyUser:
    token: str
    uri: str
    name: str
    email: str
    timezone: str
    organization_uri: str


@dataclass
class FakeEventType:
    uri: str
    name: str
    duration_minutes: int
    organization_uri: str
    owner_uri: str
    slug: str
    active: bool
    times: set[datetime] = field(default_factory=set)


@dataclass
class FakeScheduledEvent:
    uri: str
    event_type_uri: str
    organization_uri: str
    name: str
    start: datetime
    end: datetime
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass
class FakeInvitee:
    uri: str
    event_uri: str
    email: str
    name: str
    status: str
    timezone: str
    created_at: datetime
    updated_at: datetime
    rescheduled: bool = False
    old_invitee: str | None = None
    new_invitee: str | None = None
    no_show_at: datetime | None = None
    scheduling_method: str | None = None


@dataclass
class RateLimitConfig:
    limit: int
    window_seconds: float
    retry_after: bool = True


UNLIMITED = RateLimitConfig(limit=1_000_000, window_seconds=10.0)
"""Headers are always sent, as the real APIs do; by default the limit is never reached."""


@dataclass
class FailureRule:
    path: str  # a regular expression searched in the request path (after the provider prefix)
    kind: FailureKind
    status: int
    remaining: int | None  # None: every matching request
    method: str | None


@dataclass
class RecordedRequest:
    provider: ProviderName
    method: str
    path: str
    query: str


@dataclass
class _Window:
    started: float
    count: int = 0


class FakeProviderState:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget all data, configuration, failures and counts."""
        with self._lock:
            self.latency_seconds = 0.0
            self.hang_seconds = 30.0
            self.rate_limit = UNLIMITED
            self.ghl_daily_limit = 200_000
            self.revoked_tokens: set[str] = set()
            self.failures: list[FailureRule] = []
            self.requests: list[RecordedRequest] = []
            self.rate_limited = 0
            self.ghl_calendars: dict[str, FakeGhlCalendar] = {}
            self.ghl_appointments: dict[str, FakeGhlAppointment] = {}
            self.calendly_users: dict[str, FakeCalendlyUser] = {}
            self.event_types: dict[str, FakeEventType] = {}
            self.scheduled_events: dict[str, FakeScheduledEvent] = {}
            self.invitees: dict[str, FakeInvitee] = {}
            self._windows: dict[tuple[str, str], _Window] = {}
            self._daily: Counter[tuple[str, str]] = Counter()

    # ---- configuration -------------------------------------------------------------------

    def configure(
        self,
        *,
        latency_ms: float | None = None,
        rate_limit: int | None = None,
        rate_window_seconds: float = 10.0,
        retry_after: bool = True,
        hang_seconds: float | None = None,
        clear_rate_limit: bool = False,
    ) -> None:
        """Latency added to every provider call; a fixed-window rate limit per token."""
        with self._lock:
            if latency_ms is not None:
                self.latency_seconds = latency_ms / 1000
            if rate_limit is not None:
                self.rate_limit = RateLimitConfig(rate_limit, rate_window_seconds, retry_after)
                self._windows.clear()
            if clear_rate_limit:
                self.rate_limit = UNLIMITED
            if hang_seconds is not None:
                self.hang_seconds = hang_seconds

    def fail(
        self,
        path: str = ".*",
        *,
        kind: FailureKind = "status",
        status: int = 503,
        times: int | None = 1,
        method: str | None = None,
    ) -> None:
        """Make matching calls fail: an HTTP status, a hang (timeout) or malformed JSON.

        `path` is a regular expression searched in the provider path (e.g. `free-slots`);
        `times` None fails every matching call until `clear_failures`.
        """
        with self._lock:
            self.failures.append(FailureRule(path, kind, status, times, method))

    def clear_failures(self) -> None:
        with self._lock:
            self.failures.clear()

    def revoke_token(self, token: str) -> None:
        with self._lock:
            self.revoked_tokens.add(token)

    # ---- request accounting (used by the app) ---------------------------------------------

    def record(self, provider: ProviderName, method: str, path: str, query: str) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(provider, method, path, query))

    def request_count(
        self, path: str | None = None, *, method: str | None = None, provider: str | None = None
    ) -> int:
        """Calls seen, optionally only those whose path matches the regular expression."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (path is None or re.search(path, r.path))
                and (method is None or r.method == method.upper())
                and (provider is None or r.provider == provider)
            )

    def take_failure(self, method: str, path: str) -> FailureRule | None:
        with self._lock:
            for rule in self.failures:
                if rule.method is not None and rule.method.upper() != method:
                    continue
                if not re.search(rule.path, path):
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self.failures.remove(rule)
                return rule
            return None

    def admit(self, provider: ProviderName, account: str) -> tuple[bool, dict[str, str]]:
        """Count one call against the account's window; the headers to send either way."""
        with self._lock:
            config = self.rate_limit
            self._daily[(provider, account)] += 1
            now = time.monotonic()
            window = self._windows.get((provider, account))
            if window is None or now >= window.started + config.window_seconds:
                window = _Window(started=now)
                self._windows[(provider, account)] = window
            allowed = window.count < config.limit
            if allowed:
                window.count += 1
            else:
                self.rate_limited += 1
            reset_in = max(0.0, window.started + config.window_seconds - now)
            remaining = str(config.limit - window.count)
            if provider == "ghl":
                headers = {
                    "X-RateLimit-Max": str(config.limit),
                    "X-RateLimit-Remaining": remaining,
                    "X-RateLimit-Interval-Milliseconds": str(int(config.window_seconds * 1000)),
                    "X-RateLimit-Limit-Daily": str(self.ghl_daily_limit),
                    "X-RateLimit-Daily-Remaining": str(
                        max(0, self.ghl_daily_limit - self._daily[(provider, account)])
                    ),
                }
            else:
                headers = {
                    "X-RateLimit-Limit": str(config.limit),
                    "X-RateLimit-Remaining": remaining,
                    "X-RateLimit-Reset": str(math.ceil(reset_in)),
                }
            if not allowed and config.retry_after:
                headers["Retry-After"] = str(max(1, math.ceil(reset_in)))
            return allowed, headers

    # ---- HighLevel ------------------------------------------------------------------------

    def add_ghl_calendar(
        self,
        *,
        location_id: str,
        calendar_id: str | None = None,
        name: str = "Calendar",
        slot_duration_minutes: int = 30,
        timezone: str = "UTC",
        slots: Sequence[datetime | str] | None = None,
    ) -> str:
        with self._lock:
            calendar = FakeGhlCalendar(
                id=calendar_id or new_id(),
                location_id=location_id,
                name=name,
                slot_duration_minutes=slot_duration_minutes,
                timezone=timezone,
                slots={as_datetime(s) for s in slots or []},
            )
            self.ghl_calendars[calendar.id] = calendar
            return calendar.id

    def add_ghl_slots(self, calendar_id: str, slots: Sequence[datetime | str]) -> None:
        with self._lock:
            self.ghl_calendars[calendar_id].slots.update(as_datetime(s) for s in slots)

    def ghl_free_slots(self, calendar_id: str) -> list[datetime]:
        """Seeded slots minus those taken by a live appointment on the calendar."""
        with self._lock:
            calendar = self.ghl_calendars[calendar_id]
            taken = {
                a.start
                for a in self.ghl_appointments.values()
                if a.calendar_id == calendar_id and a.status not in ("cancelled", "invalid")
            }
            return sorted(calendar.slots - taken)

    def add_ghl_appointment(
        self,
        *,
        location_id: str,
        calendar_id: str,
        contact_id: str,
        start: datetime | str,
        end: datetime | str | None = None,
        status: str = "confirmed",
        appointment_id: str | None = None,
        title: str = "Appointment",
        assigned_user_id: str = "",
        date_added: datetime | str | None = None,
        date_updated: datetime | str | None = None,
    ) -> str:
        with self._lock:
            start_at = as_datetime(start)
            calendar = self.ghl_calendars.get(calendar_id)
            minutes = calendar.slot_duration_minutes if calendar else 30
            now = utcnow()
            appointment = FakeGhlAppointment(
                id=appointment_id or new_id(),
                location_id=location_id,
                calendar_id=calendar_id,
                contact_id=contact_id,
                start=start_at,
                end=as_datetime(end) if end else start_at + timedelta(minutes=minutes),
                status=status,
                title=title,
                assigned_user_id=assigned_user_id,
                date_added=as_datetime(date_added) if date_added else now,
                date_updated=as_datetime(date_updated) if date_updated else now,
            )
            self.ghl_appointments[appointment.id] = appointment
            return appointment.id

    def add_ghl_appointments(self, appointments: list[dict[str, object]]) -> list[str]:
        """Bulk seeding; each item takes `add_ghl_appointment`'s keyword arguments."""
        return [self.add_ghl_appointment(**a) for a in appointments]  # type: ignore[arg-type]

    def update_ghl_appointment(
        self,
        appointment_id: str,
        *,
        status: str | None = None,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
    ) -> None:
        with self._lock:
            appointment = self.ghl_appointments[appointment_id]
            if status is not None:
                appointment.status = status
            if start is not None:
                appointment.start = as_datetime(start)
            if end is not None:
                appointment.end = as_datetime(end)
            appointment.date_updated = utcnow()

    def delete_ghl_appointment(self, appointment_id: str) -> None:
        with self._lock:
            self.ghl_appointments.pop(appointment_id, None)

    # ---- Calendly -------------------------------------------------------------------------

    def add_calendly_user(
        self,
        *,
        token: str,
        organization_uri: str = DEFAULT_CALENDLY_ORGANIZATION,
        name: str = "Fake Host",
        email: str = "host@example.com",
        timezone: str = "UTC",
    ) -> str:
        with self._lock:
            user = FakeCalendlyUser(
                token=token,
                uri=f"{CALENDLY_API}/users/{new_id(16).upper()}",
                name=name,
                email=email,
                timezone=timezone,
                organization_uri=organization_uri,
            )
            self.calendly_users[token] = user
            return user.uri

    def calendly_user(self, token: str) -> FakeCalendlyUser:
        """The user of a token; an unknown token gets a user in the default organization."""
        with self._lock:
            if token not in self.calendly_users:
                self.add_calendly_user(token=token)
            return self.calendly_users[token]

    def add_calendly_event_type(
        self,
        *,
        organization_uri: str = DEFAULT_CALENDLY_ORGANIZATION,
        name: str = "Intro call",
        duration_minutes: int = 30,
        event_type_uuid: str | None = None,
        active: bool = True,
        times: Sequence[datetime | str] | None = None,
    ) -> str:
        with self._lock:
            uri = f"{CALENDLY_API}/event_types/{event_type_uuid or new_id(16).upper()}"
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "event"
            self.event_types[uri] = FakeEventType(
                uri=uri,
                name=name,
                duration_minutes=duration_minutes,
                organization_uri=organization_uri,
                owner_uri=f"{CALENDLY_API}/users/OWNER{new_id(11).upper()}",
                slug=slug,
                active=active,
                times={as_datetime(t) for t in times or []},
            )
            return uri

    def add_calendly_available_times(
        self, event_type_uri: str, times: Sequence[datetime | str]
    ) -> None:
        with self._lock:
            self.event_types[event_type_uri].times.update(as_datetime(t) for t in times)

    def calendly_open_times(self, event_type_uri: str) -> list[datetime]:
        """Seeded times minus those taken by an active event of the type (one-on-one)."""
        with self._lock:
            event_type = self.event_types[event_type_uri]
            taken = {
                e.start
                for e in self.scheduled_events.values()
                if e.event_type_uri == event_type_uri and e.status == "active"
            }
            return sorted(event_type.times - taken)

    def add_calendly_booking(
        self,
        *,
        event_type_uri: str,
        start: datetime | str,
        email: str,
        name: str = "Invitee",
        timezone: str = "UTC",
        status: str = "active",
        scheduling_method: str | None = None,
    ) -> dict[str, str]:
        """A scheduled event with one invitee; returns both URIs."""
        with self._lock:
            event_type = self.event_types[event_type_uri]
            start_at = as_datetime(start)
            now = utcnow()
            event_uri = f"{CALENDLY_API}/scheduled_events/{uuid.uuid4()}"
            self.scheduled_events[event_uri] = FakeScheduledEvent(
                uri=event_uri,
                event_type_uri=event_type_uri,
                organization_uri=event_type.organization_uri,
                name=event_type.name,
                start=start_at,
                end=start_at + timedelta(minutes=event_type.duration_minutes),
                status=status,
                created_at=now,
                updated_at=now,
            )
            invitee_uri = f"{event_uri}/invitees/{uuid.uuid4()}"
            self.invitees[invitee_uri] = FakeInvitee(
                uri=invitee_uri,
                event_uri=event_uri,
                email=email,
                name=name,
                status=status,
                timezone=timezone,
                created_at=now,
                updated_at=now,
                scheduling_method=scheduling_method,
            )
            return {"event_uri": event_uri, "invitee_uri": invitee_uri}

    def add_calendly_bookings(self, bookings: list[dict[str, object]]) -> list[dict[str, str]]:
        return [self.add_calendly_booking(**b) for b in bookings]  # type: ignore[arg-type]

    def cancel_calendly_invitee(self, invitee_uri: str) -> None:
        with self._lock:
            invitee = self.invitees[invitee_uri]
            invitee.status = "canceled"
            invitee.updated_at = utcnow()
            event = self.scheduled_events[invitee.event_uri]
            event.status = "canceled"
            event.updated_at = invitee.updated_at

    def reschedule_calendly_invitee(self, invitee_uri: str, new_start: datetime | str) -> str:
        """Cancel the old invitee as rescheduled and book a new one; returns the new URI."""
        with self._lock:
            old = self.invitees[invitee_uri]
            event = self.scheduled_events[old.event_uri]
            created = self.add_calendly_booking(
                event_type_uri=event.event_type_uri,
                start=new_start,
                email=old.email,
                name=old.name,
                timezone=old.timezone,
            )
            new_uri = created["invitee_uri"]
            self.cancel_calendly_invitee(invitee_uri)
            old.rescheduled = True
            old.new_invitee = new_uri
            self.invitees[new_uri].old_invitee = invitee_uri
            return new_uri

    def mark_calendly_no_show(self, invitee_uri: str, no_show: bool = True) -> None:
        with self._lock:
            invitee = self.invitees[invitee_uri]
            invitee.no_show_at = utcnow() if no_show else None
            invitee.updated_at = utcnow()

    @property
    def lock(self) -> threading.RLock:
        return self._lock
