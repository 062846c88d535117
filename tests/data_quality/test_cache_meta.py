"""The per-source refresh signals in every `cacheMeta`: per source and combined, in analytics
and on the operator's capacity list."""

from datetime import timedelta
from typing import Any

import httpx
import respx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.availability.tasks import refresh_workspace
from capacity_service.capacity.service import compute_capacity
from capacity_service.config import Settings
from capacity_service.kit.enums import AvailabilitySource
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import iso_utc, utcnow
from capacity_service.providers import ProviderClients
from tests.alerts.conftest import cache_failure, cache_slots, ghl_source
from tests.bookings.stubs import GHL_BASE
from tests.factories import make_workspace

DIRECT = AvailabilitySource.DIRECT_BOOK


async def overview_row(
    client: httpx.AsyncClient, headers: dict[str, str], workspace_id: object
) -> dict[str, Any]:
    response = await client.get("/v1/admin/capacity", params={"limit": 500}, headers=headers)
    assert response.status_code == 200
    return next(r for r in response.json()["items"] if r["workspaceId"] == str(workspace_id))


async def test_a_401_on_refresh_shows_as_an_authentication_error_in_every_cache_meta(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(
        session,
        cipher,
        ghl_access_token="token-refused",
        ghl_location_id=f"loc-cache-meta-{utcnow().timestamp()}",
        ghl_default_calendar_id="cal-refused",
    )
    with respx.mock(base_url=GHL_BASE, assert_all_called=False) as ghl:
        ghl.route().respond(401, json={"message": "Invalid JWT"})
        await refresh_workspace(sessionmaker, providers, cipher, settings, workspace.id)

    analytics = await client.get(f"/v1/workspaces/{workspace.id}/analytics", headers=admin_headers)
    row = await overview_row(client, admin_headers, workspace.id)

    assert analytics.status_code == 200
    capacity = analytics.json()["capacity"]
    for meta in (
        capacity["cacheMeta"],
        capacity["breakdown"]["DEFAULT"]["cacheMeta"],
        row["cacheMeta"],
        row["breakdown"]["DEFAULT"]["cacheMeta"],
    ):
        assert meta["configured"] is True
        assert meta["lastErrorKind"] == "authentication"
        assert meta["lastErrorAtIso"] is not None
        assert meta["consecutiveFailures"] == 1
        assert meta["lastSuccessAtIso"] is None
        assert "token-refused" not in meta["lastError"]
    for meta in (
        capacity["breakdown"]["DIRECT_BOOK"]["cacheMeta"],
        row["breakdown"]["DIRECT_BOOK"]["cacheMeta"],
    ):
        assert meta["configured"] is False
        assert meta["lastErrorKind"] is None
        assert meta["consecutiveFailures"] == 0


async def test_combined_cache_meta_keeps_the_oldest_success_and_the_worst_failure_streak(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(
        session,
        cipher,
        ghl_default_calendar_id="cal-default",
        ghl_direct_book_calendar_id="cal-direct",
    )
    now = utcnow().replace(microsecond=0)
    older = now - timedelta(minutes=5)
    await cache_slots(session, workspace.id, ghl_source("cal-default"), now, 2)
    await cache_slots(session, workspace.id, ghl_source("cal-direct", DIRECT), older, 2)
    for minutes in (1, 2, 3):
        failed_at = older + timedelta(seconds=minutes)
        await cache_failure(
            session, workspace.id, ghl_source("cal-direct", DIRECT), failed_at, "rate_limited"
        )

    capacity = await compute_capacity(
        session,
        workspace,
        window_days=7,
        now=now,
        staleness_threshold=timedelta(hours=1),
    )
    row = await overview_row(client, admin_headers, workspace.id)

    combined = capacity.cache_meta
    assert combined.configured is True
    assert combined.last_success_at_iso == iso_utc(older)
    assert combined.last_error_kind == "rate_limited"
    assert combined.last_error_at_iso == iso_utc(older + timedelta(seconds=3))
    assert combined.consecutive_failures == 3
    assert capacity.breakdown.default.cache_meta.consecutive_failures == 0
    assert capacity.breakdown.default.cache_meta.last_success_at_iso == iso_utc(now)
    assert row["cacheMeta"] == combined.model_dump(by_alias=True) | {
        "isStale": row["cacheMeta"]["isStale"]
    }


async def test_without_a_configured_source_cache_meta_says_not_configured(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(session, cipher)

    analytics = await client.get(f"/v1/workspaces/{workspace.id}/analytics", headers=admin_headers)
    row = await overview_row(client, admin_headers, workspace.id)

    for meta in (analytics.json()["capacity"]["cacheMeta"], row["cacheMeta"]):
        assert meta["configured"] is False
        assert meta["lastSuccessAtIso"] is None
        assert meta["consecutiveFailures"] == 0
