"""The refresh records each source's slot length (and Calendly seats) for the minutes view."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.availability.tasks import refresh_workspace
from capacity_service.config import Settings
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Workspace, WorkspaceAvailabilityCache
from capacity_service.providers import ProviderClients
from capacity_service.providers.fake import FakeProviderState
from tests.availability.conftest import CALENDLY_TOKEN, GHL_TOKEN, LOCATION_ID
from tests.factories import make_workspace


def hours_ahead(hours: int) -> datetime:
    return (utcnow() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


async def cache_row(session: AsyncSession, workspace: Workspace) -> WorkspaceAvailabilityCache:
    row = await session.scalar(
        select(WorkspaceAvailabilityCache)
        .where(WorkspaceAvailabilityCache.workspace_id == workspace.id)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def test_refresh_records_the_highlevel_slot_duration(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    fake_state: FakeProviderState,
) -> None:
    calendar_id = fake_state.add_ghl_calendar(
        location_id="ignored", slot_duration_minutes=45, slots=[hours_ahead(5)]
    )
    workspace = await make_workspace(
        session,
        cipher,
        ghl_access_token=GHL_TOKEN,
        ghl_location_id=f"{LOCATION_ID}-{uuid.uuid4().hex[:6]}",
        ghl_default_calendar_id=calendar_id,
    )

    await refresh_workspace(sessionmaker, providers, cipher, settings, workspace.id)

    row = await cache_row(session, workspace)
    assert row.slot_duration_minutes == 45
    assert row.slot_seats is None


async def test_refresh_records_the_calendly_event_duration(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    fake_state: FakeProviderState,
) -> None:
    event_type = fake_state.add_calendly_event_type(duration_minutes=60, times=[hours_ahead(3)])
    workspace = await make_workspace(
        session,
        cipher,
        calendly_access_token=CALENDLY_TOKEN,
        calendly_default_event_type_uri=event_type,
    )

    await refresh_workspace(sessionmaker, providers, cipher, settings, workspace.id)

    row = await cache_row(session, workspace)
    assert row.slot_duration_minutes == 60
    assert row.slot_seats is None  # one seat per slot is the default, not stored


async def test_a_failed_length_lookup_keeps_the_slots_and_the_known_length(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    fake_state: FakeProviderState,
) -> None:
    event_type = fake_state.add_calendly_event_type(duration_minutes=60, times=[hours_ahead(3)])
    workspace = await make_workspace(
        session,
        cipher,
        calendly_access_token=CALENDLY_TOKEN,
        calendly_default_event_type_uri=event_type,
    )
    await refresh_workspace(sessionmaker, providers, cipher, settings, workspace.id)

    fake_state.fail(r"/event_types/[^/]+$", status=404, times=None)
    fake_state.add_calendly_available_times(event_type, [hours_ahead(4)])
    await refresh_workspace(sessionmaker, providers, cipher, settings, workspace.id)

    row = await cache_row(session, workspace)
    assert row.slots == [hours_ahead(3), hours_ahead(4)]
    assert row.slot_duration_minutes == 60
    assert row.last_error is None
