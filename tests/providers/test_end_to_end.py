"""Both clients against the test double over real HTTP on 127.0.0.1."""

from datetime import timedelta

import pytest

from capacity_service.kit.enums import AppointmentStatus
from capacity_service.kit.time import utcnow
from capacity_service.providers import ProviderClients
from capacity_service.providers.errors import ProviderBadRequestError, ProviderNotFoundError
from capacity_service.providers.fake import FakeProviderServer
from capacity_service.providers.types import CalendlyCredentials, GhlCredentials


async def test_highlevel_book_then_read_back(
    fake: FakeProviderServer, double_providers: ProviderClients
) -> None:
    start = (utcnow() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    slots = [start + timedelta(hours=h) for h in range(0, 24 * 45, 6)]
    calendar_id = fake.state.add_ghl_calendar(
        location_id="loc1", timezone="America/New_York", slots=slots
    )
    creds = GhlCredentials("loc1", "ghl-token")

    free = await double_providers.ghl.get_free_slots(
        creds, calendar_id, start, start + timedelta(days=45)
    )
    assert free == slots

    booked = await double_providers.ghl.create_appointment(
        creds, calendar_id=calendar_id, contact_id="contact1", start_at=free[0]
    )
    assert booked.attribution == calendar_id
    with pytest.raises(ProviderBadRequestError, match="no longer available"):
        await double_providers.ghl.create_appointment(
            creds, calendar_id=calendar_id, contact_id="contact2", start_at=free[0]
        )
    after = await double_providers.ghl.get_free_slots(
        creds, calendar_id, start, start + timedelta(days=2)
    )
    assert free[0] not in after

    fake.state.update_ghl_appointment(booked.external_id, status="showed")
    read = await double_providers.ghl.get_appointment(creds, booked.external_id)
    assert (read.status, read.start_at) == (AppointmentStatus.SHOWED, free[0])
    assert read.provider_updated_at is not None
    events = await double_providers.ghl.list_location_events(
        creds, start, start + timedelta(days=1)
    )
    assert [e.external_id for e in events] == [booked.external_id]
    [contact] = await double_providers.ghl.get_contact_appointments(creds, "contact1")
    assert contact.start_at == free[0]
    with pytest.raises(ProviderNotFoundError):
        await double_providers.ghl.get_appointment(creds, "missing")


async def test_calendly_discover_book_and_reconcile(
    fake: FakeProviderServer, double_providers: ProviderClients
) -> None:
    start = (utcnow() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    times = [start + timedelta(hours=h) for h in range(0, 24 * 20, 8)]
    event_type = fake.state.add_calendly_event_type(name="Intro", duration_minutes=45, times=times)
    for h in range(30):  # more than one page of events
        fake.state.add_calendly_booking(
            event_type_uri=event_type, start=start + timedelta(minutes=h + 1), email=f"p{h}@x.com"
        )
    user = await double_providers.calendly.get_current_user(CalendlyCredentials("cal-token"))
    creds = CalendlyCredentials("cal-token", user.organization_uri)
    [listed] = await double_providers.calendly.list_event_types(creds)
    assert (listed.uri, listed.duration_minutes) == (event_type, 45)

    available = await double_providers.calendly.get_available_times(
        creds, event_type, start, start + timedelta(days=20)
    )
    assert available == times

    booked = await double_providers.calendly.create_invitee(
        creds, event_type_uri=event_type, start_at=times[1], email="new@x.com", name="New"
    )
    assert booked.end_at == times[1] + timedelta(minutes=45)
    assert booked.status is AppointmentStatus.CONFIRMED

    fake.state.mark_calendly_no_show(booked.external_id)
    appointment = await double_providers.calendly.get_invitee_appointment(creds, booked.external_id)
    assert appointment.status is AppointmentStatus.NO_SHOW

    double_providers.calendly.page_size = 10
    everything = await double_providers.calendly.list_appointments(
        creds, start - timedelta(hours=1), start + timedelta(days=30)
    )
    assert len(everything) == 31
    assert {a.attribution for a in everything} == {event_type}
    assert fake.state.request_count("^/scheduled_events$") == 4  # 31 events, 10 a page
