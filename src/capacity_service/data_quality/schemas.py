"""Wire shapes of the data-quality signals."""

from __future__ import annotations

import uuid

from pydantic import Field

from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.schemas import Page, ResponseSchema


class SourceQuality(ResponseSchema):
    """One availability source: is it configured, and did its last refresh work?"""

    source: AvailabilitySource
    configured: bool = Field(description="Whether an identifier is configured for the source.")
    provider: Provider | None
    identifier: str | None
    credentials_set: bool = Field(
        description="Whether the workspace holds a token for the source's provider."
    )
    last_successful_refresh_iso: str | None = Field(
        description="Last successful fetch of the configured identifier; null if never."
    )
    last_error: str | None = Field(description="The last refresh failure since the last success.")
    last_error_kind: str | None = Field(
        description="authentication, not_found, rate_limited, unavailable (provider down), "
        "bad_request, response, not_configured (no token) or credentials (token unreadable)."
    )
    last_error_at_iso: str | None
    consecutive_failures: int


class ProviderQuality(ResponseSchema):
    """One provider of the workspace: when did we last hear from it and read from it?"""

    provider: Provider
    credentials_set: bool
    last_webhook_received_iso: str | None = Field(
        description="When the last webhook of this provider for the workspace was received."
    )
    last_reconcile_iso: str | None = Field(
        description="When appointments were last read back from this provider (whole workspace)."
    )
    last_reconcile_errors: int | None = Field(
        description="Appointments the last reconcile could not write."
    )


class DataQuality(ResponseSchema):
    """Whether the workspace's % booked can be trusted, and the signals behind the answer."""

    workspace_id: uuid.UUID
    trustworthy: bool = Field(
        description="At least one source configured, and every configured source fetched with "
        "its last refresh successful."
    )
    issues: list[str] = Field(description="What makes the figures doubtful, for a person.")
    sources: list[SourceQuality]
    providers: list[ProviderQuality]
    last_backfill_iso: str | None = Field(description="When an attribution backfill last ended.")
    last_backfill_status: str | None = Field(
        description="Status of the latest backfill run: queued, running, succeeded or failed."
    )
    open_alerts: int = Field(description="Alerts of the workspace open now.")
    last_alert_evaluation_iso: str | None


class DataQualityRow(DataQuality):
    workspace_name: str


class DataQualityOverview(Page[DataQualityRow]):
    """Every workspace, least trustworthy first."""

    untrustworthy_count: int = Field(description="Workspaces with doubtful figures, all pages.")
