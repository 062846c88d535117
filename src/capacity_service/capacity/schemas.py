"""Wire shapes of the % booked metric, per workspace and across workspaces."""

import datetime as dt
import uuid

from pydantic import Field

from capacity_service.data_quality.schemas import DataQuality
from capacity_service.kit.enums import Provider
from capacity_service.kit.schemas import Page, ResponseSchema


class CacheMeta(ResponseSchema):
    """How trustworthy the availability behind a figure is."""

    fetched_at_iso: str | None = Field(
        description="When the slots were fetched (for combined: the oldest source); null if never."
    )
    is_stale: bool = Field(
        description="Never fetched, older than the staleness threshold, or the cached range ends "
        "before the window ends."
    )
    last_error: str | None = Field(description="The last refresh error, if the refresh failed.")
    configured: bool = Field(
        description="Whether an identifier is configured for the source (combined: for any)."
    )
    last_success_at_iso: str | None = Field(
        description="Last successful refresh of the configured identifier (combined: the oldest "
        "of the configured sources, null while one has never succeeded); null if never."
    )
    last_error_kind: str | None = Field(
        description="Kind of lastError: authentication, not_found, rate_limited, unavailable "
        "(provider down), bad_request, response, not_configured (no provider token) or "
        "credentials (token unreadable). Combined: of the same source as lastError."
    )
    last_error_at_iso: str | None = Field(
        description="When lastError happened (combined: of the same source as lastError)."
    )
    consecutive_failures: int = Field(
        description="Failed refreshes since the last success (combined: the most of any source)."
    )


class SlotFigures(ResponseSchema):
    booked_pct: float | None = Field(
        description="100 * booked / (booked + available), one decimal (half up); null when 0/0.",
        examples=[62.5],
    )
    booked_slots: int = Field(description="CONFIRMED appointments starting in the window.")
    available_slots: int = Field(description="Cached open slots starting in the window.")
    total_slots: int = Field(description="booked + available.")


class SourceCapacity(SlotFigures):
    """One availability source; provider and identifier are null when it is not configured."""

    provider: Provider | None
    identifier: str | None
    cache_meta: CacheMeta


class CapacityBreakdown(ResponseSchema):
    default: SourceCapacity = Field(alias="DEFAULT")
    direct_book: SourceCapacity = Field(alias="DIRECT_BOOK")


class DailyCapacity(ResponseSchema):
    """One calendar day in the workspace's time zone (first and last day cut to the window)."""

    date: dt.date = Field(description="Local calendar date, YYYY-MM-DD.")
    booked_slots: int
    available_slots: int


class Capacity(SlotFigures):
    """% booked of the window, combined over the configured sources (an identifier once)."""

    breakdown: CapacityBreakdown
    unattributed_booked_slots: int = Field(
        description="CONFIRMED appointments in the window whose calendar or event type matches no "
        "configured source (or is unknown); shown, never part of the percentage."
    )
    cache_meta: CacheMeta
    window_start_iso: str
    window_end_iso: str
    window_days: int
    timezone: str = Field(description="IANA zone the daily series is cut in.")
    daily: list[DailyCapacity]


class WorkspaceCapacityRow(SlotFigures):
    """One client in the operator's capacity list."""

    workspace_id: uuid.UUID
    workspace_name: str
    constrained: bool = Field(description="bookedPct at or over the threshold.")
    unattributed_booked_slots: int
    cache_meta: CacheMeta
    breakdown: CapacityBreakdown
    data_quality: DataQuality | None = Field(
        default=None, description="Refresh, webhook, reconcile and backfill signals."
    )


class CapacityOverview(Page[WorkspaceCapacityRow]):
    """Every workspace, most constrained first (null percentages last)."""

    window_start_iso: str
    window_end_iso: str
    window_days: int
    threshold_pct: float
    constrained_count: int = Field(description="Workspaces at or over the threshold, all pages.")
