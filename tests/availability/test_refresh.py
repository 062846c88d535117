"""The refresh against the provider test double, through the service and the repository."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.availability.repository import AvailabilityCacheRepository
from capacity_service.availability.service import MAX_WINDOW_DAYS
from capacity_service.availability.tasks import refresh_workspace
from capacity_service.config import Settings
from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Workspace
from capacity_service.providers import ProviderClients
from capacity_service.providers.fake import FakeProviderState
from capacity_service.workspaces.sources import SourceConfig
from tests.availability.conftest import CALENDLY_TOKEN, GHL_TOKEN, LOCATION_ID
from tests.factories import make_workspace

DEFAULT = AvailabilitySource.DEFAULT
DIRECT = AvailabilitySource.DIRECT_BOOK


def hour_from_now(hours: float) -> datetime:
    """A whole-second instant `hours` ahead, so it survives the providers' formats exactly."""
    return (utcnow() + timedelta(hours=hours)).replace(microsecond=0)


async def ghl_workspace(
    session: AsyncSession, cipher: SecretCipher, calendar_id: str, **fields: object
) -> Workspace:
    return await make_workspace(
        session,
        cipher,
        ghl_access_token=GHL_TOKEN,
        ghl_location_id=f"{LOCATION_ID}-{uuid.uuid4().hex[:6]}",
        ghl_default_calendar_id=calendar_id,
        **fields,
    )


async def refresh(
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    workspace: Workspace,
) -> None:
    await refresh_workspace(sessionmaker, providers, cipher, settings, workspace.id)


async def test_refresh_stores_the_free_slots_of_a_highlevel_calendar_as_utc_instants(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    fake_state: FakeProviderState,
) -> None:
    # 03:30 UTC is the previous calendar day in New York: the provider groups it under that day.
    offered = [
        hour_from_now(5),
        hour_from_now(24).replace(hour=3, minute=30, second=0),
        hour_from_now(24 * 40),
        hour_from_now(24 * (MAX_WINDOW_DAYS + 1)),
    ]
    outside = [hour_from_now(-2), hour_from_now(24 * (MAX_WINDOW_DAYS + 5))]
    calendar_id = fake_state.add_ghl_calendar(
        location_id="ignored", timezone="America/New_York", slots=[*offered, *outside]
    )
    workspace = await ghl_workspace(session, cipher, calendar_id, timezone="America/New_York")

    await refresh(sessionmaker, providers, cipher, settings, workspace)

    repository = AvailabilityCacheRepository(session)
    assert await repository.slots(workspace.id, DEFAULT) == sorted(offered)
    config = SourceConfig(DEFAULT, Provider.GHL, calendar_id)
    meta = await repository.get_meta(workspace.id, config)
    assert meta is not None
    assert meta.fetched_at is not None
    assert meta.last_error is None
    assert meta.range_start_at == meta.fetched_at
    assert meta.range_end_at is not None
    assert meta.range_end_at - meta.range_start_at == timedelta(
        days=MAX_WINDOW_DAYS + settings.availability_margin_days
    )
    queries = [parse_qs(r.query) for r in fake_state.requests if "free-slots" in r.path]
    assert queries
    assert {q["timezone"][0] for q in queries} == {"America/New_York"}


