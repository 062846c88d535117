from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.backfill.repository import AttributionRepository, FoundAttribution
from capacity_service.kit.enums import Provider
from capacity_service.kit.time import utcnow
from tests.factories import make_appointment, make_lead, make_workspace


async def test_fill_keeps_attribution_written_meanwhile(session: AsyncSession) -> None:
    workspace = await make_workspace(session)
    lead = await make_lead(session, workspace)
    empty = await make_appointment(session, lead)
    meanwhile = await make_appointment(session, lead, ghl_calendar_id="from-webhook")

    filled = await AttributionRepository(session).fill(
        Provider.GHL,
        [FoundAttribution(empty.id, "cal-1"), FoundAttribution(meanwhile.id, "cal-1")],
    )

    assert filled == 1
    await session.refresh(empty)
    await session.refresh(meanwhile)
    assert (empty.ghl_calendar_id, meanwhile.ghl_calendar_id) == ("cal-1", "from-webhook")


async def test_pending_rows_come_in_keyset_order_without_failed_or_filled_ones(
    session: AsyncSession,
) -> None:
    workspace = await make_workspace(session)
    other = await make_workspace(session)
    lead = await make_lead(session, workspace)
    pending = [await make_appointment(session, lead) for _ in range(5)]
    await make_appointment(session, lead, ghl_calendar_id="known")
    await make_appointment(session, await make_lead(session, other))
    repository = AttributionRepository(session)
    await repository.mark_lookup_failed(pending[0].id, Provider.GHL, "gone", now=utcnow())
    expected = sorted(a.id for a in pending[1:])

    first = await repository.pending_batch(workspace.id, Provider.GHL, after=None, limit=3)
    rest = await repository.pending_batch(
        workspace.id, Provider.GHL, after=first[-1].appointment_id, limit=3
    )

    assert [r.appointment_id for r in first + rest] == expected
    assert await repository.count_pending(workspace.id, Provider.GHL) == 4
    assert await repository.count_pending(workspace.id, Provider.CALENDLY) == 0
