"""Appointment writes ask for one debounced alert evaluation per workspace."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.alerts.dispatch import APPOINTMENT_CHANGE_DELAY_SECONDS, EVALUATE_ENTRYPOINT
from capacity_service.appointments.service import record_provider_appointment
from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.providers.types import ProviderAppointment, ProviderContact
from tests.alerts.conftest import queued_jobs
from tests.factories import make_workspace


async def test_a_burst_of_appointment_writes_queues_one_delayed_evaluation(
    session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await make_workspace(session, cipher)
    other = await make_workspace(session, cipher)
    before = utcnow()

    for target, n in ((workspace, 3), (other, 1)):
        for i in range(n):
            start = before + timedelta(days=1, hours=i)
            await record_provider_appointment(
                session,
                target.id,
                ProviderAppointment(
                    provider=Provider.GHL,
                    external_id=f"appt-{target.id}-{i}",
                    attribution="cal-1",
                    status=AppointmentStatus.CONFIRMED,
                    provider_status="confirmed",
                    start_at=start,
                    end_at=start + timedelta(minutes=30),
                    provider_updated_at=None,
                    contact=ProviderContact(ghl_contact_id=f"contact-{i}"),
                ),
            )

    jobs = await queued_jobs(session, EVALUATE_ENTRYPOINT)
    assert sorted(str(j["dedupe_key"]) for j in jobs) == sorted(
        f"{EVALUATE_ENTRYPOINT}:{w.id}" for w in (workspace, other)
    )
    assert {j["execute_after"] - j["created"] for j in jobs} == {  # type: ignore[operator]
        timedelta(seconds=APPOINTMENT_CHANGE_DELAY_SECONDS)
    }