async def test_refresh_stores_exactly_the_calendly_times_offered_across_seven_day_windows(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    fake_state: FakeProviderState,
) -> None:
    offered = [hour_from_now(1 + 5 * i) for i in range(200)]  # every 5 hours for ~42 days
    event_type = fake_state.add_calendly_event_type(times=offered)
    workspace = await make_workspace(
        session,
        cipher,
        calendly_access_token=CALENDLY_TOKEN,
        calendly_direct_book_event_type_uri=event_type,
        timezone="Europe/Berlin",
    )

    await refresh(sessionmaker, providers, cipher, settings, workspace)

    assert await AvailabilityCacheRepository(session).slots(workspace.id, DIRECT) == offered
    windows = fake_state.request_count("event_type_available_times")
    days = MAX_WINDOW_DAYS + settings.availability_margin_days
    assert windows == -(-days // 7)


async def test_a_failing_provider_keeps_the_old_slots_and_records_the_error(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    fake_state: FakeProviderState,
) -> None:
    offered = [hour_from_now(3), hour_from_now(27)]
    calendar_id = fake_state.add_ghl_calendar(location_id="ignored", slots=offered)
    workspace = await ghl_workspace(session, cipher, calendar_id)
    config = SourceConfig(DEFAULT, Provider.GHL, calendar_id)
    repository = AvailabilityCacheRepository(session)
    await refresh(sessionmaker, providers, cipher, settings, workspace)
    first = await repository.get_meta(workspace.id, config)
    assert first is not None

    fake_state.fail("free-slots", status=503, times=None)
    await refresh(sessionmaker, providers, cipher, settings, workspace)
    await refresh(sessionmaker, providers, cipher, settings, workspace)

    failed = await repository.get_meta(workspace.id, config)
    assert failed is not None
    assert await repository.slots(workspace.id, DEFAULT) == offered
    assert failed.fetched_at == first.fetched_at
    assert failed.range_end_at == first.range_end_at
    assert failed.last_error_kind == "unavailable"
    assert failed.last_error is not None
    assert "503" in failed.last_error
    assert failed.last_error_at is not None
    assert failed.consecutive_failures == 2

    fake_state.clear_failures()
    fake_state.add_ghl_slots(calendar_id, [hour_from_now(50)])
    await refresh(sessionmaker, providers, cipher, settings, workspace)

    recovered = await repository.get_meta(workspace.id, config)
    assert recovered is not None
    assert recovered.last_error is None
    assert recovered.last_error_kind is None
    assert recovered.last_error_at is None
    assert recovered.consecutive_failures == 0
    assert len(await repository.slots(workspace.id, DEFAULT)) == 3


async def test_a_rejected_token_is_recorded_as_an_authentication_error(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    fake_state: FakeProviderState,
) -> None:
    event_type = fake_state.add_calendly_event_type(times=[hour_from_now(4)])
    workspace = await make_workspace(
        session,
        cipher,
        calendly_access_token=CALENDLY_TOKEN,
        calendly_default_event_type_uri=event_type,
    )
    fake_state.revoke_token(CALENDLY_TOKEN)

    await refresh(sessionmaker, providers, cipher, settings, workspace)

    meta = await AvailabilityCacheRepository(session).get_meta(
        workspace.id, SourceConfig(DEFAULT, Provider.CALENDLY, event_type)
    )
    assert meta is not None
    assert meta.fetched_at is None
    assert meta.last_error_kind == "authentication"
    assert CALENDLY_TOKEN not in (meta.last_error or "")


async def test_a_source_without_a_provider_token_is_recorded_as_not_configured(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id="cal-without-token")

    await refresh(sessionmaker, providers, cipher, settings, workspace)

    meta = await AvailabilityCacheRepository(session).get_meta(
        workspace.id, SourceConfig(DEFAULT, Provider.GHL, "cal-without-token")
    )
    assert meta is not None
    assert meta.last_error_kind == "not_configured"


async def test_slots_of_a_changed_identifier_are_not_served_and_are_replaced(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    fake_state: FakeProviderState,
) -> None:
    old_slots = [hour_from_now(2), hour_from_now(30)]
    new_slots = [hour_from_now(6)]
    old_calendar = fake_state.add_ghl_calendar(location_id="ignored", slots=old_slots)
    new_calendar = fake_state.add_ghl_calendar(location_id="ignored", slots=new_slots)
    workspace = await ghl_workspace(session, cipher, old_calendar)
    repository = AvailabilityCacheRepository(session)
    await refresh(sessionmaker, providers, cipher, settings, workspace)
    window = (utcnow(), utcnow() + timedelta(days=30))
    old_config = SourceConfig(DEFAULT, Provider.GHL, old_calendar)
    new_config = SourceConfig(DEFAULT, Provider.GHL, new_calendar)
    assert await repository.count_slots_in_window(workspace.id, old_config, *window) == 2

    workspace.ghl_default_calendar_id = new_calendar
    await session.flush()

    # Before any refresh: the old calendar's row does not answer for the new identifier.
    assert await repository.count_slots_in_window(workspace.id, new_config, *window) == 0
    assert await repository.get_meta(workspace.id, new_config) is None

    # A failed first fetch of the new calendar drops the old slots instead of keeping them.
    fake_state.fail("free-slots", status=503, times=None)
    await refresh(sessionmaker, providers, cipher, settings, workspace)
    failed = await repository.get_meta(workspace.id, new_config)
    assert failed is not None
    assert failed.fetched_at is None
    assert failed.consecutive_failures == 1
    assert await repository.slots(workspace.id, DEFAULT) == []

    fake_state.clear_failures()
    await refresh(sessionmaker, providers, cipher, settings, workspace)
    assert await repository.slots(workspace.id, DEFAULT) == new_slots
    assert await repository.count_slots_in_window(workspace.id, new_config, *window) == 1
    assert await repository.count_slots_in_window(workspace.id, old_config, *window) == 0


async def test_a_source_no_longer_configured_loses_its_cache_row(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    fake_state: FakeProviderState,
) -> None:
    calendar_id = fake_state.add_ghl_calendar(location_id="ignored", slots=[hour_from_now(3)])
    workspace = await ghl_workspace(
        session, cipher, calendar_id, ghl_direct_book_calendar_id=calendar_id
    )
    repository = AvailabilityCacheRepository(session)
    await refresh(sessionmaker, providers, cipher, settings, workspace)
    assert await repository.slots(workspace.id, DIRECT) != []

    workspace.ghl_direct_book_calendar_id = None
    await session.flush()
    await refresh(sessionmaker, providers, cipher, settings, workspace)

    assert await repository.slots(workspace.id, DIRECT) == []
    assert await repository.slots(workspace.id, DEFAULT) != []


async def test_an_older_fetch_does_not_overwrite_a_newer_one(
    session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await make_workspace(session, cipher)
    config = SourceConfig(DEFAULT, Provider.GHL, "cal-1")
    repository = AvailabilityCacheRepository(session)
    now = utcnow()
    newer = [now + timedelta(hours=1)]
    end = now + timedelta(days=92)
    assert await repository.store_success(
        workspace.id, config, newer, range_start_at=now, range_end_at=end, attempted_at=now
    )

    earlier = now - timedelta(seconds=5)
    stale = [now + timedelta(hours=2), now + timedelta(hours=3)]
    assert not await repository.store_success(
        workspace.id, config, stale, range_start_at=earlier, range_end_at=end, attempted_at=earlier
    )
    assert not await repository.store_failure(
        workspace.id, config, kind="unavailable", message="late", attempted_at=earlier
    )

    assert await repository.slots(workspace.id, DEFAULT) == newer
    meta = await repository.get_meta(workspace.id, config)
    assert meta is not None
    assert meta.last_error is None


async def test_slots_are_counted_in_a_half_open_window(
    session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await make_workspace(session, cipher)
    config = SourceConfig(DEFAULT, Provider.CALENDLY, "https://api.calendly.com/event_types/X")
    start = datetime(2026, 5, 1, tzinfo=UTC)
    slots = [start + timedelta(hours=h) for h in (0, 1, 2, 24)]
    repository = AvailabilityCacheRepository(session)
    await repository.store_success(
        workspace.id,
        config,
        slots,
        range_start_at=start,
        range_end_at=start + timedelta(days=92),
        attempted_at=start,
    )

    end = start + timedelta(hours=24)
    assert await repository.count_slots_in_window(workspace.id, config, start, end) == 3
    other_provider = SourceConfig(DEFAULT, Provider.GHL, config.identifier)
    assert await repository.count_slots_in_window(workspace.id, other_provider, start, end) == 0
