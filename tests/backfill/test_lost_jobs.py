"""An active run that nothing will ever finish must not block the next backfill request."""

import uuid
from typing import Any

import httpx
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity_service.backfill.lock import workspace_backfill_lock
from capacity_service.kit.time import utcnow
from capacity_service.models import BackfillRun
from tests.factories import make_workspace


async def _start(
    client: httpx.AsyncClient, headers: dict[str, str], workspace_id: uuid.UUID
) -> dict[str, Any]:
    response = await client.post(f"/v1/admin/workspaces/{workspace_id}/backfill", headers=headers)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def _run(session: AsyncSession, run_id: str) -> BackfillRun:
    run = await session.get(BackfillRun, uuid.UUID(run_id), populate_existing=True)
    assert run is not None
    return run


async def _job_leaves_queue(session: AsyncSession, job_id: int, *, logged: str | None) -> None:
    """As pgqueuer does when a job ends (`logged` outcome) or is deleted (`None`)."""
    await session.execute(text("DELETE FROM pgqueuer WHERE id = :id"), {"id": job_id})
    if logged is not None:
        await session.execute(
            text(
                "INSERT INTO pgqueuer_log (job_id, status, priority, entrypoint) "
                "VALUES (:id, CAST(:status AS pgqueuer_status), 0, 'backfill.run')"
            ),
            {"id": job_id, "status": logged},
        )


async def test_a_queued_run_whose_job_failed_is_closed_as_job_lost_and_replaced(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    stuck = await _start(client, admin_headers, workspace.id)
    stuck_run = await _run(session, stuck["runId"])
    assert stuck_run.job_id is not None
    await _job_leaves_queue(session, stuck_run.job_id, logged="exception")

    again = await _start(client, admin_headers, workspace.id)

    assert again["alreadyRunning"] is False
    assert again["status"] == "queued"
    assert again["runId"] != stuck["runId"]
    closed = await _run(session, stuck["runId"])
    assert closed.status == "failed"
    assert closed.finished_at is not None
    assert closed.errors[-1]["message"].startswith("job lost")
    assert "exception" in closed.errors[-1]["message"]
    replacement = await _run(session, again["runId"])
    assert replacement.job_id is not None
    assert replacement.job_id != stuck_run.job_id


async def test_a_queued_run_whose_job_was_deleted_is_closed_and_replaced(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    stuck = await _start(client, admin_headers, workspace.id)
    job_id = (await _run(session, stuck["runId"])).job_id
    assert job_id is not None
    await _job_leaves_queue(session, job_id, logged=None)

    again = await _start(client, admin_headers, workspace.id)

    assert again["alreadyRunning"] is False
    closed = await _run(session, stuck["runId"])
    assert closed.status == "failed"
    assert "gone" in closed.errors[-1]["message"]


async def test_a_queued_run_whose_job_a_worker_has_picked_is_still_running(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    first = await _start(client, admin_headers, workspace.id)
    job_id = (await _run(session, first["runId"])).job_id
    await session.execute(
        text("UPDATE pgqueuer SET status = 'picked' WHERE id = :id"), {"id": job_id}
    )

    again = await _start(client, admin_headers, workspace.id)

    assert again["alreadyRunning"] is True
    assert again["runId"] == first["runId"]
    assert (await _run(session, first["runId"])).status == "queued"


async def test_a_queued_run_without_its_job_is_kept_while_a_process_holds_the_lock(
    client: httpx.AsyncClient,
    session: AsyncSession,
    engine: AsyncEngine,
    admin_headers: dict[str, str],
) -> None:
    """The foreground command takes a queued run over: it holds the lock before marking it
    running, and its run must not be closed under it."""
    workspace = await make_workspace(session)
    first = await _start(client, admin_headers, workspace.id)
    job_id = (await _run(session, first["runId"])).job_id
    assert job_id is not None
    await _job_leaves_queue(session, job_id, logged="successful")

    async with workspace_backfill_lock(engine, workspace.id) as held:
        assert held
        again = await _start(client, admin_headers, workspace.id)

    assert again["alreadyRunning"] is True
    assert again["runId"] == first["runId"]
    assert (await _run(session, first["runId"])).status == "queued"


async def test_a_running_run_whose_process_holds_the_lock_is_returned_as_running(
    client: httpx.AsyncClient,
    session: AsyncSession,
    engine: AsyncEngine,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(session)
    first = await _start(client, admin_headers, workspace.id)
    job_id = (await _run(session, first["runId"])).job_id
    assert job_id is not None
    # The worker took the job and marked the run running; pgqueuer may already show it done.
    await _job_leaves_queue(session, job_id, logged="successful")
    await session.execute(
        update(BackfillRun)
        .where(BackfillRun.id == uuid.UUID(first["runId"]))
        .values(status="running", started_at=utcnow())
    )

    async with workspace_backfill_lock(engine, workspace.id) as held:
        assert held
        again = await _start(client, admin_headers, workspace.id)

    assert again["alreadyRunning"] is True
    assert again["runId"] == first["runId"]


async def test_a_running_run_without_a_lock_holder_is_still_closed_as_interrupted(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    first = await _start(client, admin_headers, workspace.id)
    await session.execute(
        update(BackfillRun)
        .where(BackfillRun.id == uuid.UUID(first["runId"]))
        .values(status="running", started_at=utcnow())
    )

    again = await _start(client, admin_headers, workspace.id)

    assert again["alreadyRunning"] is False
    closed = await _run(session, first["runId"])
    assert closed.status == "failed"
    assert "stopped before it finished" in closed.errors[-1]["message"]
