"""The backfill talks to the provider test double over loopback and commits for real.

The runner opens several sessions at once (one reader per provider, one writer) and holds a
lock connection, so it cannot share the rolled-back test connection: these fixtures commit and
empty the tables afterwards.
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.db import create_sessionmaker
from capacity_service.kit.enums import Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Appointment, Workspace
from capacity_service.providers.fake import DEFAULT_CALENDLY_ORGANIZATION, FakeProviderState
from tests.conftest import TABLES_TO_CLEAN
from tests.factories import make_appointment, make_lead, make_workspace

GHL_TOKEN = "ghl-token-backfill"
CALENDLY_TOKEN = "calendly-token-backfill"
LOCATION_ID = "loc-backfill"


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    yield create_sessionmaker(engine)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {TABLES_TO_CLEAN} CASCADE"))


@dataclass
class Seeded:
    workspace_id: uuid.UUID
    ghl_rows: dict[str, uuid.UUID]  # provider appointment id -> row id
    calendly_rows: dict[str, uuid.UUID]  # scheduled event uri -> row id
    calendar_id: str
    event_type_uri: str


async def seed(
    db: async_sessionmaker[AsyncSession],
    fake: FakeProviderState,
    cipher: SecretCipher,
    *,
    ghl: int = 0,
    calendly: int = 0,
    with_ghl: bool = True,
    with_calendly: bool = True,
) -> Seeded:
    """A workspace whose appointments exist at the double but lack attribution locally."""
    calendar_id = fake.add_ghl_calendar(location_id=LOCATION_ID)
    event_type_uri = fake.add_calendly_event_type()
    start = utcnow() + timedelta(days=3)
    async with db() as session, session.begin():
        workspace = await make_workspace(
            session,
            cipher,
            ghl_location_id=LOCATION_ID if with_ghl else None,
            ghl_access_token=GHL_TOKEN if with_ghl else None,
            calendly_access_token=CALENDLY_TOKEN if with_calendly else None,
            calendly_organization_uri=DEFAULT_CALENDLY_ORGANIZATION if with_calendly else None,
        )
        lead = await make_lead(session, workspace)
        ghl_rows: dict[str, uuid.UUID] = {}
        for i in range(ghl):
            appointment_id = fake.add_ghl_appointment(
                location_id=LOCATION_ID,
                calendar_id=calendar_id,
                contact_id="contact-1",
                start=start + timedelta(hours=i),
            )
            row = await make_appointment(
                session, lead, provider=Provider.GHL, ghl_appointment_id=appointment_id
            )
            ghl_rows[appointment_id] = row.id
        calendly_rows: dict[str, uuid.UUID] = {}
        for i in range(calendly):
            booking = fake.add_calendly_booking(
                event_type_uri=event_type_uri,
                start=start + timedelta(hours=i),
                email=f"invitee{i}@example.com",
            )
            # Half the rows know their scheduled event; the others only their invitee URI.
            row = await make_appointment(
                session,
                lead,
                provider=Provider.CALENDLY,
                calendly_invitee_uri=booking["invitee_uri"],
                calendly_scheduled_event_uri=booking["event_uri"] if i % 2 == 0 else None,
            )
            calendly_rows[booking["event_uri"]] = row.id
        return Seeded(workspace.id, ghl_rows, calendly_rows, calendar_id, event_type_uri)


async def rows_of(
    db: async_sessionmaker[AsyncSession], workspace_id: uuid.UUID
) -> dict[uuid.UUID, Appointment]:
    from sqlalchemy import select

    async with db() as session:
        result = await session.scalars(
            select(Appointment).where(Appointment.workspace_id == workspace_id)
        )
        return {row.id: row for row in result}


async def workspace_of(db: async_sessionmaker[AsyncSession], workspace_id: uuid.UUID) -> Workspace:
    async with db() as session:
        workspace = await session.get(Workspace, workspace_id)
        assert workspace is not None
        return workspace
