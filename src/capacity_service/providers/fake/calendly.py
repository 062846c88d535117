"""Calendly endpoints of the test double, shaped to the API v2 resources in providers.md §1."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from capacity_service.kit.time import utcnow
from capacity_service.providers.fake.common import calendly_error, state_of
from capacity_service.providers.fake.state import (
    CALENDLY_API,
    FakeEventType,
    FakeInvitee,
    FakeScheduledEvent,
    as_datetime,
)

T = TypeVar("T")

MAX_AVAILABLE_TIMES_SPAN = timedelta(days=7)


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _token(request: Request) -> str:
    return request.headers.get("authorization", "").removeprefix("Bearer ").strip()


def render_event_type(event_type: FakeEventType) -> dict[str, Any]:
    return {
        "uri": event_type.uri,
        "name": event_type.name,
        "active": event_type.active,
        "slug": event_type.slug,
        "scheduling_url": f"https://calendly.com/fake/{event_type.slug}",
        "duration": event_type.duration_minutes,
        "kind": "solo",
        "pooling_type": None,
        "type": "StandardEventType",
        "booking_method": "instant",
        "secret": False,
        "deleted_at": None,
        "admin_managed": False,
        "profile": {"type": "User", "name": "Fake Host", "owner": event_type.owner_uri},
        "custom_questions": [],
        "created_at": "2024-01-01T00:00:00.000000Z",
        "updated_at": "2024-01-01T00:00:00.000000Z",
    }


def render_event(request: Request, event: FakeScheduledEvent) -> dict[str, Any]:
    invitees = [i for i in state_of(request).invitees.values() if i.event_uri == event.uri]
    body: dict[str, Any] = {
        "uri": event.uri,
        "name": event.name,
        "status": event.status,
        "start_time": _iso(event.start),
        "end_time": _iso(event.end),
        "event_type": event.event_type_uri,
        "location": None,
        "invitees_counter": {
            "total": len(invitees),
            "active": sum(1 for i in invitees if i.status == "active"),
            "limit": 1,
        },
        "event_memberships": [],
        "event_guests": [],
        "created_at": _iso(event.created_at),
        "updated_at": _iso(event.updated_at),
    }
    if event.status == "canceled":
        body["cancellation"] = {
            "canceled_by": "Invitee",
            "reason": None,
            "canceler_type": "invitee",
            "created_at": _iso(event.updated_at),
        }
    return body


def render_invitee(invitee: FakeInvitee) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uri": invitee.uri,
        "email": invitee.email,
        "name": invitee.name,
        "first_name": None,
        "last_name": None,
        "status": invitee.status,
        "timezone": invitee.timezone,
        "event": invitee.event_uri,
        "created_at": _iso(invitee.created_at),
        "updated_at": _iso(invitee.updated_at),
        "questions_and_answers": [],
        "tracking": {
            k: None
            for k in (
                "utm_campaign",
                "utm_source",
                "utm_medium",
                "utm_content",
                "utm_term",
                "salesforce_uuid",
            )
        },
        "text_reminder_number": None,
        "rescheduled": invitee.rescheduled,
        "old_invitee": invitee.old_invitee,
        "new_invitee": invitee.new_invitee,
        "cancel_url": f"https://calendly.com/cancellations/{invitee.uri.rsplit('/', 1)[-1]}",
        "reschedule_url": f"https://calendly.com/reschedulings/{invitee.uri.rsplit('/', 1)[-1]}",
        "routing_form_submission": None,
        "payment": None,
        "no_show": (
            {
                "uri": f"{CALENDLY_API}/invitee_no_shows/{invitee.uri.rsplit('/', 1)[-1]}",
                "created_at": _iso(invitee.no_show_at),
            }
            if invitee.no_show_at
            else None
        ),
        "reconfirmation": None,
        "scheduling_method": invitee.scheduling_method,
        "invitee_scheduled_by": None,
    }
    if invitee.status == "canceled":
        body["cancellation"] = {
            "canceled_by": invitee.name,
            "reason": None,
            "canceler_type": "invitee",
            "created_at": _iso(invitee.updated_at),
        }
    return body


def _page(request: Request, items: Sequence[T], render: Callable[[T], dict[str, Any]]) -> Response:
    """Calendly pagination: `count` 1-100 (default 20), opaque `page_token`."""
    try:
        count = int(request.query_params.get("count", "20"))
        token = request.query_params.get("page_token")
        offset = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        return calendly_error(400, "The supplied parameters are invalid.")
    if not 1 <= count <= 100:
        return calendly_error(
            400,
            "The supplied parameters are invalid.",
            [{"parameter": "count", "message": "must be between 1 and 100"}],
        )
    chunk = items[offset : offset + count]

    def link(at: int | None) -> tuple[str | None, str | None]:
        if at is None:
            return None, None
        new_token = base64.urlsafe_b64encode(str(at).encode()).decode()
        return str(request.url.include_query_params(page_token=new_token)), new_token

    next_page, next_token = link(offset + count if offset + count < len(items) else None)
    previous_page, previous_token = link(max(0, offset - count) if offset > 0 else None)
    return JSONResponse(
        {
            "collection": [render(i) for i in chunk],
            "pagination": {
                "count": len(chunk),
                "next_page": next_page,
                "previous_page": previous_page,
                "next_page_token": next_token,
                "previous_page_token": previous_token,
            },
        }
    )


def _invalid(parameter: str, message: str) -> JSONResponse:
    return calendly_error(
        400,
        "The supplied parameters are invalid.",
        [{"parameter": parameter, "message": message}],
    )


def _time_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    return as_datetime(raw) if raw else None


async def users_me(request: Request) -> Response:
    user = state_of(request).calendly_user(_token(request))
    return JSONResponse(
        {
            "resource": {
                "uri": user.uri,
                "name": user.name,
                "slug": "fake-host",
                "email": user.email,
                "scheduling_url": "https://calendly.com/fake-host",
                "timezone": user.timezone,
                "avatar_url": None,
                "created_at": "2024-01-01T00:00:00.000000Z",
                "updated_at": "2024-01-01T00:00:00.000000Z",
                "current_organization": user.organization_uri,
            }
        }
    )


async def list_event_types(request: Request) -> Response:
    state = state_of(request)
    organization = request.query_params.get("organization")
    user = request.query_params.get("user")
    if not (organization or user):
        return _invalid("organization", "organization or user is required")
    active = request.query_params.get("active")
    with state.lock:
        items = sorted(
            (
                e
                for e in state.event_types.values()
                if (organization is None or e.organization_uri == organization)
                and (active is None or e.active == (active == "true"))
            ),
            key=lambda e: e.name,
        )
    return _page(request, items, render_event_type)


async def get_event_type(request: Request) -> Response:
    uri = f"{CALENDLY_API}/event_types/{request.path_params['uuid']}"
    event_type = state_of(request).event_types.get(uri)
    if event_type is None:
        return calendly_error(404, "The server could not find the requested resource.")
    return JSONResponse({"resource": render_event_type(event_type)})


async def available_times(request: Request) -> Response:
    state = state_of(request)
    event_type_uri = request.query_params.get("event_type")
    try:
        start = _time_param(request, "start_time")
        end = _time_param(request, "end_time")
    except ValueError:
        return _invalid("start_time", "must be an ISO-8601 time")
    if not event_type_uri:
        return _invalid("event_type", "is required")
    if start is None or end is None:
        return _invalid("start_time" if start is None else "end_time", "is required")
    if start < utcnow() - timedelta(minutes=1):
        return _invalid("start_time", "must be in the future")
    if end <= start:
        return _invalid("end_time", "must be after start_time")
    if end - start > MAX_AVAILABLE_TIMES_SPAN:
        return _invalid("end_time", "date range can be no greater than 1 week (7 days)")
    if event_type_uri not in state.event_types:
        return calendly_error(404, "The server could not find the requested resource.")
    event_type = state.event_types[event_type_uri]
    times = [t for t in state.calendly_open_times(event_type_uri) if start <= t < end]
    return JSONResponse(
        {
            "collection": [
                {
                    "status": "available",
                    "invitees_remaining": 1,
                    "start_time": _iso(t),
                    "scheduling_url": (
                        f"https://calendly.com/fake/{event_type.slug}/"
                        f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')}"
                    ),
                }
                for t in times
            ]
        }
    )


async def list_scheduled_events(request: Request) -> Response:
    state = state_of(request)
    query = request.query_params
    organization, user = query.get("organization"), query.get("user")
    if not (organization or user):
        return _invalid("organization", "organization or user is required")
    try:
        min_start = _time_param(request, "min_start_time")
        max_start = _time_param(request, "max_start_time")
    except ValueError:
        return _invalid("min_start_time", "must be an ISO-8601 time")
    status, email = query.get("status"), query.get("invitee_email")
    with state.lock:
        with_email = {i.event_uri for i in state.invitees.values() if i.email == email}
        items = sorted(
            (
                e
                for e in state.scheduled_events.values()
                if (organization is None or e.organization_uri == organization)
                and (min_start is None or e.start >= min_start)
                and (max_start is None or e.start < max_start)
                and (status is None or e.status == status)
                and (email is None or e.uri in with_email)
            ),
            key=lambda e: (e.start, e.uri),
            reverse=query.get("sort") == "start_time:desc",
        )
        return _page(request, items, lambda e: render_event(request, e))


async def get_scheduled_event(request: Request) -> Response:
    state = state_of(request)
    uri = f"{CALENDLY_API}/scheduled_events/{request.path_params['uuid']}"
    with state.lock:
        event = state.scheduled_events.get(uri)
        if event is None:
            return calendly_error(404, "The server could not find the requested resource.")
        return JSONResponse({"resource": render_event(request, event)})


async def list_invitees(request: Request) -> Response:
    state = state_of(request)
    event_uri = f"{CALENDLY_API}/scheduled_events/{request.path_params['uuid']}"
    status, email = request.query_params.get("status"), request.query_params.get("email")
    with state.lock:
        if event_uri not in state.scheduled_events:
            return calendly_error(404, "The server could not find the requested resource.")
        items = sorted(
            (
                i
                for i in state.invitees.values()
                if i.event_uri == event_uri
                and (status is None or i.status == status)
                and (email is None or i.email == email)
            ),
            key=lambda i: (i.created_at, i.uri),
            reverse=request.query_params.get("sort") == "created_at:desc",
        )
    return _page(request, items, render_invitee)


async def get_invitee(request: Request) -> Response:
    state = state_of(request)
    uri = (
        f"{CALENDLY_API}/scheduled_events/{request.path_params['uuid']}"
        f"/invitees/{request.path_params['invitee_uuid']}"
    )
    invitee = state.invitees.get(uri)
    if invitee is None:
        return calendly_error(404, "The server could not find the requested resource.")
    return JSONResponse({"resource": render_invitee(invitee)})


async def create_invitee(request: Request) -> Response:
    """Scheduling API booking: the slot must be open; 201 with the new invitee."""
    state = state_of(request)
    try:
        body = await request.json()
    except ValueError:
        return calendly_error(400, "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return _invalid("body", "must be an object")
    invitee = body.get("invitee")
    for name, present in (
        ("event_type", body.get("event_type")),
        ("start_time", body.get("start_time")),
        ("invitee", isinstance(invitee, dict)),
        ("invitee.email", isinstance(invitee, dict) and invitee.get("email")),
        ("invitee.timezone", isinstance(invitee, dict) and invitee.get("timezone")),
        (
            "invitee.name",
            isinstance(invitee, dict) and (invitee.get("name") or invitee.get("first_name")),
        ),
    ):
        if not present:
            return _invalid(name, "is required")
    assert isinstance(invitee, dict)
    try:
        start = as_datetime(body["start_time"])
    except ValueError:
        return _invalid("start_time", "must be an ISO-8601 time")
    with state.lock:
        if body["event_type"] not in state.event_types:
            return calendly_error(404, "The server could not find the requested resource.")
        if start not in state.calendly_open_times(body["event_type"]):
            return calendly_error(
                400,
                "The supplied parameters are invalid.",
                [
                    {
                        "parameter": "start_time",
                        "code": "already_filled",
                        "message": "This time slot is no longer available.",
                    }
                ],
            )
        name = invitee.get("name") or " ".join(
            p for p in (invitee.get("first_name"), invitee.get("last_name")) if p
        )
        created = state.add_calendly_booking(
            event_type_uri=body["event_type"],
            start=start,
            email=invitee["email"],
            name=name,
            timezone=invitee["timezone"],
            scheduling_method="api",
        )
        resource = render_invitee(state.invitees[created["invitee_uri"]])
    return JSONResponse({"resource": resource}, status_code=201)


routes = [
    Route("/users/me", users_me, methods=["GET"]),
    Route("/event_types", list_event_types, methods=["GET"]),
    Route("/event_types/{uuid}", get_event_type, methods=["GET"]),
    Route("/event_type_available_times", available_times, methods=["GET"]),
    Route("/scheduled_events", list_scheduled_events, methods=["GET"]),
    Route("/scheduled_events/{uuid}", get_scheduled_event, methods=["GET"]),
    Route("/scheduled_events/{uuid}/invitees", list_invitees, methods=["GET"]),
    Route("/scheduled_events/{uuid}/invitees/{invitee_uuid}", get_invitee, methods=["GET"]),
    Route("/invitees", create_invitee, methods=["POST"]),
]
