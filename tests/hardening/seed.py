"""A workspace with real data behind every endpoint: both providers at the test double, both
sources refreshed, leads and appointments of every status, an API key, a campaign."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.availability.tasks import refresh_workspace
from capacity_service.config import Settings
from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Campaign
from capacity_service.providers import (
    ProviderClients,
    RateLimiterRegistry,
    RetryPolicy,
    build_provider_clients,
)
from capacity_service.providers.fake import DEFAULT_CALENDLY_ORGANIZATION, FakeProviderServer
from tests.factories import make_api_key, make_appointment, make_lead, make_workspace

GHL_TOKEN = "ghl-token-hardening-0123456789"
CALENDLY_TOKEN = "calendly-token-hardening-0123456789"
SIGNING_KEY = "calendly-signing-key-hardening-0123456789"


@dataclass(frozen=True, slots=True)
class SeededWorkspace:
    workspace_id: uuid.UUID
    api_key: str
    lead_id: uuid.UUID
    location_id: str
    calendar_id: str
    event_type_uri: str


def fake_clients(fake: FakeProviderServer) -> ProviderClients:
    """Clients at the test double that give up fast, with limiters of their own."""
    return build_provider_clients(
        ghl_base_url=fake.ghl_base_url,
        calendly_base_url=fake.calendly_base_url,
        limiters=RateLimiterRegistry(),
        retry=RetryPolicy(max_seconds=0.5, initial_backoff_seconds=0.01, max_backoff_seconds=0.05),
    )


@asynccontextmanager
async def open_fake_clients(fake: FakeProviderServer) -> AsyncIterator[ProviderClients]:
    """Fresh clients, as a new process would have: nothing learned, no pause pending."""
    clients = fake_clients(fake)
    try:
        yield clients
    finally:
        await clients.aclose()


async def seed_workspace(
    sessionmaker: async_sessionmaker[AsyncSession],
    cipher: SecretCipher,
    settings: Settings,
    fake: FakeProviderServer,
    *,
    appointments: int = 12,
) -> SeededWorkspace:
    start = (utcnow() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    slots = [start + timedelta(hours=h) for h in range(0, 24 * 40, 5)]
    location_id = f"loc-{uuid.uuid4().hex[:10]}"
    calendar_id = fake.state.add_ghl_calendar(location_id=location_id, slots=slots)
    event_type_uri = fake.state.add_calendly_event_type(times=slots)
    async with sessionmaker() as session, session.begin():
        workspace = await make_workspace(
            session,
            cipher,
            ghl_access_token=GHL_TOKEN,
            calendly_access_token=CALENDLY_TOKEN,
            calendly_webhook_signing_key=SIGNING_KEY,
            ghl_location_id=location_id,
            ghl_default_calendar_id=calendar_id,
            calendly_organization_uri=DEFAULT_CALENDLY_ORGANIZATION,
            calendly_direct_book_event_type_uri=event_type_uri,
        )
        key = await make_api_key(session, workspace)
        campaign = Campaign(workspace_id=workspace.id, name=f"Spring {uuid.uuid4().hex[:6]}")
        session.add(campaign)
        await session.flush()
        lead = await make_lead(
            session, workspace, campaign_id=campaign.id, ghl_contact_id="contact-hardening"
        )
        statuses = list(AppointmentStatus)
        for i in range(appointments):
            calendly = i % 3 == 0
            await make_appointment(
                session,
                lead,
                start_at=start + timedelta(hours=7 * i - 24 * 5),
                status=statuses[i % len(statuses)],
                provider=Provider.CALENDLY if calendly else Provider.GHL,
                booked_at=start - timedelta(days=10 - i % 7),
                **(
                    {"calendly_event_type_uri": event_type_uri if i % 2 else None}
                    if calendly
                    else {"ghl_calendar_id": calendar_id if i % 2 else None}
                ),
            )
    clients = fake_clients(fake)
    try:
        await refresh_workspace(sessionmaker, clients, cipher, settings, workspace.id)
    finally:
        await clients.aclose()
    return SeededWorkspace(workspace.id, key, lead.id, location_id, calendar_id, event_type_uri)
