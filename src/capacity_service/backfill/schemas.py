import uuid
from typing import Literal

from pydantic import Field

from capacity_service.kit.enums import Provider
from capacity_service.kit.schemas import ResponseSchema, Schema, UtcDatetime

RunStatus = Literal["queued", "running", "succeeded", "failed"]


class BackfillError(ResponseSchema):
    """Why one appointment (or a whole provider, when `appointmentId` is null) was not filled."""

    appointment_id: uuid.UUID | None = None
    provider: Provider | None = None
    message: str
    retryable: bool = Field(
        description="True: the row was left as it was and the next run asks again. "
        "False: the row is marked (attribution_lookup_error) and later runs skip it."
    )
    at_iso: str


class BackfillStart(Schema):
    retry_failed: bool = Field(
        default=False,
        description="Also ask again about rows a previous run marked as permanently failed "
        "(e.g. a 404 at the provider): their lookup error is cleared before the run.",
    )


class BackfillRequested(ResponseSchema):
    run_id: uuid.UUID
    status: RunStatus
    already_running: bool = Field(
        description="True when the workspace already had a queued or running backfill; "
        "its id is returned and no new run is made."
    )
    failed_rows_cleared: int = Field(
        default=0,
        description="Rows whose permanent lookup error was cleared for this run (retryFailed). "
        "Always 0 while a run is already running: ask again once it has ended.",
    )


class BackfillRunRead(ResponseSchema):
    id: uuid.UUID
    workspace_id: uuid.UUID
    status: RunStatus
    total: int = Field(description="Lookups this run set out to make (known once it starts).")
    ghl_updated: int
    calendly_updated: int
    error_count: int
    errors: list[BackfillError] = Field(description="The first errors, capped; see errorCount.")
    created_at: UtcDatetime
    started_at_iso: str | None
    finished_at_iso: str | None


class BackfillSummary(ResponseSchema):
    """What `backfill_appointment_attribution` returns (and the CLI prints)."""

    run_id: uuid.UUID | None
    status: RunStatus | Literal["already_running"]
    total: int
    ghl_updated: int
    calendly_updated: int
    error_count: int
    errors: list[BackfillError]
    failed_rows_cleared: int = 0
