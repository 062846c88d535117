"""Alert evaluation: alerts open and clear on state changes only, with the figures behind them."""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.alerts.dispatch import DELIVER_ENTRYPOINT
from capacity_service.alerts.repository import AlertRepository
from capacity_service.alerts.service import evaluate_workspace_alerts
from capacity_service.config import Settings
from capacity_service.kit.enums import AvailabilitySource
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Alert, AlertDelivery, Workspace, WorkspaceAlertSettings
from tests.alerts.conftest import HOOK_URL, cache_failure, cache_slots, ghl_source, queued_jobs
from tests.factories import make_appointment, make_lead, make_workspace

CAL = "cal-alerts"
OTHER_CAL = "cal-direct"


async def book(
    session: AsyncSession, workspace: Workspace, count: int, calendar: str = CAL
) -> None:
    lead = await make_lead(session, workspace)
    for i in range(count):
        await make_appointment(
            session, lead, start_at=utcnow() + timedelta(days=2, hours=i), ghl_calendar_id=calendar
        )


async def alerts_of(session: AsyncSession, workspace: Workspace) -> list[Alert]:
    return list(
        (
            await session.scalars(
                select(Alert).where(Alert.workspace_id == workspace.id).order_by(Alert.opened_at)
            )
        ).all()
    )


async def delivery_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AlertDelivery)) or 0)


async def test_crossing_the_threshold_up_and_down_fires_exactly_two_alerts(
    session: AsyncSession, cipher: SecretCipher, operator_settings: Settings
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id=CAL)
    now = utcnow()
    await cache_slots(session, workspace.id, ghl_source(CAL), now, 1)
    await book(session, workspace, 9)

    up = await evaluate_workspace_alerts(session, workspace, now, settings=operator_settings)
    again = await evaluate_workspace_alerts(session, workspace, now, settings=operator_settings)
    await cache_slots(session, workspace.id, ghl_source(CAL), now + timedelta(minutes=1), 11)
    down = await evaluate_workspace_alerts(
        session, workspace, now + timedelta(minutes=1), settings=operator_settings
    )

    assert [(a.kind, a.scope) for a in up.fired] == [("over_capacity", "combined")]
    assert again.fired == []
    assert again.cleared == []
    assert [(a.kind, a.scope) for a in down.cleared] == [("over_capacity", "combined")]
    assert down.fired == []
    (alert,) = await alerts_of(session, workspace)
    assert alert.state == "cleared"
    assert alert.figures["bookedPct"] == 90.0
    assert alert.figures["thresholdPct"] == 85
    assert alert.cleared_figures is not None
    assert alert.cleared_figures["bookedPct"] == 45.0
    deliveries = (await session.scalars(select(AlertDelivery))).all()
    assert sorted(d.event for d in deliveries) == ["cleared", "fired"]
    assert {d.url for d in deliveries} == {HOOK_URL}
    assert len(await queued_jobs(session, DELIVER_ENTRYPOINT)) == 2


async def test_repeated_evaluations_of_an_unchanged_condition_fire_nothing(
    session: AsyncSession, cipher: SecretCipher, operator_settings: Settings
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id=CAL)
    now = utcnow()
    await cache_slots(session, workspace.id, ghl_source(CAL), now, 1)
    await book(session, workspace, 9)

    results = [
        await evaluate_workspace_alerts(
            session, workspace, now + timedelta(seconds=i), settings=operator_settings
        )
        for i in range(4)
    ]

    assert [len(r.fired) for r in results] == [1, 0, 0, 0]
    assert all(r.cleared == [] for r in results)
    assert len(await alerts_of(session, workspace)) == 1
    assert await delivery_count(session) == 1


