"""Rules of the availability cache: what a refresh fetches and stores, and what a reader sees.

A refresh is three steps so that no database transaction stays open while providers answer:
`plan_refresh` reads the workspace, `fetch_sources` calls the providers, `apply_refresh` writes
every source in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.availability.repository import (
    AvailabilityCacheRepository,
    CachedWindow,
)
from capacity_service.config import Settings
from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.secrets import SecretCipher, SecretDecryptionError
from capacity_service.kit.time import to_utc, utcnow
from capacity_service.models import Workspace
from capacity_service.providers import ProviderClients
from capacity_service.providers.errors import (
    ProviderAuthError,
    ProviderBadRequestError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRateLimitedError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from capacity_service.providers.types import CalendlyEventType, GhlCalendar
from capacity_service.workspaces.credentials import (
    MissingCredentials,
    calendly_credentials,
    ghl_credentials,
)
from capacity_service.workspaces.repository import WorkspaceRepository
from capacity_service.workspaces.sources import SourceConfig, configured_sources

MAX_WINDOW_DAYS = 90
"""The longest window the metric accepts; the cache covers it plus the margin."""

logger = logging.getLogger(__name__)

_ERROR_KINDS: tuple[tuple[type[ProviderError], str], ...] = (
    (ProviderAuthError, "authentication"),
    (ProviderNotFoundError, "not_found"),
    (ProviderRateLimitedError, "rate_limited"),
    (ProviderUnavailableError, "unavailable"),
    (ProviderBadRequestError, "bad_request"),
    (ProviderResponseError, "response"),
)


def error_kind(exc: ProviderError) -> str:
    for cls, kind in _ERROR_KINDS:
        if isinstance(exc, cls):
            return kind
    return "provider"


@dataclass(frozen=True, slots=True)
class RefreshPlan:
    workspace: Workspace
    sources: list[SourceConfig]
    unconfigured: list[AvailabilitySource]


@dataclass(frozen=True, slots=True)
class SourceFetch:
    """The outcome of fetching one source: slots, or an error kind and a message."""

    config: SourceConfig
    slots: list[datetime] | None
    error_kind: str | None = None
    error: str | None = None
    seats: list[int] | None = None
    """Seats left per slot, parallel to `slots`, where the provider reports them (Calendly)."""
    slot_duration_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class FetchRound:
    attempted_at: datetime
    range_end_at: datetime
    results: list[SourceFetch]


@dataclass(frozen=True, slots=True)
class SourceRefreshResult:
    source: AvailabilitySource
    provider: Provider
    identifier: str
    slot_count: int | None
    error_kind: str | None
    error: str | None
    stored: bool


@dataclass(frozen=True, slots=True)
class RefreshResult:
    workspace_id: uuid.UUID
    sources: list[SourceRefreshResult]
    removed: list[AvailabilitySource]


async def plan_refresh(session: AsyncSession, workspace_id: uuid.UUID) -> RefreshPlan | None:
    """What to fetch for a workspace; None when the workspace no longer exists."""
    workspace = await WorkspaceRepository(session).get(workspace_id)
    if workspace is None:
        return None
    configured = configured_sources(workspace)
    return RefreshPlan(
        workspace=workspace,
        sources=[c for c in configured.values() if c is not None],
        unconfigured=[s for s, c in configured.items() if c is None],
    )


def refresh_range(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    return now, now + timedelta(days=MAX_WINDOW_DAYS + settings.availability_margin_days)


async def fetch_source(
    providers: ProviderClients,
    cipher: SecretCipher,
    workspace: Workspace,
    config: SourceConfig,
    start: datetime,
    end: datetime,
) -> SourceFetch:
    """Open slot starts of one source in `[start, end)`: sorted, distinct, aware UTC; with the
    seats of each slot and the slot length where the provider tells them."""
    seats: list[int] | None = None
    try:
        if config.provider is Provider.GHL:
            creds = ghl_credentials(workspace, cipher)
            slots, duration = await asyncio.gather(
                providers.ghl.get_free_slots(
                    creds,
                    config.identifier,
                    start,
                    end,
                    timezone=workspace.timezone or "UTC",
                ),
                _slot_duration(providers.ghl.get_calendar(creds, config.identifier)),
            )
            slots = normalise_slots(slots)
        else:
            calendly = calendly_credentials(workspace, cipher)
            open_slots, duration = await asyncio.gather(
                providers.calendly.get_open_slots(calendly, config.identifier, start, end),
                _slot_duration(providers.calendly.get_event_type(calendly, config.identifier)),
            )
            by_start = {to_utc(s.start_at): s.seats for s in open_slots}
            slots = sorted(by_start)
            if any(n is not None and n != 1 for n in by_start.values()):
                seats = [by_start[t] or 1 for t in slots]
    except ProviderError as exc:
        return SourceFetch(config, None, error_kind(exc), str(exc))
    except MissingCredentials as exc:
        return SourceFetch(config, None, "not_configured", exc.detail)
    except SecretDecryptionError as exc:
        return SourceFetch(config, None, "credentials", str(exc))
    return SourceFetch(config, slots, seats=seats, slot_duration_minutes=duration)


async def _slot_duration(lookup: Awaitable[GhlCalendar | CalendlyEventType]) -> int | None:
    """The slot length in minutes; None when the provider does not say or the lookup fails,
    which must not fail the refresh of the slots themselves."""
    try:
        found = await lookup
    except ProviderError as exc:
        logger.info("slot length lookup failed: %s", exc)
        return None
    if isinstance(found, GhlCalendar):
        return found.slot_duration_minutes
    return found.duration_minutes


def normalise_slots(slots: list[datetime]) -> list[datetime]:
    return sorted({to_utc(s) for s in slots})


async def fetch_sources(
    plan: RefreshPlan,
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> FetchRound:
    """Fetch every configured source concurrently; failures are results, not exceptions."""
    start, end = refresh_range(settings, now or utcnow())
    results = await asyncio.gather(
        *(fetch_source(providers, cipher, plan.workspace, c, start, end) for c in plan.sources)
    )
    return FetchRound(attempted_at=start, range_end_at=end, results=list(results))


async def apply_refresh(
    session: AsyncSession, plan: RefreshPlan, fetched: FetchRound
) -> RefreshResult:
    """Store each source's new slots or its error, and forget sources no longer configured."""
    repository = AvailabilityCacheRepository(session)
    workspace_id = plan.workspace.id
    outcomes: list[SourceRefreshResult] = []
    for result in fetched.results:
        config = result.config
        if result.slots is not None:
            stored = await repository.store_success(
                workspace_id,
                config,
                result.slots,
                range_start_at=fetched.attempted_at,
                range_end_at=fetched.range_end_at,
                attempted_at=fetched.attempted_at,
                seats=result.seats,
                slot_duration_minutes=result.slot_duration_minutes,
            )
        else:
            stored = await repository.store_failure(
                workspace_id,
                config,
                kind=result.error_kind or "provider",
                message=result.error or "unknown error",
                attempted_at=fetched.attempted_at,
            )
            logger.warning(
                "availability refresh failed: workspace=%s source=%s kind=%s: %s",
                workspace_id,
                config.source.value,
                result.error_kind,
                result.error,
            )
        outcomes.append(
            SourceRefreshResult(
                source=config.source,
                provider=config.provider,
                identifier=config.identifier,
                slot_count=None if result.slots is None else len(result.slots),
                error_kind=result.error_kind,
                error=result.error,
                stored=stored,
            )
        )
    await repository.delete_sources(workspace_id, plan.unconfigured)
    await session.flush()
    return RefreshResult(workspace_id=workspace_id, sources=outcomes, removed=plan.unconfigured)


