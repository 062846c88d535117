"""A real worker process refreshes the cache from a job enqueued through the API; the
scheduler tick enqueues each workspace once per interval."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity_service.availability.tasks import REFRESH_ENTRYPOINT, SCHEDULES
from capacity_service.config import Settings
from capacity_service.db import create_sessionmaker
from capacity_service.jobs.registry import workspace_dedupe_key
from capacity_service.jobs.scheduler import enqueue_due_workspace_jobs
from capacity_service.jobs.spread import due_in_window, phase_seconds
from capacity_service.kit.secrets import SecretCipher
from capacity_service.providers.fake import FakeProviderServer, FakeProviderState
from tests.availability.conftest import CALENDLY_TOKEN, GHL_TOKEN, LOCATION_ID
from tests.availability.test_refresh import hour_from_now
from tests.factories import make_workspace
from tests.support.worker import run_worker

WORKER_DEADLINE_SECONDS = 60


@pytest.fixture
async def worker_process(
    settings: Settings, fake_server: FakeProviderServer, tmp_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`capacity-service worker` against this run's database and the test double."""
    env = {
        "CAPACITY_GHL_BASE_URL": fake_server.ghl_base_url,
        "CAPACITY_CALENDLY_BASE_URL": fake_server.calendly_base_url,
        "CAPACITY_PROVIDER_RETRY_MAX_SECONDS": "2",
    }
    async with run_worker(settings, tmp_path, env) as process:
        yield process


async def test_a_worker_process_fills_the_cache_from_a_refresh_enqueued_through_the_api(
    committing_app: FastAPI,
    engine: AsyncEngine,
    cipher: SecretCipher,
    fake_state: FakeProviderState,
    worker_process: asyncio.subprocess.Process,
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    ghl_slots = [hour_from_now(3), hour_from_now(40)]
    calendly_times = [hour_from_now(5), hour_from_now(24 * 9)]
    calendar_id = fake_state.add_ghl_calendar(location_id="ignored", slots=ghl_slots)
    event_type = fake_state.add_calendly_event_type(times=calendly_times)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        workspace = await make_workspace(
            session,
            cipher,
            ghl_access_token=GHL_TOKEN,
            ghl_location_id=LOCATION_ID,
            ghl_default_calendar_id=calendar_id,
            calendly_access_token=CALENDLY_TOKEN,
            calendly_direct_book_event_type_uri=event_type,
        )
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        accepted = await client.post(
            f"/v1/workspaces/{workspace.id}/availability/refresh", headers=admin_headers
        )
        assert accepted.status_code == 202

        sources: list[dict[str, object]] = []
        deadline = asyncio.get_running_loop().time() + WORKER_DEADLINE_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            assert worker_process.returncode is None, (tmp_path / "worker.log").read_text()
            response = await client.get(
                f"/v1/workspaces/{workspace.id}/availability", headers=admin_headers
            )
            sources = response.json()["sources"]
            if all(s["fetchedAtIso"] for s in sources):
                break
            await asyncio.sleep(0.2)

    assert [s["slotCount"] for s in sources] == [2, 2], (tmp_path / "worker.log").read_text()
    assert all(s["isStale"] is False for s in sources)


async def test_the_scheduler_tick_enqueues_each_workspace_once_at_its_phase(
    session: AsyncSession, cipher: SecretCipher, settings: Settings
) -> None:
    workspace = await make_workspace(session, cipher)
    interval = settings.refresh_interval_seconds
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    # The minute that holds this workspace's phase.
    due_minute = epoch + timedelta(minutes=int(phase_seconds(workspace.id, interval) // 60))
    assert due_in_window(workspace.id, interval, due_minute, 60) is not None

    first = await enqueue_due_workspace_jobs(session, settings, SCHEDULES, window_start=due_minute)
    again = await enqueue_due_workspace_jobs(session, settings, SCHEDULES, window_start=due_minute)

    assert first[REFRESH_ENTRYPOINT] >= 1
    assert again[REFRESH_ENTRYPOINT] == 0
    queued = await session.scalar(
        text("SELECT count(*) FROM pgqueuer WHERE dedupe_key = :key"),
        {"key": workspace_dedupe_key(REFRESH_ENTRYPOINT, workspace.id)},
    )
    assert queued == 1


async def test_the_scheduler_tick_skips_workspaces_whose_phase_is_elsewhere(
    session: AsyncSession, cipher: SecretCipher, settings: Settings
) -> None:
    workspace = await make_workspace(session, cipher, name=f"ws-{uuid.uuid4().hex[:6]}")
    interval = settings.refresh_interval_seconds
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    minute = int(phase_seconds(workspace.id, interval) // 60)
    other_minute = epoch + timedelta(minutes=(minute + 5) % (interval // 60))

    await enqueue_due_workspace_jobs(session, settings, SCHEDULES, window_start=other_minute)

    queued = await session.scalar(
        text("SELECT count(*) FROM pgqueuer WHERE dedupe_key = :key"),
        {"key": workspace_dedupe_key(REFRESH_ENTRYPOINT, workspace.id)},
    )
    assert queued == 0
