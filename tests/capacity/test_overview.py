"""GET /v1/admin/capacity: all workspaces, most constrained first, same figures as each one."""

import itertools
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.capacity.service import capacity_overview, compute_capacity
from capacity_service.kit.enums import AppointmentStatus, AvailabilitySource, Provider
from capacity_service.models import Workspace
from capacity_service.workspaces.sources import configured_sources
from tests.capacity.builders import make_cache
from tests.factories import make_api_key, make_appointment, make_lead, make_workspace

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FRESH = NOW - timedelta(minutes=5)
STALENESS = timedelta(minutes=60)
DEFAULT = AvailabilitySource.DEFAULT
DIRECT = AvailabilitySource.DIRECT_BOOK
CALENDLY_URI = "https://api.calendly.com/event_types/direct"


@pytest.fixture(autouse=True)
def pinned_clock(app: FastAPI) -> None:
    app.state.clock = lambda: NOW


def at(days: float) -> datetime:
    return NOW + timedelta(days=days)


async def booked_workspace(
    session: AsyncSession, name: str, *, booked: int, available: int
) -> Workspace:
    workspace = await make_workspace(session, name=name, ghl_default_calendar_id=f"cal_{name}")
    await make_cache(
        session,
        workspace,
        DEFAULT,
        f"cal_{name}",
        [at(1 + i / 24) for i in range(available)],
        fetched_at=FRESH,
    )
    lead = await make_lead(session, workspace)
    for i in range(booked):
        await make_appointment(
            session, lead, start_at=at(2 + i / 24), ghl_calendar_id=f"cal_{name}"
        )
    return workspace


async def test_most_constrained_first_with_unknown_last(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    low = await booked_workspace(session, "low", booked=1, available=3)  # 25.0
    high = await booked_workspace(session, "high", booked=9, available=1)  # 90.0
    edge = await booked_workspace(session, "edge", booked=4, available=1)  # 80.0
    unknown = await make_workspace(session, name="unknown")

    response = await client.get(
        "/v1/admin/capacity", headers=admin_headers, params={"windowDays": 30, "thresholdPct": 80}
    )

    assert response.status_code == 200
    body = response.json()
    assert [item["workspaceId"] for item in body["items"]] == [
        str(w.id) for w in (high, edge, low, unknown)
    ]
    assert [item["bookedPct"] for item in body["items"]] == [90.0, 80.0, 25.0, None]
    assert [item["constrained"] for item in body["items"]] == [True, True, False, False]
    assert body["total"] == 4
    assert body["constrainedCount"] == 2
    assert body["thresholdPct"] == 80
    assert body["windowStartIso"] == "2026-03-01T12:00:00.000Z"
    first = body["items"][0]
    assert first["breakdown"]["DEFAULT"]["bookedPct"] == 90.0
    assert first["breakdown"]["DIRECT_BOOK"]["provider"] is None
    assert first["cacheMeta"] == {
        "fetchedAtIso": "2026-03-01T11:55:00.000Z",
        "isStale": False,
        "lastError": None,
        "configured": True,
        "lastSuccessAtIso": "2026-03-01T11:55:00.000Z",
        "lastErrorKind": None,
        "lastErrorAtIso": None,
        "consecutiveFailures": 0,
    }


async def test_pages_and_constrained_only(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    await booked_workspace(session, "a", booked=1, available=3)
    high = await booked_workspace(session, "b", booked=9, available=1)
    mid = await booked_workspace(session, "c", booked=3, available=1)

    second = await client.get(
        "/v1/admin/capacity", headers=admin_headers, params={"limit": 1, "offset": 1}
    )
    assert [i["workspaceId"] for i in second.json()["items"]] == [str(mid.id)]
    assert second.json()["total"] == 3

    beyond = await client.get("/v1/admin/capacity", headers=admin_headers, params={"offset": 10})
    assert beyond.json()["items"] == []
    assert beyond.json()["total"] == 3

    only = await client.get(
        "/v1/admin/capacity",
        headers=admin_headers,
        params={"thresholdPct": 80, "constrainedOnly": "true"},
    )
    assert [i["workspaceId"] for i in only.json()["items"]] == [str(high.id)]
    assert only.json()["total"] == 1


@pytest.mark.parametrize(
    "params", [{"windowDays": 0}, {"windowDays": 91}, {"thresholdPct": 101}, {"thresholdPct": -1}]
)
async def test_out_of_range_parameters_are_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str], params: dict[str, int]
) -> None:
    response = await client.get("/v1/admin/capacity", headers=admin_headers, params=params)
    assert response.status_code == 422


async def test_workspace_key_is_403(client: httpx.AsyncClient, session: AsyncSession) -> None:
    workspace = await make_workspace(session)
    headers = {"Authorization": f"Bearer {await make_api_key(session, workspace)}"}
    assert (await client.get("/v1/admin/capacity", headers=headers)).status_code == 403


