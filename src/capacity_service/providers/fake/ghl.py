"""HighLevel endpoints of the test double, shaped to calendars/contacts.openapi.json."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from capacity_service.providers.fake.common import ghl_error, state_of
from capacity_service.providers.fake.state import FakeGhlAppointment, FakeGhlCalendar, as_datetime

MAX_FREE_SLOTS_SPAN = timedelta(days=31)


def _local_iso(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).isoformat()


def _zone_of(request: Request, appointment: FakeGhlAppointment) -> str:
    calendar = state_of(request).ghl_calendars.get(appointment.calendar_id)
    return calendar.timezone if calendar else "UTC"


def render_event(appointment: FakeGhlAppointment, zone: str) -> dict[str, Any]:
    """CalendarEventDTO: times in the calendar's zone with an offset, as HighLevel sends."""
    return {
        "id": appointment.id,
        "title": appointment.title,
        "calendarId": appointment.calendar_id,
        "locationId": appointment.location_id,
        "contactId": appointment.contact_id,
        "groupId": "",
        "appointmentStatus": appointment.status,
        "assignedUserId": appointment.assigned_user_id,
        "users": [appointment.assigned_user_id] if appointment.assigned_user_id else [],
        "address": "",
        "isRecurring": False,
        "startTime": _local_iso(appointment.start, zone),
        "endTime": _local_iso(appointment.end, zone),
        "dateAdded": _local_iso(appointment.date_added, zone),
        "dateUpdated": _local_iso(appointment.date_updated, zone),
        "createdBy": {"source": "booking_widget"},
    }


def render_calendar(calendar: FakeGhlCalendar) -> dict[str, Any]:
    return {
        "id": calendar.id,
        "locationId": calendar.location_id,
        "name": calendar.name,
        "isActive": True,
        "calendarType": "event",
        "slotDuration": calendar.slot_duration_minutes,
        "slotDurationUnit": "mins",
        "slotInterval": calendar.slot_duration_minutes,
        "slotIntervalUnit": "mins",
        "appoinmentPerSlot": 1,
    }


def _epoch_ms(request: Request, name: str) -> datetime | JSONResponse:
    raw = request.query_params.get(name)
    try:
        return datetime.fromtimestamp(float(raw or "") / 1000, tz=UTC)
    except ValueError:
        return ghl_error(422, [f"{name} must be a number conforming to the specified constraints"])


async def free_slots(request: Request) -> Response:
    state = state_of(request)
    calendar = state.ghl_calendars.get(request.path_params["calendar_id"])
    if calendar is None:
        return ghl_error(404, "Calendar not found")
    start = _epoch_ms(request, "startDate")
    end = _epoch_ms(request, "endDate")
    if isinstance(start, JSONResponse):
        return start
    if isinstance(end, JSONResponse):
        return end
    if end - start > MAX_FREE_SLOTS_SPAN:
        return ghl_error(400, "Date range cannot be more than 31 days")
    zone = request.query_params.get("timezone") or calendar.timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ghl_error(400, f"Invalid timezone {zone}")
    by_date: dict[str, list[str]] = defaultdict(list)
    for slot in state.ghl_free_slots(calendar.id):
        if start <= slot <= end:
            local = slot.astimezone(ZoneInfo(zone))
            by_date[local.date().isoformat()].append(local.isoformat())
    return JSONResponse({day: {"slots": slots} for day, slots in sorted(by_date.items())})


async def create_appointment(request: Request) -> Response:
    state = state_of(request)
    try:
        body = await request.json()
    except ValueError:
        return ghl_error(400, "Invalid JSON body")
    if not isinstance(body, dict):
        return ghl_error(422, ["body must be an object"])
    missing = [k for k in ("calendarId", "locationId", "contactId", "startTime") if not body.get(k)]
    if missing:
        return ghl_error(422, [f"{k} should not be empty" for k in missing])
    calendar = state.ghl_calendars.get(body["calendarId"])
    if calendar is None or calendar.location_id != body["locationId"]:
        return ghl_error(400, "Calendar not found")
    try:
        start = as_datetime(body["startTime"])
        end = as_datetime(body["endTime"]) if body.get("endTime") else None
    except ValueError:
        return ghl_error(422, ["startTime must be a valid ISO 8601 date string"])
    with state.lock:
        if not body.get("ignoreFreeSlotValidation") and start not in state.ghl_free_slots(
            calendar.id
        ):
            return ghl_error(400, "The slot you have selected is no longer available.")
        appointment_id = state.add_ghl_appointment(
            location_id=calendar.location_id,
            calendar_id=calendar.id,
            contact_id=body["contactId"],
            start=start,
            end=end,
            status=body.get("appointmentStatus") or "confirmed",
            title=body.get("title") or "Appointment",
            assigned_user_id=body.get("assignedUserId") or "",
        )
        appointment = state.ghl_appointments[appointment_id]
    zone = calendar.timezone
    return JSONResponse(
        {
            "id": appointment.id,
            "calendarId": appointment.calendar_id,
            "locationId": appointment.location_id,
            "contactId": appointment.contact_id,
            "startTime": _local_iso(appointment.start, zone),
            "endTime": _local_iso(appointment.end, zone),
            "title": appointment.title,
            "meetingLocationType": "default",
            "appointmentStatus": appointment.status,
            "assignedUserId": appointment.assigned_user_id,
            "address": "",
            "isRecurring": False,
        }
    )


