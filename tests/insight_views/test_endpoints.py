"""The insight endpoints under /v1/workspaces/{id}/capacity: shapes, auth, validation, and
no provider calls."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.secrets import SecretCipher
from tests.factories import make_api_key, make_workspace
from tests.insight_views.builders import book, make_slots

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
VIEWS = ("forecast", "heatmap", "minutes")
ADD_WEDNESDAY = {
    "windowDays": 7,
    "changes": [{"weekday": 3, "startTime": "09:00", "endTime": "12:00", "change": "add"}],
}


@pytest.fixture(autouse=True)
def pinned_clock(app: FastAPI) -> None:
    app.state.clock = lambda: NOW


def url(workspace_id: object, view: str) -> str:
    return f"/v1/workspaces/{workspace_id}/capacity/{view}"


async def test_views_answer_from_cache_and_database_without_calling_providers(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(
        session,
        cipher,
        ghl_access_token="ghl-secret",
        ghl_location_id="loc_insights",
        ghl_default_calendar_id="cal_default",
    )
    await make_slots(session, workspace, [NOW + timedelta(days=1)], fetched_at=NOW)
    await book(session, workspace, NOW + timedelta(days=1, hours=2), booked_at=NOW)

    # No routes and assert_all_mocked: any request leaving through httpx would raise.
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as outbound:
        responses = [
            await client.get(url(workspace.id, view), headers=admin_headers) for view in VIEWS
        ]
        what_if = await client.post(
            url(workspace.id, "what-if"), headers=admin_headers, json=ADD_WEDNESDAY
        )

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert what_if.status_code == 200
    assert outbound.calls.call_count == 0
    forecast, heatmap, minutes = (r.json() for r in responses)
    assert forecast["windowStartIso"] == "2026-03-02T12:00:00.000Z"
    assert forecast["bookedPct"] == 50.0
    assert forecast["confidence"]["level"] == "none"
    assert len(heatmap["window"]["cells"]) == 168
    assert minutes["bookedMinutesPct"] == 50.0
    assert minutes["breakdown"]["DEFAULT"]["slotDurationSource"] == "provider"
    assert what_if.json()["projected"]["availableSlots"] == 7
    assert what_if.json()["changes"][0]["slotsAdded"] == 6


async def test_a_workspace_key_sees_only_its_own_workspace(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mine = await make_workspace(session)
    other = await make_workspace(session)
    headers = {"Authorization": f"Bearer {await make_api_key(session, mine)}"}

    own = await client.get(url(mine.id, "heatmap"), headers=headers)
    foreign = await client.get(url(other.id, "heatmap"), headers=headers)
    anonymous = await client.post(url(mine.id, "what-if"), json=ADD_WEDNESDAY)

    assert own.status_code == 200
    assert foreign.status_code == 404
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"weekday": 8, "startTime": "09:00", "endTime": "10:00", "change": "add"},
            "changes.0.weekday",
        ),
        (
            {"weekday": 1, "startTime": "9am", "endTime": "10:00", "change": "add"},
            "changes.0.startTime",
        ),
        ({"weekday": 1, "startTime": "10:00", "endTime": "09:00", "change": "add"}, "changes.0"),
        (
            {"weekday": 1, "startTime": "09:00", "endTime": "10:00", "change": "grow"},
            "changes.0.change",
        ),
    ],
)
async def test_bad_what_if_input_is_422(
    client: httpx.AsyncClient,
    session: AsyncSession,
    admin_headers: dict[str, str],
    change: dict[str, object],
    field: str,
) -> None:
    workspace = await make_workspace(session, ghl_default_calendar_id="cal_default")

    response = await client.post(
        url(workspace.id, "what-if"), headers=admin_headers, json={"changes": [change]}
    )

    assert response.status_code == 422
    assert any(f["field"].startswith(field) for f in response.json()["fields"]), response.json()


async def test_what_if_on_an_unconfigured_source_is_422(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)

    response = await client.post(
        url(workspace.id, "what-if"), headers=admin_headers, json=ADD_WEDNESDAY
    )

    assert response.status_code == 422
    assert "DEFAULT is not configured" in response.json()["detail"]


@pytest.mark.parametrize("view", VIEWS)
async def test_window_and_history_out_of_range_are_422(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str], view: str
) -> None:
    workspace = await make_workspace(session)

    window = await client.get(
        url(workspace.id, view), headers=admin_headers, params={"windowDays": 91}
    )

    assert window.status_code == 422
    if view != "minutes":
        history = await client.get(
            url(workspace.id, view), headers=admin_headers, params={"historyDays": 3}
        )
        assert history.status_code == 422