async def test_overview_agrees_with_the_workspace_metric(session: AsyncSession) -> None:
    """The set-based statement and compute_capacity implement one definition."""
    never = await make_workspace(session, ghl_default_calendar_id="cal_never")
    shared = await make_workspace(
        session, ghl_default_calendar_id="cal_s", ghl_direct_book_calendar_id="cal_s"
    )
    await make_cache(session, shared, DEFAULT, "cal_s", [at(1), at(2), at(3)], fetched_at=FRESH)
    await make_cache(session, shared, DIRECT, "cal_s", [at(1), at(2), at(3)], fetched_at=FRESH)
    mixed = await make_workspace(
        session,
        ghl_default_calendar_id="cal_m",
        calendly_direct_book_event_type_uri=CALENDLY_URI,
    )
    await make_cache(
        session,
        mixed,
        DEFAULT,
        "cal_m",
        [at(1), at(31)],
        fetched_at=NOW - timedelta(hours=3),
        last_error="HighLevel answered 429",
    )
    await make_cache(
        session, mixed, DIRECT, CALENDLY_URI, [at(5)], fetched_at=FRESH, provider=Provider.CALENDLY
    )
    moved = await make_workspace(session, ghl_default_calendar_id="cal_new")
    await make_cache(session, moved, DEFAULT, "cal_old", [at(1)], fetched_at=FRESH)
    for workspace, calendar in (
        (never, "cal_never"),
        (shared, "cal_s"),
        (shared, None),
        (mixed, "cal_m"),
        (mixed, "cal_gone"),
        (moved, "cal_new"),
    ):
        lead = await make_lead(session, workspace)
        await make_appointment(session, lead, start_at=at(4), ghl_calendar_id=calendar)
        await make_appointment(
            session,
            lead,
            start_at=at(6),
            ghl_calendar_id=calendar,
            status=AppointmentStatus.CANCELED,
        )
    lead = await make_lead(session, mixed)
    await make_appointment(
        session,
        lead,
        start_at=at(7),
        provider=Provider.CALENDLY,
        calendly_event_type_uri=CALENDLY_URI,
    )

    overview = await capacity_overview(
        session, window_days=30, now=NOW, staleness_threshold=STALENESS, threshold_pct=80
    )

    by_id = {item.workspace_id: item for item in overview.items}
    assert set(by_id) == {never.id, shared.id, mixed.id, moved.id}
    for workspace in (never, shared, mixed, moved):
        expected = await compute_capacity(
            session, workspace, window_days=30, now=NOW, staleness_threshold=STALENESS
        )
        item = by_id[workspace.id]
        assert (item.booked_pct, item.booked_slots, item.available_slots) == (
            expected.booked_pct,
            expected.booked_slots,
            expected.available_slots,
        )
        assert item.unattributed_booked_slots == expected.unattributed_booked_slots
        assert item.cache_meta == expected.cache_meta
        assert item.breakdown == expected.breakdown
    assert by_id[mixed.id].booked_pct == 50.0  # (1 + 1) / ((1 + 1) + (1 + 1)); at(31) is outside
    assert by_id[mixed.id].cache_meta.last_error == "HighLevel answered 429"
    assert by_id[shared.id].booked_pct == 25.0


_GHL = ("cal_g", None, "")
_CALENDLY = (CALENDLY_URI, None, "")
_CHOSEN = (Provider.GHL, Provider.CALENDLY, None)


async def test_overview_resolves_sources_like_the_workspace_settings(
    session: AsyncSession,
) -> None:
    workspaces = []
    for ghl, calendly, chosen in itertools.product(_GHL, _CALENDLY, _CHOSEN):
        workspaces.append(
            await make_workspace(
                session,
                ghl_default_calendar_id=ghl,
                calendly_default_event_type_uri=calendly,
                default_source_provider=chosen,
                ghl_direct_book_calendar_id=ghl,
                calendly_direct_book_event_type_uri=calendly,
                direct_book_source_provider=chosen,
            )
        )

    overview = await capacity_overview(
        session, window_days=30, now=NOW, staleness_threshold=STALENESS, threshold_pct=80, limit=500
    )

    by_id = {item.workspace_id: item for item in overview.items}
    for workspace in workspaces:
        expected = configured_sources(workspace)
        for source, figures in (
            (DEFAULT, by_id[workspace.id].breakdown.default),
            (DIRECT, by_id[workspace.id].breakdown.direct_book),
        ):
            config = expected[source]
            assert (figures.provider, figures.identifier) == (
                (config.provider, config.identifier) if config else (None, None)
            ), (workspace.ghl_default_calendar_id, workspace.calendly_default_event_type_uri)
