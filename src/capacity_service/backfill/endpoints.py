import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Response, status

from capacity_service.auth import AdminDep
from capacity_service.backfill import service
from capacity_service.backfill.schemas import BackfillRequested, BackfillRunRead, BackfillStart
from capacity_service.backfill.tasks import enqueue_backfill
from capacity_service.db import SessionDep
from capacity_service.exceptions import Forbidden, NotFound, Unauthorized, error_responses

router = APIRouter(
    prefix="/v1/admin",
    tags=["admin: backfill"],
    dependencies=[AdminDep],
    responses=error_responses(Unauthorized, Forbidden, NotFound),
)


@router.post(
    "/workspaces/{workspace_id}/backfill",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start the attribution backfill of a workspace",
)
async def start_backfill(
    workspace_id: uuid.UUID,
    session: SessionDep,
    response: Response,
    body: Annotated[BackfillStart | None, Body()] = None,
) -> BackfillRequested:
    """Queue a run that fills missing calendar / event type attribution from the providers.

    At most one run per workspace is queued or running: while one is, its id is returned
    (`alreadyRunning: true`). Follow it with `GET /v1/admin/backfill-runs/{runId}`. Rows a
    previous run marked as permanently failed are skipped unless the body says
    `{"retryFailed": true}`.
    """
    retry_failed = body.retry_failed if body is not None else False
    started = await service.request_backfill(session, workspace_id, retry_failed=retry_failed)
    run = started.run
    if not started.already_running:
        run.job_id = await enqueue_backfill(session, run.id, workspace_id)
        await session.flush()
    response.headers["Location"] = f"/v1/admin/backfill-runs/{run.id}"
    return BackfillRequested(
        run_id=run.id,
        status=run.status,
        already_running=started.already_running,
        failed_rows_cleared=started.failed_rows_cleared,
    )


@router.get("/backfill-runs/{run_id}", summary="Progress and outcome of a backfill run")
async def get_backfill_run(run_id: uuid.UUID, session: SessionDep) -> BackfillRunRead:
    return service.run_read(await service.get_run(session, run_id))
