"""Calendly open slots carry `invitees_remaining`, the seats left on group event types."""

from datetime import timedelta

import respx

from capacity_service.kit.time import utcnow
from capacity_service.providers.calendly.client import CalendlyClient
from capacity_service.providers.types import CalendlyCredentials, OpenSlot

EVENT_TYPE_URI = "https://api.calendly.com/event_types/GROUP1"


async def test_open_slots_report_seats_left(
    calendly: CalendlyClient, calendly_api: respx.MockRouter, calendly_creds: CalendlyCredentials
) -> None:
    start = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    calendly_api.get("/event_type_available_times").respond(
        json={
            "collection": [
                {
                    "status": "available",
                    "invitees_remaining": 4,
                    "start_time": start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                },
                {
                    "status": "available",
                    "invitees_remaining": 1,
                    "start_time": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                },
            ]
        }
    )

    slots = await calendly.get_open_slots(
        calendly_creds, EVENT_TYPE_URI, start - timedelta(hours=1), start + timedelta(days=2)
    )

    assert slots == [OpenSlot(start, 4), OpenSlot(start + timedelta(hours=1), 1)]
