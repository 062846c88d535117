"""The same signals appear in the availability status, analytics and the capacity list."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from tests.alerts.conftest import cache_failure, ghl_source
from tests.factories import make_workspace


async def test_availability_analytics_and_the_capacity_list_carry_the_data_quality_signals(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id="cal-1")
    await cache_failure(session, workspace.id, ghl_source("cal-1"), utcnow(), "authentication")

    availability = await client.get(
        f"/v1/workspaces/{workspace.id}/availability", headers=admin_headers
    )
    analytics = await client.get(f"/v1/workspaces/{workspace.id}/analytics", headers=admin_headers)
    overview = await client.get("/v1/admin/capacity", params={"limit": 500}, headers=admin_headers)

    row = next(r for r in overview.json()["items"] if r["workspaceId"] == str(workspace.id))
    for quality in (
        availability.json()["dataQuality"],
        analytics.json()["dataQuality"],
        row["dataQuality"],
    ):
        assert quality["trustworthy"] is False
        assert quality["sources"][0]["lastErrorKind"] == "authentication"
        assert quality["sources"][0]["consecutiveFailures"] == 1
        assert quality["providers"][0]["provider"] == "ghl"
