"""Provider outages and 429 storms during refresh, reconcile, booking and backfill.

Each path must give up after a bounded number of calls, say clearly which provider failed and
how, keep what it had (the cached slots, the stored appointments), and lose nothing: what
failed is done by the next attempt once the provider is back, exactly once.
"""

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.availability.tasks import refresh_workspace
from capacity_service.backfill.runner import backfill_appointment_attribution
from capacity_service.backfill.schemas import BackfillSummary
from capacity_service.config import Settings
from capacity_service.db import create_engine, create_sessionmaker
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.main import create_app
from capacity_service.models import Appointment
from capacity_service.providers import ProviderClients
from capacity_service.providers.fake import FakeProviderServer
from tests.backfill.conftest import rows_of
from tests.backfill.conftest import seed as seed_unattributed
from tests.conftest import ADMIN_TOKEN, ENCRYPTION_KEY, TABLES_TO_CLEAN
from tests.hardening.seed import (
    GHL_TOKEN,
    SeededWorkspace,
    fake_clients,
    open_fake_clients,
    seed_workspace,
)

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
MAX_CALLS_PER_SOURCE = 10 * 16
"""Calendly's 92 days are 14 week-long requests plus the event type's duration (HighLevel: four
30-day requests plus the calendar); each makes at most 10 attempts (the retry policy's
`max_attempts`), however fast the machine retries inside the 0.5 s bound. Unbounded retries
would not stay under this."""


