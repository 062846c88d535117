import asyncio
import uuid
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.backfill import runner
from capacity_service.backfill.runner import backfill_appointment_attribution
from capacity_service.backfill.schemas import BackfillSummary
from capacity_service.backfill.tasks import run_backfill_job
from capacity_service.config import Settings
from capacity_service.jobs.context import JobContext, WorkerResources
from capacity_service.kit.enums import AppointmentStatus
from capacity_service.kit.secrets import SecretCipher
from capacity_service.models import Appointment, BackfillRun
from capacity_service.providers import ProviderClients
from capacity_service.providers.fake import FakeProviderServer, FakeProviderState
from tests.backfill.conftest import GHL_TOKEN, rows_of, seed

GHL_GET = r"^/calendars/events/appointments/"
CALENDLY_GET = r"^/scheduled_events/[^/]+$"


@pytest.fixture
def backfill(
    engine: AsyncEngine,
    db: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
) -> Any:
    return partial(
        backfill_appointment_attribution,
        engine=engine,
        sessionmaker=db,
        providers=providers,
        cipher=cipher,
        flush_seconds=0.05,
    )


async def run_row(db: async_sessionmaker[AsyncSession], run_id: uuid.UUID | None) -> BackfillRun:
    async with db() as session:
        run = await session.get(BackfillRun, run_id)
        assert run is not None
        return run


async def test_fills_attribution_of_both_providers_and_nothing_else(
    backfill: Any,
    db: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    cipher: SecretCipher,
) -> None:
    seeded = await seed(db, fake_state, cipher, ghl=5, calendly=4)
    canceled_id = next(iter(seeded.ghl_rows.values()))
    async with db() as session, session.begin():
        row = await session.get(Appointment, canceled_id)
        assert row is not None
        row.status = AppointmentStatus.CANCELED  # the local state wins; only attribution is set

    summary: BackfillSummary = await backfill(seeded.workspace_id)

    assert summary.status == "succeeded"
    assert (summary.ghl_updated, summary.calendly_updated, summary.error_count) == (5, 4, 0)
    assert summary.total == 9
    rows = await rows_of(db, seeded.workspace_id)
    for row_id in seeded.ghl_rows.values():
        assert rows[row_id].ghl_calendar_id == seeded.calendar_id
    for event_uri, row_id in seeded.calendly_rows.items():
        assert rows[row_id].calendly_event_type_uri == seeded.event_type_uri
        assert rows[row_id].calendly_scheduled_event_uri == event_uri
    assert rows[canceled_id].status is AppointmentStatus.CANCELED
    assert fake_state.request_count(GHL_GET, provider="ghl") == 5
    assert fake_state.request_count(CALENDLY_GET, provider="calendly") == 4
    run = await run_row(db, summary.run_id)
    assert run.started_at is not None
    assert run.finished_at is not None


async def test_rows_already_attributed_are_not_fetched(
    backfill: Any,
    db: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    cipher: SecretCipher,
) -> None:
    seeded = await seed(db, fake_state, cipher, ghl=3)
    await backfill(seeded.workspace_id)

    summary = await backfill(seeded.workspace_id)

    assert (summary.status, summary.total, summary.ghl_updated) == ("succeeded", 0, 0)
    assert fake_state.request_count(GHL_GET) == 3


