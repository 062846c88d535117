"""HighLevel status table (providers.md §2.6) and time normalisation."""

from datetime import UTC, datetime

import pytest

from capacity_service.kit.enums import AppointmentStatus
from capacity_service.providers.ghl.mapper import ghl_appointment_to_domain, map_ghl_status
from capacity_service.providers.ghl.schemas import GhlAppointment


@pytest.mark.parametrize(
    ("raw", "neutral"),
    [
        ("confirmed", AppointmentStatus.CONFIRMED),
        ("new", AppointmentStatus.CONFIRMED),
        ("booked", AppointmentStatus.CONFIRMED),
        ("active", AppointmentStatus.CONFIRMED),
        ("cancelled", AppointmentStatus.CANCELED),
        ("invalid", AppointmentStatus.CANCELED),
        ("showed", AppointmentStatus.SHOWED),
        ("completed", AppointmentStatus.SHOWED),
        ("noshow", AppointmentStatus.NO_SHOW),
        ("Confirmed", AppointmentStatus.CONFIRMED),
    ],
)
def test_status_table(raw: str, neutral: AppointmentStatus) -> None:
    assert map_ghl_status(raw) is neutral


@pytest.mark.parametrize("raw", ["something-new", "", None])
def test_unknown_status_keeps_previous(raw: str | None) -> None:
    assert map_ghl_status(raw) is None


def test_no_status_maps_to_rescheduled() -> None:
    """A HighLevel reschedule keeps the id and moves the times; it stays a live booking."""
    from capacity_service.providers.ghl.mapper import GHL_STATUS_MAP

    assert AppointmentStatus.RESCHEDULED not in GHL_STATUS_MAP.values()


@pytest.mark.parametrize(
    ("raw", "utc"),
    [
        ("2023-09-25T16:00:00+05:30", datetime(2023, 9, 25, 10, 30, tzinfo=UTC)),
        ("2023-09-25T16:00:00Z", datetime(2023, 9, 25, 16, 0, tzinfo=UTC)),
        ("2023-09-25T16:00:00", datetime(2023, 9, 25, 16, 0, tzinfo=UTC)),
        ("2023-09-25 16:00:00", datetime(2023, 9, 25, 16, 0, tzinfo=UTC)),
        ("2023-09-25T16:00:00.123-04:00", datetime(2023, 9, 25, 20, 0, 0, 123000, tzinfo=UTC)),
    ],
)
def test_times_become_aware_utc(raw: str, utc: datetime) -> None:
    appointment = GhlAppointment.model_validate(
        {"id": "a", "startTime": raw, "appointmentStatus": "confirmed"}
    )
    mapped = ghl_appointment_to_domain(appointment)
    assert mapped.start_at == utc
    assert mapped.start_at.utcoffset() is not None


def test_webhook_appointment_maps_with_unknown_fields_ignored() -> None:
    payload = {
        "id": "a1",
        "calendarId": "cal1",
        "contactId": "c1",
        "source": "booking_widget",
        "appointmentStatus": "showed",
        "startTime": "2023-09-25T16:00:00+05:30",
        "endTime": "2023-09-25T16:30:00+05:30",
        "dateUpdated": "2023-09-25T17:00:00+05:30",
        "somethingNew": {"nested": True},
    }
    mapped = ghl_appointment_to_domain(GhlAppointment.model_validate(payload), location_id="L")
    assert mapped.status is AppointmentStatus.SHOWED
    assert mapped.ghl_location_id == "L"
    assert mapped.end_at == datetime(2023, 9, 25, 11, 0, tzinfo=UTC)
