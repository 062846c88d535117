"""Wire shapes of the availability endpoints."""

from __future__ import annotations

from pydantic import Field

from capacity_service.data_quality.schemas import DataQuality
from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.schemas import ResponseSchema


class RefreshAccepted(ResponseSchema):
    job_id: int = Field(description="The queue job that refreshes the workspace.")
    already_queued: bool = Field(
        description="A refresh of this workspace was already queued or running; its job id is "
        "returned instead of queueing another."
    )


class SourceAvailabilityRead(ResponseSchema):
    source: AvailabilitySource
    configured: bool
    provider: Provider | None = Field(description="Null when the source is not configured.")
    identifier: str | None = Field(
        description="The HighLevel calendar id or Calendly event type URI configured now."
    )
    slot_count: int = Field(description="Cached open slots starting inside the default window.")
    range_start_iso: str | None = Field(description="Start of the range the cache covers.")
    range_end_iso: str | None = Field(description="End of the range the cache covers.")
    fetched_at_iso: str | None = Field(
        description="Last successful fetch of the configured identifier; null if never."
    )
    is_stale: bool = Field(
        description="Never fetched, older than the staleness threshold, or the cached range ends "
        "before the default window does. False for an unconfigured source."
    )
    last_error: str | None = Field(description="The last failed fetch since the last success.")
    last_error_kind: str | None = Field(
        description="authentication, not_found, rate_limited, unavailable, bad_request, "
        "response, not_configured (no provider token) or credentials (token unreadable)."
    )
    last_error_at_iso: str | None
    consecutive_failures: int


class AvailabilityRead(ResponseSchema):
    workspace_id: str
    window_days: int
    window_start_iso: str
    window_end_iso: str
    sources: list[SourceAvailabilityRead]
    data_quality: DataQuality | None = Field(
        default=None,
        description="Whether the figures can be trusted: refresh, webhook, reconcile and "
        "backfill signals (as GET .../data-quality).",
    )
