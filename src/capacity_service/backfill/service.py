"""Rules of the backfill: starting a run, reading it, and what one provider answer means."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.backfill.lock import backfill_lock_is_free
from capacity_service.backfill.repository import (
    AttributionRepository,
    BackfillRunRepository,
    PendingRow,
)
from capacity_service.backfill.schemas import BackfillRunRead
from capacity_service.exceptions import NotFound
from capacity_service.jobs.queue import job_status
from capacity_service.kit.enums import Provider
from capacity_service.kit.time import iso_utc, iso_utc_or_none, utcnow
from capacity_service.models import BackfillRun
from capacity_service.providers import ProviderClients
from capacity_service.providers.calendly.client import event_uri_of_invitee
from capacity_service.providers.errors import (
    ProviderAuthError,
    ProviderBadRequestError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRateLimitedError,
)
from capacity_service.providers.types import CalendlyCredentials, GhlCredentials
from capacity_service.workspaces.repository import WorkspaceRepository

MAX_STORED_ERRORS = 100
"""The run row keeps the first errors only; `error_count` counts them all."""

_LIVE_JOB_STATUSES = frozenset({"queued", "picked"})

INTERRUPTED = "the run stopped before it finished (process ended); start a new run to continue"


@dataclass(frozen=True, slots=True)
class StartedRun:
    run: BackfillRun
    already_running: bool
    failed_rows_cleared: int = 0


async def request_backfill(
    session: AsyncSession, workspace_id: uuid.UUID, *, retry_failed: bool = False
) -> StartedRun:
    """A new queued run for the workspace, or the one already queued or running.

    A run left 'running' by a process that died holds no lock any more, and a run left 'queued'
    whose job has left the queue will never start: either is closed as failed and a new run
    takes its place, which continues where it stopped (filled rows are not selected again).

    `retry_failed` clears the permanent lookup errors of the rows still unattributed, so the
    run asks about them again. Only while the run is queued: a running run has chosen its rows
    already, and clearing under it would not be the retry that was asked for.
    """
    if await WorkspaceRepository(session).get(workspace_id) is None:
        raise NotFound(f"workspace {workspace_id} not found")
    started = await _settle_run(session, workspace_id)
    if retry_failed and started.run.status == "queued":
        cleared = await AttributionRepository(session).clear_lookup_errors(workspace_id)
        return StartedRun(started.run, started.already_running, failed_rows_cleared=cleared)
    return started


async def _settle_run(session: AsyncSession, workspace_id: uuid.UUID) -> StartedRun:
    runs = BackfillRunRepository(session)
    for _ in range(5):
        run_id = await runs.insert_queued(workspace_id)
        if run_id is not None:
            run = await runs.get(run_id)
            assert run is not None
            return StartedRun(run, already_running=False)
        active = await runs.get_active(workspace_id)
        if active is None:
            continue  # it finished between our insert and our read: try again
        reason = await _abandoned(session, active)
        if reason is not None:
            await runs.add_progress(
                active.id,
                ghl_updated=0,
                calendly_updated=0,
                error_count=1,
                new_errors=[run_error(None, None, reason, retryable=True)],
            )
            await runs.finish(active.id, status="failed", now=utcnow())
            continue
        return StartedRun(active, already_running=True)
    raise RuntimeError("could not settle the workspace's active backfill run")


async def _abandoned(session: AsyncSession, run: BackfillRun) -> str | None:
    """Why nothing will ever run or finish `run`, or None while something still may.

    Running: its process holds the workspace lock until it ends. Queued: its job is still in the
    queue (queued, or picked by a worker). A queued run whose job failed before marking it
    running, or was deleted, would otherwise be returned as `alreadyRunning` forever. A queued
    run without a job was made by the foreground command, which runs it itself; the lock is
    asked last, so a run being taken over by the foreground command is never closed.
    """
    if run.status == "running":
        if await backfill_lock_is_free(session, run.workspace_id):
            return INTERRUPTED
        return None
    if run.job_id is None:
        return None
    job = await job_status(session, run.job_id)
    if job in _LIVE_JOB_STATUSES or not await backfill_lock_is_free(session, run.workspace_id):
        return None
    return (
        f"job lost: queue job {run.job_id} is {job or 'gone'} and the run never started; "
        "a new run replaces it"
    )


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> BackfillRun:
    run = await BackfillRunRepository(session).get(run_id)
    if run is None:
        raise NotFound(f"backfill run {run_id} not found")
    return run


def run_read(run: BackfillRun) -> BackfillRunRead:
    return BackfillRunRead(
        id=run.id,
        workspace_id=run.workspace_id,
        status=run.status,
        total=run.total,
        ghl_updated=run.ghl_updated,
        calendly_updated=run.calendly_updated,
        error_count=run.error_count,
        errors=run.errors,
        created_at=run.created_at,
        started_at_iso=iso_utc_or_none(run.started_at),
        finished_at_iso=iso_utc_or_none(run.finished_at),
    )


def run_error(
    appointment_id: uuid.UUID | None,
    provider: Provider | None,
    message: str,
    *,
    retryable: bool,
) -> dict[str, Any]:
    """One entry of the run's error list, stored as the JSON the API returns."""
    return {
        "appointmentId": str(appointment_id) if appointment_id else None,
        "provider": provider.value if provider else None,
        "message": message,
        "retryable": retryable,
        "atIso": iso_utc(utcnow()),
    }


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the provider said about one row.

    Exactly one of `attribution` and `error` is set. A `permanent` error is recorded on the row
    (a later run skips it); any other error leaves the row for the next run.
    """

    row: PendingRow
    attribution: str | None = None
    event_uri: str | None = None
    error: str | None = None
    permanent: bool = False


Credentials = GhlCredentials | CalendlyCredentials


async def look_up_attribution(
    providers: ProviderClients, credentials: Credentials, row: PendingRow
) -> Lookup:
    """Ask the provider once for the row's calendar / event type.

    429s are retried inside the client (paced by the account's limiter) and, past its time
    bound, raised as ProviderRateLimitedError for the caller to wait and ask again: a rate
    limit never loses a row. 404 and other refusals are permanent; 5xx, timeouts and unusable
    bodies are not. Credential failures (401/403) propagate: they concern every row.
    """
    try:
        if row.provider is Provider.GHL:
            assert isinstance(credentials, GhlCredentials)
            assert row.ghl_appointment_id is not None
            appointment = await providers.ghl.get_appointment(credentials, row.ghl_appointment_id)
            attribution, event_uri = appointment.attribution, None
        else:
            assert isinstance(credentials, CalendlyCredentials)
            event_uri = row.calendly_scheduled_event_uri or event_uri_of_invitee(
                row.calendly_invitee_uri or ""
            )
            event = await providers.calendly.get_scheduled_event(credentials, event_uri)
            attribution = event.event_type_uri
    except (ProviderRateLimitedError, ProviderAuthError):
        raise
    except (ProviderNotFoundError, ProviderBadRequestError) as exc:
        return Lookup(row, error=str(exc), permanent=True)
    except ProviderError as exc:
        return Lookup(row, error=str(exc))
    except ValueError as exc:  # a stored identifier the provider could never resolve
        return Lookup(row, error=f"{row.provider.value}: {exc}", permanent=True)
    if attribution is None:
        what = "calendar" if row.provider is Provider.GHL else "event type"
        return Lookup(
            row, error=f"{row.provider.value}: the provider names no {what}", permanent=True
        )
    return Lookup(row, attribution=attribution, event_uri=event_uri)
