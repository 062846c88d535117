"""The Insights context pack: figures plus one plain line on capacity."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.models import Campaign
from tests.capacity.builders import make_cache
from tests.factories import make_appointment, make_lead, make_workspace

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DIRECT_URI = "https://api.calendly.com/event_types/direct"


@pytest.fixture(autouse=True)
def pinned_clock(app: FastAPI) -> None:
    app.state.clock = lambda: NOW


def at(days: float) -> datetime:
    return NOW + timedelta(days=days)


def url(workspace_id: object) -> str:
    return f"/v1/workspaces/{workspace_id}/insights/context-pack"


async def test_workspace_scope_summarises_capacity_in_one_line(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(
        session,
        name="Acme Dental",
        ghl_default_calendar_id="cal_default",
        calendly_direct_book_event_type_uri=DIRECT_URI,
    )
    await make_cache(
        session,
        workspace,
        AvailabilitySource.DEFAULT,
        "cal_default",
        [at(1), at(2), at(3)],
        fetched_at=NOW - timedelta(hours=2, minutes=10),
    )
    await make_cache(
        session,
        workspace,
        AvailabilitySource.DIRECT_BOOK,
        DIRECT_URI,
        [at(1), at(2), at(3)],
        fetched_at=NOW - timedelta(minutes=20),
        provider=Provider.CALENDLY,
    )
    lead = await make_lead(session, workspace)
    for day in range(4, 11):
        await make_appointment(session, lead, start_at=at(day), ghl_calendar_id="cal_default")
    for day in (11, 12):
        await make_appointment(
            session,
            lead,
            start_at=at(day),
            provider=Provider.CALENDLY,
            calendly_event_type_uri=DIRECT_URI,
        )
    for day in (13, 14, 15):
        await make_appointment(session, lead, start_at=at(day), ghl_calendar_id=None)

    response = await client.get(url(workspace.id), headers=admin_headers)

    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "workspace"
    assert body["workspace"]["name"] == "Acme Dental"
    assert body["capacity"]["bookedPct"] == 60.0  # 9 / (9 + 6)
    assert body["capacitySummary"] == (
        "60% of the next 30 days' bookable slots are taken; DEFAULT 70%, DIRECT_BOOK 40%; "
        "3 bookings unattributed; availability data 2 hours old (stale)"
    )
    assert body["capacityUnavailableReason"] is None
    assert "bookedPct" in body["definitions"]


async def test_summary_says_unknown_when_nothing_was_fetched(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    lead = await make_lead(session, workspace)
    await make_appointment(session, lead, start_at=at(1), ghl_calendar_id="cal_default")

    body = (
        await client.get(url(workspace.id), headers=admin_headers, params={"windowDays": 1})
    ).json()

    assert body["capacity"]["bookedPct"] is None
    assert body["capacitySummary"] == (
        "% booked of the next 1 day is unknown: availability has not been fetched yet; "
        "DEFAULT unknown (availability never fetched), DIRECT_BOOK not configured; "
        "0 bookings unattributed; availability data never fetched"
    )


async def test_summary_without_sources(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    body = (await client.get(url(workspace.id), headers=admin_headers)).json()
    assert body["capacitySummary"] == (
        "% booked of the next 30 days is unknown: no availability source is configured; "
        "DEFAULT not configured, DIRECT_BOOK not configured; 0 bookings unattributed"
    )


async def test_campaign_scope_states_capacity_is_not_available(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")
    campaign = Campaign(workspace_id=workspace.id, name="Spring")
    session.add(campaign)
    await session.flush()
    await make_lead(session, workspace, campaign_id=campaign.id)

    response = await client.get(
        url(workspace.id), headers=admin_headers, params={"campaignId": str(campaign.id)}
    )

    body = response.json()
    assert response.status_code == 200
    assert body["scope"] == "campaign"
    assert body["campaign"] == {"id": str(campaign.id), "name": "Spring"}
    assert body["capacity"] is None
    assert body["leads"]["total"] == 1
    assert "not available for a campaign" in body["capacitySummary"]
    assert body["capacityUnavailableReason"] == body["capacitySummary"]


async def test_unknown_campaign_is_404(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    response = await client.get(
        url(workspace.id),
        headers=admin_headers,
        params={"campaignId": "00000000-0000-0000-0000-000000000000"},
    )
    assert response.status_code == 404
