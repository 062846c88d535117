"""GET /v1/workspaces/{id}/analytics: figures of the last N days and % booked of the next N."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.enums import AppointmentStatus, AvailabilitySource
from capacity_service.kit.secrets import SecretCipher
from capacity_service.models import Campaign
from tests.capacity.builders import make_cache
from tests.factories import make_api_key, make_appointment, make_lead, make_workspace

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def pinned_clock(app: FastAPI) -> None:
    app.state.clock = lambda: NOW


def url(workspace_id: object) -> str:
    return f"/v1/workspaces/{workspace_id}/analytics"


@pytest.mark.parametrize("days", [0, 91, -1])
async def test_window_days_out_of_range_is_422(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str], days: int
) -> None:
    workspace = await make_workspace(session)
    response = await client.get(
        url(workspace.id), headers=admin_headers, params={"windowDays": days}
    )
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "windowDays"


async def test_default_window_comes_from_settings(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    body = (await client.get(url(workspace.id), headers=admin_headers)).json()
    assert body["windowDays"] == 30
    assert body["capacity"]["windowStartIso"] == "2026-03-01T12:00:00.000Z"
    assert body["capacity"]["windowEndIso"] == "2026-03-31T12:00:00.000Z"
    assert body["period"] == {
        "startIso": "2026-01-30T12:00:00.000Z",
        "endIso": "2026-03-01T12:00:00.000Z",
        "days": 30,
    }


async def test_workspace_figures_and_capacity(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    headers = {"Authorization": f"Bearer {await make_api_key(session, workspace)}"}
    await make_cache(
        session,
        workspace,
        AvailabilitySource.DEFAULT,
        "cal_default",
        [NOW + timedelta(days=d) for d in (1, 2, 3)],
        fetched_at=NOW - timedelta(minutes=10),
    )
    old_lead = await make_lead(session, workspace, created_at=NOW - timedelta(days=40))
    new_lead = await make_lead(session, workspace, created_at=NOW - timedelta(days=2))
    past = NOW - timedelta(days=3)
    for status in (
        AppointmentStatus.SHOWED,
        AppointmentStatus.SHOWED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.CANCELED,
        AppointmentStatus.RESCHEDULED,
    ):
        await make_appointment(
            session, old_lead, start_at=past, status=status, booked_at=NOW - timedelta(days=50)
        )
    await make_appointment(
        session,
        new_lead,
        start_at=NOW + timedelta(days=4),
        ghl_calendar_id="cal_default",
        booked_at=NOW - timedelta(days=1),
    )

    response = await client.get(url(workspace.id), headers=headers, params={"windowDays": 7})

    assert response.status_code == 200
    body = response.json()
    assert body["leads"] == {"total": 2, "newInPeriod": 1}
    assert body["appointments"] == {
        "booked": 1,
        "canceled": 1,
        "rescheduled": 1,
        "showed": 2,
        "noShow": 1,
        "upcomingConfirmed": 1,
    }
    capacity = body["capacity"]
    assert capacity["bookedPct"] == 25.0
    assert capacity["bookedSlots"] == 1
    assert capacity["availableSlots"] == 3
    assert capacity["breakdown"]["DEFAULT"]["identifier"] == "cal_default"
    assert capacity["cacheMeta"] == {
        "fetchedAtIso": "2026-03-01T11:50:00.000Z",
        "isStale": False,
        "lastError": None,
        "configured": True,
        "lastSuccessAtIso": "2026-03-01T11:50:00.000Z",
        "lastErrorKind": None,
        "lastErrorAtIso": None,
        "consecutiveFailures": 0,
    }
    assert len(capacity["daily"]) == 8
    assert body["capacityUnavailableReason"] is None


async def test_campaign_scope_counts_its_leads_and_has_no_capacity(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    campaign = Campaign(workspace_id=workspace.id, name="Spring")
    session.add(campaign)
    await session.flush()
    in_campaign = await make_lead(session, workspace, campaign_id=campaign.id)
    outside = await make_lead(session, workspace)
    await make_appointment(session, in_campaign, start_at=NOW + timedelta(days=1))
    await make_appointment(session, outside, start_at=NOW + timedelta(days=1))

    response = await client.get(
        url(workspace.id), headers=admin_headers, params={"campaignId": str(campaign.id)}
    )

    body = response.json()
    assert response.status_code == 200
    assert body["campaignId"] == str(campaign.id)
    assert body["leads"]["total"] == 1
    assert body["appointments"]["upcomingConfirmed"] == 1
    assert body["capacity"] is None
    assert "not available for a campaign" in body["capacityUnavailableReason"]


async def test_campaign_of_another_workspace_is_404(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    mine = await make_workspace(session)
    other = await make_workspace(session)
    campaign = Campaign(workspace_id=other.id, name="Theirs")
    session.add(campaign)
    await session.flush()
    response = await client.get(
        url(mine.id), headers=admin_headers, params={"campaignId": str(campaign.id)}
    )
    assert response.status_code == 404


async def test_key_of_another_workspace_is_404(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mine = await make_workspace(session)
    other = await make_workspace(session)
    headers = {"Authorization": f"Bearer {await make_api_key(session, mine)}"}
    assert (await client.get(url(other.id), headers=headers)).status_code == 404


async def test_analytics_makes_no_outbound_http(
    client: httpx.AsyncClient,
    session: AsyncSession,
    admin_headers: dict[str, str],
    cipher: SecretCipher,
) -> None:
    workspace = await make_workspace(
        session,
        cipher,
        ghl_access_token="pit-secret",
        calendly_access_token="cal-secret",
        ghl_location_id="loc_1",
        ghl_default_calendar_id="cal_default",
        calendly_direct_book_event_type_uri="https://api.calendly.com/event_types/direct",
    )
    lead = await make_lead(session, workspace)
    await make_appointment(
        session, lead, start_at=NOW + timedelta(days=1), ghl_calendar_id="cal_default"
    )

    # No routes and assert_all_mocked: any request leaving through httpx would raise.
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as outbound:
        response = await client.get(url(workspace.id), headers=admin_headers)
        insights = await client.get(
            f"/v1/workspaces/{workspace.id}/insights/context-pack", headers=admin_headers
        )
        overview = await client.get("/v1/admin/capacity", headers=admin_headers)

    assert response.status_code == 200
    assert insights.status_code == 200
    assert overview.status_code == 200
    assert outbound.calls.call_count == 0
    assert response.json()["capacity"]["breakdown"]["DEFAULT"]["cacheMeta"]["isStale"] is True