async def test_not_found_and_server_error_rows_are_reported_while_the_rest_succeed(
    backfill: Any,
    db: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    cipher: SecretCipher,
) -> None:
    seeded = await seed(db, fake_state, cipher, ghl=4, calendly=3)
    gone_id, gone_row = next(iter(seeded.ghl_rows.items()))
    fake_state.delete_ghl_appointment(gone_id)
    broken_event, broken_row = next(iter(seeded.calendly_rows.items()))
    fake_state.fail(broken_event.rsplit("/", 1)[-1] + "$", status=500, times=None)

    summary: BackfillSummary = await backfill(seeded.workspace_id)

    assert summary.status == "succeeded"
    assert (summary.ghl_updated, summary.calendly_updated, summary.error_count) == (3, 2, 2)
    errors = {e.appointment_id: e for e in summary.errors}
    assert errors[gone_row].retryable is False
    assert "404" in errors[gone_row].message
    assert errors[broken_row].retryable is True
    assert "500" in errors[broken_row].message
    rows = await rows_of(db, seeded.workspace_id)
    assert rows[gone_row].attribution_lookup_error is not None
    assert rows[gone_row].attribution_lookup_failed_at is not None
    assert rows[broken_row].attribution_lookup_error is None

    # The next run asks again about the 5xx row only: the 404 is not retried forever.
    fake_state.clear_failures()
    before_ghl, before_calendly = (
        fake_state.request_count(GHL_GET),
        fake_state.request_count(CALENDLY_GET),
    )
    again = await backfill(seeded.workspace_id)
    assert (again.ghl_updated, again.calendly_updated, again.error_count) == (0, 1, 0)
    assert fake_state.request_count(GHL_GET) == before_ghl
    assert fake_state.request_count(CALENDLY_GET) == before_calendly + 1


async def test_rate_limited_provider_is_never_exceeded_and_the_run_completes(
    backfill: Any,
    db: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    cipher: SecretCipher,
) -> None:
    seeded = await seed(db, fake_state, cipher, ghl=12)
    fake_state.configure(rate_limit=4, rate_window_seconds=0.4)

    summary = await backfill(seeded.workspace_id, concurrency=8)

    assert (summary.status, summary.ghl_updated, summary.error_count) == ("succeeded", 12, 0)
    assert fake_state.rate_limited == 0
    assert fake_state.request_count(GHL_GET) == 12


async def test_rate_limit_responses_are_waited_out_and_never_count_as_errors(
    backfill: Any,
    db: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    fake_server: FakeProviderServer,
    cipher: SecretCipher,
) -> None:
    seeded = await seed(db, fake_state, cipher, ghl=4)
    fake_state.configure(rate_limit=2, rate_window_seconds=1.0)
    # Someone else on the same account spends the budget first: our first calls get 429s.
    async with httpx.AsyncClient(base_url=fake_server.ghl_base_url) as other:
        for _ in range(3):
            await other.get(
                "/calendars/", headers={"Authorization": f"Bearer {GHL_TOKEN}", "Version": "x"}
            )

    summary = await backfill(seeded.workspace_id, concurrency=4)

    assert fake_state.rate_limited > 1
    assert (summary.status, summary.ghl_updated, summary.error_count) == ("succeeded", 4, 0)


async def test_interrupted_run_started_again_fetches_only_what_is_left(
    backfill: Any,
    db: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    cipher: SecretCipher,
) -> None:
    seeded = await seed(db, fake_state, cipher, ghl=30)
    fake_state.configure(latency_ms=10)
    first = asyncio.create_task(backfill(seeded.workspace_id, concurrency=2, batch_size=5))
    while True:
        async with db() as session:
            done = await session.scalar(select(func.coalesce(func.max(BackfillRun.ghl_updated), 0)))
        if done >= 10:
            break
        await asyncio.sleep(0.01)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first

    async with db() as session:
        interrupted = (await session.scalars(select(BackfillRun))).one()
    assert interrupted.status == "failed"
    assert "stopped" in interrupted.errors[-1]["message"]
    left = sum(
        1 for r in (await rows_of(db, seeded.workspace_id)).values() if not r.ghl_calendar_id
    )
    assert 0 < left <= 20
    fetched_before = fake_state.request_count(GHL_GET)

    summary = await backfill(seeded.workspace_id, concurrency=2, batch_size=5)

    assert (summary.status, summary.total, summary.ghl_updated) == ("succeeded", left, left)
    assert fake_state.request_count(GHL_GET) - fetched_before == left
    rows = (await rows_of(db, seeded.workspace_id)).values()
    assert all(r.ghl_calendar_id == seeded.calendar_id for r in rows)