@pytest.fixture(scope="module")
async def engine(own_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(own_database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    yield create_sessionmaker(engine)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {TABLES_TO_CLEAN} CASCADE"))


@pytest.fixture
def settings(own_database_url: str) -> Settings:
    return Settings(
        database_url=own_database_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        encryption_key=SecretStr(ENCRYPTION_KEY),
    )


@pytest.fixture
def fake(fake_server: FakeProviderServer) -> Iterator[FakeProviderServer]:
    fake_server.state.reset()
    yield fake_server
    fake_server.state.reset()


@pytest.fixture
async def clients(fake: FakeProviderServer) -> AsyncIterator[ProviderClients]:
    clients = fake_clients(fake)
    yield clients
    await clients.aclose()


@asynccontextmanager
async def serve(
    settings: Settings, engine: AsyncEngine, clients: ProviderClients
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engine=engine, providers=clients)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
async def api(
    settings: Settings, engine: AsyncEngine, clients: ProviderClients
) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(settings, engine, clients) as client:
        yield client


@pytest.fixture
async def seeded(
    db: async_sessionmaker[AsyncSession], settings: Settings, fake: FakeProviderServer
) -> SeededWorkspace:
    return await seed_workspace(db, SecretCipher([ENCRYPTION_KEY]), settings, fake)


def storm(fake: FakeProviderServer, kind: str) -> None:
    """`outage`: every call 503. `429`: a budget of one call a minute, so the rest are 429
    with a Retry-After far beyond the retry bound."""
    if kind == "outage":
        fake.state.fail(".*", status=503, times=None)
    else:
        fake.state.configure(rate_limit=1, rate_window_seconds=60)


async def appointment_count(db: async_sessionmaker[AsyncSession], workspace_id: uuid.UUID) -> int:
    async with db() as session:
        count = await session.scalar(
            select(func.count()).where(Appointment.workspace_id == workspace_id)
        )
        return int(count or 0)


@pytest.mark.parametrize("kind", ["outage", "429"])
async def test_a_refresh_in_a_storm_keeps_the_cached_slots_and_records_why(
    api: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    fake: FakeProviderServer,
    seeded: SeededWorkspace,
    kind: str,
) -> None:
    url = f"/v1/workspaces/{seeded.workspace_id}/availability"
    before = (await api.get(url, headers=ADMIN)).json()["sources"]
    assert all(s["slotCount"] > 0 and s["lastError"] is None for s in before)
    cipher = SecretCipher([ENCRYPTION_KEY])

    storm(fake, kind)
    calls_before = fake.state.request_count()
    async with open_fake_clients(fake) as clients:
        await refresh_workspace(db, clients, cipher, settings, seeded.workspace_id)
    calls = fake.state.request_count() - calls_before

    during = (await api.get(url, headers=ADMIN)).json()["sources"]
    assert 0 < calls <= MAX_CALLS_PER_SOURCE * len(before)
    expected_kind = "unavailable" if kind == "outage" else "rate_limited"
    for old, now in zip(before, during, strict=True):
        assert now["slotCount"] == old["slotCount"], "the cached slots are kept"
        assert now["fetchedAtIso"] == old["fetchedAtIso"]
        assert now["lastErrorKind"] == expected_kind
        assert now["provider"] in now["lastError"]
        assert now["consecutiveFailures"] == 1

    fake.state.clear_failures()
    fake.state.configure(clear_rate_limit=True)
    # A new process (or the same one after the provider's Retry-After) asks again.
    async with open_fake_clients(fake) as clients:
        await refresh_workspace(db, clients, cipher, settings, seeded.workspace_id)
    after = (await api.get(url, headers=ADMIN)).json()["sources"]
    assert all(s["lastError"] is None and s["consecutiveFailures"] == 0 for s in after)
    assert [s["slotCount"] for s in after] == [s["slotCount"] for s in before]


async def test_reconcile_in_a_storm_is_a_clear_503_that_changes_nothing_and_then_catches_up(
    api: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    fake: FakeProviderServer,
    seeded: SeededWorkspace,
) -> None:
    start = utcnow() + timedelta(days=3)
    for i in range(5):
        fake.state.add_ghl_appointment(
            location_id=seeded.location_id,
            calendar_id=seeded.calendar_id,
            contact_id=f"contact-{i}",
            start=start + timedelta(hours=i),
        )
    url = f"/v1/workspaces/{seeded.workspace_id}/reconcile"
    stored = await appointment_count(db, seeded.workspace_id)

    storm(fake, "outage")
    down = await api.post(url, headers=ADMIN, json={"provider": "ghl"})
    assert down.status_code == 503, down.text
    assert down.json()["error"] == "service_unavailable"
    assert "ghl" in down.json()["detail"]
    assert "503" in down.json()["detail"]
    assert await appointment_count(db, seeded.workspace_id) == stored

    fake.state.clear_failures()
    up = await api.post(url, headers=ADMIN, json={"provider": "ghl"})
    assert up.status_code == 200, up.text
    assert await appointment_count(db, seeded.workspace_id) == stored + 5

    storm(fake, "429")
    limited = await api.post(url, headers=ADMIN, json={"provider": "ghl"})
    assert limited.status_code == 503, limited.text
    assert "429" in limited.json()["detail"] or "rate" in limited.json()["detail"].lower()
    assert fake.state.request_count() < 100
    assert await appointment_count(db, seeded.workspace_id) == stored + 5


@pytest.mark.parametrize("kind", ["outage", "429"])
async def test_a_booking_in_a_storm_books_nothing_and_its_retry_books_exactly_once(
    api: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    engine: AsyncEngine,
    fake: FakeProviderServer,
    seeded: SeededWorkspace,
    kind: str,
) -> None:
    slot = fake.state.ghl_free_slots(seeded.calendar_id)[3]
    url = f"/v1/workspaces/{seeded.workspace_id}/bookings"
    body = {"provider": "ghl", "leadId": str(seeded.lead_id), "startTime": slot.isoformat()}
    headers = {**ADMIN, "Idempotency-Key": f"book-{kind}"}
    stored = await appointment_count(db, seeded.workspace_id)
    storm(fake, kind)
    if kind == "429":
        # Another process on the same account has just spent the minute's budget.
        async with httpx.AsyncClient(base_url=fake.ghl_base_url) as other:
            for _ in range(2):
                await other.get(
                    "/calendars/", headers={"Authorization": f"Bearer {GHL_TOKEN}", "Version": "v"}
                )

    failed = await api.post(url, headers=headers, json=body)
    assert failed.status_code == 503, failed.text
    assert "ghl" in failed.json()["detail"]
    assert len(fake.state.ghl_appointments) == 0
    assert await appointment_count(db, seeded.workspace_id) == stored

    fake.state.clear_failures()
    fake.state.configure(clear_rate_limit=True)
    # The client's retry (another API process, or this one once Retry-After has passed).
    async with open_fake_clients(fake) as fresh, serve(settings, engine, fresh) as retry:
        booked = await retry.post(url, headers=headers, json=body)
        replayed = await retry.post(url, headers=headers, json=body)
    assert booked.status_code == 201, booked.text
    assert replayed.status_code == 201
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json()["id"] == booked.json()["id"]
    assert len(fake.state.ghl_appointments) == 1
    assert await appointment_count(db, seeded.workspace_id) == stored + 1


async def test_a_backfill_through_an_outage_and_a_429_storm_attributes_every_row_once(
    engine: AsyncEngine,
    db: async_sessionmaker[AsyncSession],
    fake: FakeProviderServer,
) -> None:
    cipher = SecretCipher([ENCRYPTION_KEY])
    rows = await seed_unattributed(db, fake.state, cipher, ghl=12, calendly=6)

    async def run() -> BackfillSummary:
        async with open_fake_clients(fake) as clients:
            return await backfill_appointment_attribution(
                rows.workspace_id,
                engine=engine,
                sessionmaker=db,
                providers=clients,
                cipher=cipher,
                concurrency=4,
                flush_seconds=0.05,
            )

    fake.state.fail(r"^/calendars/events/appointments/", status=503, times=None)
    during_outage = await run()
    assert during_outage.calendly_updated == 6
    assert during_outage.ghl_updated == 0
    assert during_outage.error_count == 12
    assert all(e.retryable and "503" in e.message for e in during_outage.errors)
    assert fake.state.request_count(r"^/calendars/events/appointments/") <= 12 * 10
    untouched = await rows_of(db, rows.workspace_id)
    assert all(
        r.ghl_calendar_id is None and r.attribution_lookup_error is None
        for r in untouched.values()
        if r.ghl_appointment_id
    ), "a retryable failure leaves the row for the next run"

    fake.state.clear_failures()
    fake.state.configure(rate_limit=3, rate_window_seconds=0.5)
    async with httpx.AsyncClient(base_url=fake.ghl_base_url) as other:
        for _ in range(4):  # someone else spends the budget: the run starts with 429s
            await other.get(
                "/calendars/",
                headers={"Authorization": "Bearer ghl-token-backfill", "Version": "v"},
            )
    after_storm = await run()
    assert fake.state.rate_limited > 1
    assert (after_storm.ghl_updated, after_storm.error_count) == (12, 0)
    final = await rows_of(db, rows.workspace_id)
    assert all(
        r.ghl_calendar_id == rows.calendar_id for r in final.values() if r.ghl_appointment_id
    )
    assert all(
        r.calendly_event_type_uri == rows.event_type_uri
        for r in final.values()
        if r.calendly_invitee_uri
    )