async def test_a_second_open_of_the_same_condition_is_refused_by_the_database(
    session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await make_workspace(session, cipher)
    repository = AlertRepository(session)
    args = {"kind": "over_capacity", "scope": "combined", "summary": "s", "figures": {}}

    first = await repository.open(workspace.id, now=utcnow(), **args)  # type: ignore[arg-type]
    second = await repository.open(workspace.id, now=utcnow(), **args)  # type: ignore[arg-type]

    assert first is not None
    assert second is None


async def test_a_workspace_threshold_overrides_the_service_default(
    session: AsyncSession, cipher: SecretCipher, settings: Settings
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id=CAL)
    session.add(WorkspaceAlertSettings(workspace_id=workspace.id, over_capacity_pct=50))
    now = utcnow()
    await cache_slots(session, workspace.id, ghl_source(CAL), now, 4)
    await book(session, workspace, 6)

    result = await evaluate_workspace_alerts(session, workspace, now, settings=settings)

    assert [a.kind for a in result.fired] == ["over_capacity"]
    assert result.fired[0].figures["thresholdPct"] == 50
    assert result.deliveries == []


async def test_under_used_is_off_by_default_and_fires_below_a_configured_floor(
    session: AsyncSession, cipher: SecretCipher, settings: Settings
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id=CAL)
    now = utcnow()
    await cache_slots(session, workspace.id, ghl_source(CAL), now, 19)
    await book(session, workspace, 1)

    off = await evaluate_workspace_alerts(session, workspace, now, settings=settings)
    floored = settings.model_copy(update={"alert_under_used_pct": 10.0})
    on = await evaluate_workspace_alerts(session, workspace, now, settings=floored)

    assert off.fired == []
    assert [(a.kind, a.scope) for a in on.fired] == [("under_used", "combined")]
    assert on.fired[0].figures["bookedPct"] == 5.0


async def test_per_source_alerts_only_when_two_sources_are_configured(
    session: AsyncSession, cipher: SecretCipher, settings: Settings
) -> None:
    workspace = await make_workspace(
        session, cipher, ghl_default_calendar_id=CAL, ghl_direct_book_calendar_id=OTHER_CAL
    )
    now = utcnow()
    await cache_slots(session, workspace.id, ghl_source(CAL), now, 1)
    direct = ghl_source(OTHER_CAL, AvailabilitySource.DIRECT_BOOK)
    await cache_slots(session, workspace.id, direct, now, 30)
    await book(session, workspace, 9)

    result = await evaluate_workspace_alerts(session, workspace, now, settings=settings)

    assert [(a.kind, a.scope) for a in result.fired] == [("over_capacity", "DEFAULT")]


async def test_zero_availability_with_bookings_opens_a_no_availability_alert(
    session: AsyncSession, cipher: SecretCipher, settings: Settings
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id=CAL)
    now = utcnow()
    await cache_slots(session, workspace.id, ghl_source(CAL), now, 0)
    await book(session, workspace, 2)

    result = await evaluate_workspace_alerts(session, workspace, now, settings=settings)

    fired = {(a.kind, a.scope): a for a in result.fired}
    assert ("no_availability", "DEFAULT") in fired
    figures = fired[("no_availability", "DEFAULT")].figures
    assert figures["availableSlots"] == 0
    assert figures["bookedSlots"] == 2
    assert figures["identifier"] == CAL


async def test_a_calendar_that_used_to_have_slots_and_now_has_none_opens_no_availability(
    session: AsyncSession, cipher: SecretCipher, settings: Settings
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id=CAL)
    now = utcnow()
    await cache_slots(session, workspace.id, ghl_source(CAL), now, 5)
    before = await evaluate_workspace_alerts(session, workspace, now, settings=settings)
    later = now + timedelta(minutes=15)
    await cache_slots(session, workspace.id, ghl_source(CAL), later, 0)

    after = await evaluate_workspace_alerts(session, workspace, later, settings=settings)

    assert before.fired == []
    assert [(a.kind, a.scope) for a in after.fired] == [("no_availability", "DEFAULT")]
    assert after.fired[0].figures["hadSlotsBefore"] is True


async def test_an_unused_empty_calendar_and_a_never_fetched_one_raise_nothing(
    session: AsyncSession, cipher: SecretCipher, settings: Settings
) -> None:
    empty = await make_workspace(session, cipher, ghl_default_calendar_id=CAL)
    never = await make_workspace(session, cipher, ghl_default_calendar_id=CAL)
    now = utcnow()
    await cache_slots(session, empty.id, ghl_source(CAL), now, 0)
    await book(session, never, 3)

    assert (await evaluate_workspace_alerts(session, empty, now, settings=settings)).fired == []
    assert (await evaluate_workspace_alerts(session, never, now, settings=settings)).fired == []


async def test_an_authentication_failure_opens_one_data_quality_alert_until_a_refresh_succeeds(
    session: AsyncSession, cipher: SecretCipher, settings: Settings
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id=CAL)
    now = utcnow()
    await cache_failure(session, workspace.id, ghl_source(CAL), now, "authentication")

    first = await evaluate_workspace_alerts(session, workspace, now, settings=settings)
    await cache_failure(
        session, workspace.id, ghl_source(CAL), now + timedelta(minutes=1), "authentication"
    )
    second = await evaluate_workspace_alerts(
        session, workspace, now + timedelta(minutes=1), settings=settings
    )
    await cache_slots(session, workspace.id, ghl_source(CAL), now + timedelta(minutes=2), 3)
    recovered = await evaluate_workspace_alerts(
        session, workspace, now + timedelta(minutes=2), settings=settings
    )

    assert [(a.kind, a.scope) for a in first.fired] == [("data_quality_auth", "DEFAULT")]
    assert first.fired[0].figures["lastErrorKind"] == "authentication"
    assert second.fired == []
    assert [(a.kind, a.scope) for a in recovered.cleared] == [("data_quality_auth", "DEFAULT")]


async def test_a_missing_calendar_opens_a_not_found_alert(
    session: AsyncSession, cipher: SecretCipher, settings: Settings
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id=CAL)
    now = utcnow()
    await cache_failure(session, workspace.id, ghl_source(CAL), now, "not_found")

    result = await evaluate_workspace_alerts(session, workspace, now, settings=settings)

    assert [(a.kind, a.scope) for a in result.fired] == [("data_quality_not_found", "DEFAULT")]


async def test_removing_a_source_clears_its_open_alerts(
    session: AsyncSession, cipher: SecretCipher, settings: Settings
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id=CAL)
    now = utcnow()
    await cache_failure(session, workspace.id, ghl_source(CAL), now, "authentication")
    await evaluate_workspace_alerts(session, workspace, now, settings=settings)
    workspace.ghl_default_calendar_id = None
    await session.flush()

    result = await evaluate_workspace_alerts(session, workspace, now, settings=settings)

    assert [(a.kind, a.scope) for a in result.cleared] == [("data_quality_auth", "DEFAULT")]