async def test_two_concurrent_runs_of_one_workspace_do_not_both_fetch(
    backfill: Any,
    db: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    cipher: SecretCipher,
) -> None:
    seeded = await seed(db, fake_state, cipher, ghl=10)
    fake_state.configure(latency_ms=30)

    first, second = await asyncio.gather(
        backfill(seeded.workspace_id, concurrency=2), backfill(seeded.workspace_id, concurrency=2)
    )

    assert fake_state.request_count(GHL_GET) == 10
    assert first.ghl_updated + second.ghl_updated == 10
    assert {first.status, second.status} == {"succeeded", "already_running"}
    assert first.run_id == second.run_id


async def test_the_same_run_delivered_twice_is_executed_once(
    backfill: Any,
    db: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    cipher: SecretCipher,
) -> None:
    seeded = await seed(db, fake_state, cipher, ghl=6)
    fake_state.configure(latency_ms=30)
    async with db() as session, session.begin():
        run = BackfillRun(workspace_id=seeded.workspace_id, status="queued", errors=[])
        session.add(run)
    summaries = await asyncio.gather(
        backfill(seeded.workspace_id, run_id=run.id),
        backfill(seeded.workspace_id, run_id=run.id),
    )
    await backfill(seeded.workspace_id, run_id=run.id)  # after it ended: nothing to do

    assert fake_state.request_count(GHL_GET) == 6
    assert sorted(s.status for s in summaries) == ["already_running", "succeeded"]
    assert (await run_row(db, run.id)).ghl_updated == 6


async def test_provider_without_credentials_is_skipped_with_an_error(
    backfill: Any,
    db: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    cipher: SecretCipher,
) -> None:
    seeded = await seed(db, fake_state, cipher, ghl=2, calendly=2, with_ghl=False)

    summary = await backfill(seeded.workspace_id)

    assert summary.status == "failed"
    assert (summary.ghl_updated, summary.calendly_updated, summary.error_count) == (0, 2, 1)
    assert summary.errors[0].appointment_id is None
    assert "HighLevel is not configured" in summary.errors[0].message
    assert fake_state.request_count(provider="ghl") == 0


async def test_refused_credentials_stop_that_provider_after_one_error(
    backfill: Any,
    db: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    cipher: SecretCipher,
) -> None:
    seeded = await seed(db, fake_state, cipher, ghl=6)
    fake_state.revoke_token(GHL_TOKEN)

    summary = await backfill(seeded.workspace_id, concurrency=1)

    assert (summary.status, summary.ghl_updated, summary.error_count) == ("failed", 0, 1)
    assert "credentials refused" in summary.errors[0].message
    assert fake_state.request_count(GHL_GET) == 1
    rows = (await rows_of(db, seeded.workspace_id)).values()
    assert all(r.attribution_lookup_error is None for r in rows)


async def test_stored_errors_are_capped_but_all_counted(
    backfill: Any,
    db: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    cipher: SecretCipher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "MAX_STORED_ERRORS", 2)
    seeded = await seed(db, fake_state, cipher, ghl=5)
    fake_state.fail(GHL_GET, status=404, times=None)

    summary = await backfill(seeded.workspace_id, batch_size=2)

    assert summary.error_count == 5
    assert len(summary.errors) == 2


async def test_job_handler_runs_the_queued_run(
    engine: AsyncEngine,
    db: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    fake_state: FakeProviderState,
    cipher: SecretCipher,
    settings: Settings,
) -> None:
    seeded = await seed(db, fake_state, cipher, ghl=2, calendly=1)
    async with db() as session, session.begin():
        run = BackfillRun(workspace_id=seeded.workspace_id, status="queued", errors=[])
        session.add(run)
    resources = WorkerResources(
        settings=settings, engine=engine, sessionmaker=db, providers=providers, cipher=cipher
    )

    await run_backfill_job(
        JobContext(resources=resources, job_id=1),
        {"runId": str(run.id), "workspaceId": str(seeded.workspace_id)},
    )

    done = await run_row(db, run.id)
    assert (done.status, done.ghl_updated, done.calendly_updated) == ("succeeded", 2, 1)