async def get_appointment(request: Request) -> Response:
    appointment = state_of(request).ghl_appointments.get(request.path_params["event_id"])
    if appointment is None:
        return ghl_error(404, "Appointment not found")
    return JSONResponse({"event": render_event(appointment, _zone_of(request, appointment))})


async def list_events(request: Request) -> Response:
    state = state_of(request)
    query = request.query_params
    location_id = query.get("locationId")
    if not location_id:
        return ghl_error(422, ["locationId should not be empty"])
    start = _epoch_ms(request, "startTime")
    end = _epoch_ms(request, "endTime")
    if isinstance(start, JSONResponse):
        return start
    if isinstance(end, JSONResponse):
        return end
    calendar_id, user_id = query.get("calendarId"), query.get("userId")
    if not (calendar_id or user_id or query.get("groupId")):
        return ghl_error(422, ["Either of calendarId, userId or groupId is required"])
    with state.lock:
        events = [
            render_event(a, _zone_of(request, a))
            for a in sorted(state.ghl_appointments.values(), key=lambda a: a.start)
            if a.location_id == location_id
            and start <= a.start <= end
            and (calendar_id is None or a.calendar_id == calendar_id)
            and (user_id is None or a.assigned_user_id == user_id)
        ]
    return JSONResponse({"events": events})


async def list_calendars(request: Request) -> Response:
    state = state_of(request)
    location_id = request.query_params.get("locationId")
    if not location_id:
        return ghl_error(422, ["locationId should not be empty"])
    with state.lock:
        calendars = [
            render_calendar(c) for c in state.ghl_calendars.values() if c.location_id == location_id
        ]
    return JSONResponse({"calendars": calendars})


async def get_calendar(request: Request) -> Response:
    calendar = state_of(request).ghl_calendars.get(request.path_params["calendar_id"])
    if calendar is None:
        return ghl_error(404, "Calendar not found")
    return JSONResponse({"calendar": render_calendar(calendar)})


def _naive_utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


async def contact_appointments(request: Request) -> Response:
    """GetEventSchema items, with times in the offset-less form of the published example."""
    state = state_of(request)
    contact_id = request.path_params["contact_id"]
    with state.lock:
        events = [
            {
                "id": a.id,
                "calendarId": a.calendar_id,
                "status": a.status,
                "title": a.title,
                "assignedUserId": a.assigned_user_id,
                "notes": "",
                "startTime": _naive_utc(a.start),
                "endTime": _naive_utc(a.end),
                "address": "",
                "locationId": a.location_id,
                "contactId": a.contact_id,
                "groupId": "",
                "appointmentStatus": a.status,
                "users": [a.assigned_user_id] if a.assigned_user_id else [],
                "dateAdded": _naive_utc(a.date_added),
                "dateUpdated": _naive_utc(a.date_updated),
                "assignedResources": [],
            }
            for a in sorted(state.ghl_appointments.values(), key=lambda a: a.start)
            if a.contact_id == contact_id
        ]
    return JSONResponse({"events": events})


routes = [
    Route("/calendars/events/appointments", create_appointment, methods=["POST"]),
    Route("/calendars/events/appointments/{event_id}", get_appointment, methods=["GET"]),
    Route("/calendars/events", list_events, methods=["GET"]),
    Route("/calendars/", list_calendars, methods=["GET"]),
    Route("/calendars/{calendar_id}/free-slots", free_slots, methods=["GET"]),
    Route("/calendars/{calendar_id}", get_calendar, methods=["GET"]),
    Route("/contacts/{contact_id}/appointments", contact_appointments, methods=["GET"]),
]
