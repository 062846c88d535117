"""The availability endpoints: refresh on demand, and the cache state per source."""

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.availability.tasks import REFRESH_ENTRYPOINT, refresh_workspace
from capacity_service.config import Settings
from capacity_service.kit.secrets import SecretCipher
from capacity_service.providers import ProviderClients
from capacity_service.providers.fake import FakeProviderState
from tests.availability.conftest import GHL_TOKEN, LOCATION_ID
from tests.availability.test_refresh import hour_from_now
from tests.factories import make_api_key, make_workspace


async def test_refresh_queues_one_job_per_workspace_and_answers_202_with_its_id(
    provider_client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(session, cipher)
    url = f"/v1/workspaces/{workspace.id}/availability/refresh"

    first = await provider_client.post(url, headers=admin_headers)
    second = await provider_client.post(url, headers=admin_headers)

    assert first.status_code == 202
    assert first.json()["alreadyQueued"] is False
    assert second.status_code == 202
    assert second.json() == {"jobId": first.json()["jobId"], "alreadyQueued": True}
    row = (
        await session.execute(
            text("SELECT entrypoint, payload FROM pgqueuer WHERE id = :id"),
            {"id": first.json()["jobId"]},
        )
    ).one()
    assert row.entrypoint == REFRESH_ENTRYPOINT
    assert str(workspace.id) in row.payload.decode()


async def test_a_workspace_key_cannot_refresh_another_workspace(
    provider_client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    mine = await make_workspace(session, cipher)
    other = await make_workspace(session, cipher)
    key = await make_api_key(session, mine)
    headers = {"Authorization": f"Bearer {key}"}

    own = await provider_client.post(
        f"/v1/workspaces/{mine.id}/availability/refresh", headers=headers
    )
    foreign = await provider_client.post(
        f"/v1/workspaces/{other.id}/availability/refresh", headers=headers
    )
    unauthenticated = await provider_client.get(f"/v1/workspaces/{mine.id}/availability")

    assert own.status_code == 202
    assert foreign.status_code == 404
    assert unauthenticated.status_code == 401


async def test_availability_before_any_fetch_is_stale_with_nothing_counted(
    provider_client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id="cal-1")

    response = await provider_client.get(
        f"/v1/workspaces/{workspace.id}/availability", headers=admin_headers
    )

    assert response.status_code == 200
    body = response.json()
    default, direct = body["sources"]
    assert default["source"] == "DEFAULT"
    assert default["configured"] is True
    assert default["provider"] == "ghl"
    assert default["identifier"] == "cal-1"
    assert default["slotCount"] == 0
    assert default["fetchedAtIso"] is None
    assert default["isStale"] is True
    assert direct == {
        "source": "DIRECT_BOOK",
        "configured": False,
        "provider": None,
        "identifier": None,
        "slotCount": 0,
        "rangeStartIso": None,
        "rangeEndIso": None,
        "fetchedAtIso": None,
        "isStale": False,
        "lastError": None,
        "lastErrorKind": None,
        "lastErrorAtIso": None,
        "consecutiveFailures": 0,
    }


async def test_availability_after_a_refresh_counts_the_default_window_and_is_fresh(
    provider_client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    settings: Settings,
    fake_state: FakeProviderState,
    admin_headers: dict[str, str],
) -> None:
    inside = [hour_from_now(2), hour_from_now(24 * 10)]
    beyond_window = [hour_from_now(24 * (settings.default_window_days + 2))]
    calendar_id = fake_state.add_ghl_calendar(
        location_id="ignored", slots=[*inside, *beyond_window]
    )
    workspace = await make_workspace(
        session,
        cipher,
        ghl_access_token=GHL_TOKEN,
        ghl_location_id=LOCATION_ID,
        ghl_default_calendar_id=calendar_id,
    )
    await refresh_workspace(sessionmaker, providers, cipher, settings, workspace.id)

    response = await provider_client.get(
        f"/v1/workspaces/{workspace.id}/availability", headers=admin_headers
    )

    body = response.json()
    assert body["windowDays"] == settings.default_window_days
    assert body["windowStartIso"].endswith("Z")
    default = body["sources"][0]
    assert default["slotCount"] == 2
    assert default["isStale"] is False
    assert default["fetchedAtIso"].endswith("Z")
    assert default["rangeStartIso"] == default["fetchedAtIso"]
    assert default["rangeEndIso"] > body["windowEndIso"]
    assert default["lastError"] is None
