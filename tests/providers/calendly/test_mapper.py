"""Calendly status table (providers.md §1.6) and webhook payload mapping."""

import pytest

from capacity_service.kit.enums import AppointmentStatus
from capacity_service.providers.calendly.mapper import (
    map_calendly_status,
    webhook_payload_to_appointment,
)
from capacity_service.providers.calendly.schemas import CalendlyWebhookPayload

NEW = "https://api.calendly.com/scheduled_events/E2/invitees/I2"


@pytest.mark.parametrize(
    ("status", "rescheduled", "new_invitee", "no_show", "neutral"),
    [
        ("active", False, None, False, AppointmentStatus.CONFIRMED),
        ("active", False, None, True, AppointmentStatus.NO_SHOW),
        ("canceled", True, NEW, False, AppointmentStatus.RESCHEDULED),
        ("canceled", False, NEW, False, AppointmentStatus.RESCHEDULED),
        ("canceled", True, None, False, AppointmentStatus.RESCHEDULED),
        ("canceled", False, None, False, AppointmentStatus.CANCELED),
    ],
)
def test_status_table(
    status: str,
    rescheduled: bool,
    new_invitee: str | None,
    no_show: bool,
    neutral: AppointmentStatus,
) -> None:
    assert (
        map_calendly_status(
            status, rescheduled=rescheduled, new_invitee_uri=new_invitee, no_show=no_show
        )
        is neutral
    )


def test_showed_never_comes_from_calendly() -> None:
    outcomes = {
        map_calendly_status(s, rescheduled=r, new_invitee_uri=None, no_show=n)
        for s in ("active", "canceled")
        for r in (True, False)
        for n in (True, False)
    }
    assert AppointmentStatus.SHOWED not in outcomes


def test_webhook_payload_attributes_to_embedded_event_type() -> None:
    payload = CalendlyWebhookPayload.model_validate(
        {
            "uri": "https://api.calendly.com/scheduled_events/E1/invitees/I1",
            "event": "https://api.calendly.com/scheduled_events/E1",
            "email": "a@b.c",
            "name": "A",
            "status": "active",
            "old_invitee": "https://api.calendly.com/scheduled_events/E0/invitees/I0",
            "no_show": None,
            "updated_at": "2026-06-24T22:30:45.105381Z",
            "tracking": {"utm_source": None},
            "scheduled_event": {
                "uri": "https://api.calendly.com/scheduled_events/E1",
                "status": "active",
                "start_time": "2026-07-01T10:00:00.000000Z",
                "end_time": "2026-07-01T10:30:00.000000Z",
                "event_type": "https://api.calendly.com/event_types/ET",
            },
        }
    )
    appointment = webhook_payload_to_appointment(payload, payload.scheduled_event)
    assert appointment.status is AppointmentStatus.CONFIRMED
    assert appointment.attribution == "https://api.calendly.com/event_types/ET"
    assert appointment.calendly_old_invitee_uri.endswith("/I0")  # type: ignore[union-attr]
