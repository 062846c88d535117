import uuid

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.backfill.tasks import ENTRYPOINT
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import BackfillRun
from tests.factories import make_api_key, make_workspace


async def test_start_returns_202_with_a_run_id_and_queues_a_job(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)

    response = await client.post(
        f"/v1/admin/workspaces/{workspace.id}/backfill", headers=admin_headers
    )

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert body["alreadyRunning"] is False
    run_id = uuid.UUID(body["runId"])
    assert response.headers["location"] == f"/v1/admin/backfill-runs/{run_id}"
    run = await session.get(BackfillRun, run_id)
    assert run is not None
    job = (
        await session.execute(
            text("SELECT entrypoint, payload FROM pgqueuer WHERE id = :id"), {"id": run.job_id}
        )
    ).one()
    assert job.entrypoint == ENTRYPOINT
    assert str(run_id).encode() in bytes(job.payload)


async def test_a_second_request_while_one_is_active_returns_that_run(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    url = f"/v1/admin/workspaces/{workspace.id}/backfill"

    first = (await client.post(url, headers=admin_headers)).json()
    second = await client.post(url, headers=admin_headers)

    assert second.status_code == 202
    assert second.json()["runId"] == first["runId"]
    assert second.json()["alreadyRunning"] is True
    runs = (await session.scalars(select(BackfillRun))).all()
    assert [r.id for r in runs if r.workspace_id == workspace.id] == [uuid.UUID(first["runId"])]


async def test_a_run_left_running_by_a_dead_process_is_closed_and_replaced(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    orphan = BackfillRun(
        workspace_id=workspace.id, status="running", started_at=utcnow(), errors=[]
    )
    session.add(orphan)
    await session.flush()

    response = await client.post(
        f"/v1/admin/workspaces/{workspace.id}/backfill", headers=admin_headers
    )

    assert response.json()["alreadyRunning"] is False
    assert response.json()["runId"] != str(orphan.id)
    await session.refresh(orphan)
    assert orphan.status == "failed"
    assert orphan.finished_at is not None
    assert "stopped before it finished" in orphan.errors[-1]["message"]


async def test_run_reports_status_counts_capped_errors_and_iso_timestamps(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    error = {
        "appointmentId": str(uuid.uuid4()),
        "provider": "ghl",
        "message": "ghl: GET /calendars/events/appointments/x failed (HTTP 404)",
        "retryable": False,
        "atIso": "2026-01-02T03:04:05.000Z",
    }
    run = BackfillRun(
        workspace_id=workspace.id,
        status="running",
        total=10,
        ghl_updated=4,
        calendly_updated=2,
        error_count=150,
        errors=[error],
        started_at=utcnow(),
    )
    session.add(run)
    await session.flush()

    response = await client.get(f"/v1/admin/backfill-runs/{run.id}", headers=admin_headers)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "running"
    assert (body["total"], body["ghlUpdated"], body["calendlyUpdated"]) == (10, 4, 2)
    assert body["errorCount"] == 150
    assert body["errors"] == [error]
    assert body["startedAtIso"].endswith("Z")
    assert body["finishedAtIso"] is None
    assert body["createdAt"].endswith("Z")


async def test_unknown_workspace_and_unknown_run_are_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    missing = uuid.uuid4()
    start = await client.post(f"/v1/admin/workspaces/{missing}/backfill", headers=admin_headers)
    read = await client.get(f"/v1/admin/backfill-runs/{missing}", headers=admin_headers)

    assert (start.status_code, start.json()["error"]) == (404, "not_found")
    assert (read.status_code, read.json()["error"]) == (404, "not_found")


async def test_backfill_needs_the_admin_token(
    client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await make_workspace(session)
    key = await make_api_key(session, workspace)
    url = f"/v1/admin/workspaces/{workspace.id}/backfill"

    assert (await client.post(url)).status_code == 401
    assert (await client.post(url, headers={"Authorization": f"Bearer {key}"})).status_code == 403
