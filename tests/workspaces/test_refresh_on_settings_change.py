"""A settings change that touches what the availability refresh fetches queues a refresh."""

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import make_workspace

from capacity_service.availability.tasks import REFRESH_ENTRYPOINT
from capacity_service.jobs.registry import workspace_dedupe_key
from capacity_service.kit.enums import Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.models import Workspace


async def refresh_jobs(session: AsyncSession, workspace: Workspace) -> int:
    count = await session.scalar(
        text("SELECT count(*) FROM pgqueuer WHERE entrypoint = :e AND dedupe_key = :k"),
        {"e": REFRESH_ENTRYPOINT, "k": workspace_dedupe_key(REFRESH_ENTRYPOINT, workspace.id)},
    )
    return int(count or 0)


async def patch(
    client: httpx.AsyncClient, headers: dict[str, str], workspace: Workspace, body: dict[str, Any]
) -> None:
    response = await client.patch(
        f"/v1/admin/workspaces/{workspace.id}", headers=headers, json=body
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "change",
    [
        {"ghlDefaultCalendarId": "cal-new"},
        {"ghlDirectBookCalendarId": None},
        {"calendlyDefaultEventTypeUri": "https://api.calendly.com/event_types/ET-NEW"},
        {"defaultSourceProvider": "calendly"},
        {"ghlAccessToken": "a-new-token"},
        {"ghlAccessToken": "token-1"},
        {"calendlyAccessToken": "calendly-token"},
        {"ghlLocationId": "loc-moved"},
    ],
)
async def test_a_source_or_credential_change_queues_a_refresh_in_the_same_transaction(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
    change: dict[str, Any],
) -> None:
    workspace = await make_workspace(
        session,
        cipher,
        ghl_access_token="token-1",
        ghl_location_id="loc-refresh-on-change",
        ghl_default_calendar_id="cal-1",
        ghl_direct_book_calendar_id="cal-2",
        calendly_default_event_type_uri="https://api.calendly.com/event_types/ET-1",
        default_source_provider=Provider.GHL,
    )

    await patch(client, admin_headers, workspace, change)

    assert await refresh_jobs(session, workspace) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Renamed"},
        {"timezone": "Europe/Paris", "name": "Renamed"},
        {"ghlDefaultCalendarId": "cal-1"},
        {"calendlyWebhookSigningKey": "whsec-signing-key"},
    ],
)
async def test_a_change_that_leaves_sources_and_credentials_alone_queues_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
    change: dict[str, Any],
) -> None:
    workspace = await make_workspace(
        session, cipher, ghl_access_token="token-1", ghl_default_calendar_id="cal-1"
    )

    await patch(client, admin_headers, workspace, change)

    assert await refresh_jobs(session, workspace) == 0


async def test_changes_in_a_row_share_one_queued_refresh(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id="cal-1")

    await patch(client, admin_headers, workspace, {"ghlDefaultCalendarId": "cal-2"})
    await patch(client, admin_headers, workspace, {"ghlDefaultCalendarId": "cal-3"})

    assert await refresh_jobs(session, workspace) == 1


async def test_a_refused_change_queues_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id="cal-1")

    response = await client.patch(
        f"/v1/admin/workspaces/{workspace.id}",
        headers=admin_headers,
        json={"calendlyDefaultEventTypeUri": "https://api.calendly.com/event_types/ET-1"},
    )

    assert response.status_code == 422
    assert await refresh_jobs(session, workspace) == 0