# ---- reading ---------------------------------------------------------------------------------


def is_stale(
    fetched_at: datetime | None,
    range_end_at: datetime | None,
    *,
    now: datetime,
    window_end: datetime,
    staleness_threshold: timedelta,
) -> bool:
    """Never fetched (for the configured identifier), fetched longer ago than the threshold, or
    covering less than the window. The one staleness rule of every reader of the cache (the
    admin capacity list states the same rule in SQL)."""
    return (
        fetched_at is None
        or fetched_at < now - staleness_threshold
        or range_end_at is None
        or range_end_at < window_end
    )


def _source_is_stale(
    cached: CachedWindow | None, now: datetime, window_end: datetime, threshold: timedelta
) -> bool:
    meta = cached.meta if cached is not None else None
    return is_stale(
        meta.fetched_at if meta is not None else None,
        meta.range_end_at if meta is not None else None,
        now=now,
        window_end=window_end,
        staleness_threshold=threshold,
    )


@dataclass(frozen=True, slots=True)
class SourceAvailability:
    source: AvailabilitySource
    config: SourceConfig | None
    cached: CachedWindow | None
    is_stale: bool


@dataclass(frozen=True, slots=True)
class AvailabilityOverview:
    window_start: datetime
    window_end: datetime
    sources: list[SourceAvailability]


async def availability_overview(
    session: AsyncSession, workspace: Workspace, settings: Settings, *, now: datetime | None = None
) -> AvailabilityOverview:
    """Each source's cache state and slot count over the default window."""
    start = now or utcnow()
    end = start + timedelta(days=settings.default_window_days)
    configured = configured_sources(workspace)
    cached = await AvailabilityCacheRepository(session).read_window(
        workspace.id, [c for c in configured.values() if c is not None], start, end
    )
    threshold = timedelta(minutes=settings.staleness_threshold_minutes)
    return AvailabilityOverview(
        window_start=start,
        window_end=end,
        sources=[
            SourceAvailability(
                source=source,
                config=config,
                cached=cached.get(source),
                is_stale=config is not None
                and _source_is_stale(cached.get(source), start, end, threshold),
            )
            for source, config in configured.items()
        ],
    )
