"""Alert endpoints: lists for a workspace and for the operator, settings, on-demand evaluation."""

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Workspace, WorkspaceAlertSettings
from tests.alerts.conftest import cache_failure, cache_slots, ghl_source
from tests.factories import make_api_key, make_appointment, make_lead, make_workspace


async def full_workspace(session: AsyncSession, cipher: SecretCipher) -> Workspace:
    """A workspace whose only calendar is fully booked (1 booking, 0 slots)."""
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id="cal-1")
    now = utcnow()
    await cache_slots(session, workspace.id, ghl_source("cal-1"), now - timedelta(minutes=1), 0)
    lead = await make_lead(session, workspace)
    await make_appointment(session, lead, start_at=now + timedelta(days=1), ghl_calendar_id="cal-1")
    return workspace


async def test_evaluate_then_list_shows_open_alerts_with_their_figures(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await full_workspace(session, cipher)

    evaluated = await client.post(
        f"/v1/admin/workspaces/{workspace.id}/alerts/evaluate", headers=admin_headers
    )
    again = await client.post(
        f"/v1/admin/workspaces/{workspace.id}/alerts/evaluate", headers=admin_headers
    )
    listed = await client.get(f"/v1/workspaces/{workspace.id}/alerts", headers=admin_headers)

    assert evaluated.status_code == 200
    assert sorted(a["kind"] for a in evaluated.json()["fired"]) == [
        "no_availability",
        "over_capacity",
    ]
    assert again.json() == {"fired": [], "cleared": [], "deliveriesQueued": 0}
    body = listed.json()
    assert body["total"] == 2
    over = next(a for a in body["items"] if a["kind"] == "over_capacity")
    assert over["state"] == "open"
    assert over["scope"] == "combined"
    assert over["workspaceName"] == workspace.name
    assert over["figures"]["bookedPct"] == 100.0
    assert over["openedAt"].endswith("Z")
    assert over["clearedAt"] is None


async def test_a_workspace_key_sees_only_its_own_alerts_and_the_admin_sees_all(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    mine = await full_workspace(session, cipher)
    other = await full_workspace(session, cipher)
    for workspace in (mine, other):
        await client.post(
            f"/v1/admin/workspaces/{workspace.id}/alerts/evaluate", headers=admin_headers
        )
    key = {"Authorization": f"Bearer {await make_api_key(session, mine)}"}

    own = await client.get(f"/v1/workspaces/{mine.id}/alerts", headers=key)
    foreign = await client.get(f"/v1/workspaces/{other.id}/alerts", headers=key)
    admin_only = await client.get("/v1/admin/alerts", headers=key)
    everything = await client.get(
        "/v1/admin/alerts", params={"kind": "over_capacity"}, headers=admin_headers
    )
    one = await client.get(
        "/v1/admin/alerts", params={"workspaceId": str(other.id)}, headers=admin_headers
    )

    assert own.status_code == 200
    assert {a["workspaceId"] for a in own.json()["items"]} == {str(mine.id)}
    assert foreign.status_code == 404
    assert admin_only.status_code == 403
    ids = {a["workspaceId"] for a in everything.json()["items"]}
    assert {str(mine.id), str(other.id)} <= ids
    assert {a["workspaceId"] for a in one.json()["items"]} == {str(other.id)}


async def test_open_alerts_are_listed_before_cleared_ones_and_can_be_filtered(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id="cal-1")
    now = utcnow()
    await cache_failure(session, workspace.id, ghl_source("cal-1"), now, "authentication")
    url = f"/v1/admin/workspaces/{workspace.id}/alerts/evaluate"
    await client.post(url, headers=admin_headers)
    await cache_slots(session, workspace.id, ghl_source("cal-1"), now + timedelta(seconds=1), 3)
    cleared = await client.post(url, headers=admin_headers)
    await cache_failure(
        session, workspace.id, ghl_source("cal-1"), now + timedelta(seconds=2), "not_found"
    )
    await client.post(url, headers=admin_headers)

    listed = await client.get(f"/v1/workspaces/{workspace.id}/alerts", headers=admin_headers)
    only_open = await client.get(
        f"/v1/workspaces/{workspace.id}/alerts", params={"state": "open"}, headers=admin_headers
    )
    bad = await client.get(
        f"/v1/workspaces/{workspace.id}/alerts", params={"state": "x"}, headers=admin_headers
    )

    assert [a["kind"] for a in cleared.json()["cleared"]] == ["data_quality_auth"]
    assert [(a["kind"], a["state"]) for a in listed.json()["items"]] == [
        ("data_quality_not_found", "open"),
        ("data_quality_auth", "cleared"),
    ]
    assert [a["kind"] for a in only_open.json()["items"]] == ["data_quality_not_found"]
    assert bad.status_code == 422


async def test_alert_settings_default_then_override_and_never_return_the_secret(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(session, cipher)
    url = f"/v1/admin/workspaces/{workspace.id}/alert-settings"

    defaults = await client.get(url, headers=admin_headers)
    changed = await client.patch(
        url,
        json={
            "overCapacityPct": 70,
            "underUsedPct": 20,
            "webhookUrl": "https://client.example.test/hook",
            "webhookSecret": "s3cret-value-0123456789",
        },
        headers=admin_headers,
    )
    reset = await client.patch(url, json={"overCapacityPct": None}, headers=admin_headers)

    assert defaults.status_code == 200
    assert defaults.json()["effectiveOverCapacityPct"] == 85
    assert defaults.json()["effectiveUnderUsedPct"] is None
    assert defaults.json()["overCapacityPct"] is None
    assert changed.status_code == 200
    assert changed.json()["effectiveOverCapacityPct"] == 70
    assert changed.json()["effectiveUnderUsedPct"] == 20
    assert changed.json()["webhookSecretSet"] is True
    assert "s3cret" not in changed.text
    assert reset.json()["effectiveOverCapacityPct"] == 85
    assert reset.json()["webhookUrl"] == "https://client.example.test/hook"
    row = await session.get(WorkspaceAlertSettings, workspace.id)
    assert row is not None
    assert row.webhook_secret_encrypted is not None
    assert cipher.decrypt(row.webhook_secret_encrypted) == "s3cret-value-0123456789"


async def test_alert_settings_reject_bad_input_with_422_and_unknown_workspaces_with_404(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(session, cipher)
    url = f"/v1/admin/workspaces/{workspace.id}/alert-settings"

    unsigned = await client.patch(
        url, json={"webhookUrl": "https://client.example.test/hook"}, headers=admin_headers
    )
    not_a_url = await client.patch(
        url, json={"webhookUrl": "ftp://x", "webhookSecret": "x" * 20}, headers=admin_headers
    )
    over_100 = await client.patch(url, json={"overCapacityPct": 150}, headers=admin_headers)
    missing = await client.get(
        "/v1/admin/workspaces/00000000-0000-0000-0000-000000000000/alert-settings",
        headers=admin_headers,
    )

    assert unsigned.status_code == 422
    assert "webhookSecret" in unsigned.json()["detail"]
    assert not_a_url.status_code == 422
    assert over_100.status_code == 422
    assert missing.status_code == 404


async def test_alert_detail_lists_its_deliveries(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await full_workspace(session, cipher)
    session.add(
        WorkspaceAlertSettings(
            workspace_id=workspace.id,
            webhook_url="https://client.example.test/hook",
            webhook_secret_encrypted=cipher.encrypt("s3cret-value-0123456789"),
        )
    )
    await session.flush()
    evaluated = await client.post(
        f"/v1/admin/workspaces/{workspace.id}/alerts/evaluate", headers=admin_headers
    )
    alert_id = evaluated.json()["fired"][0]["id"]

    detail = await client.get(f"/v1/admin/alerts/{alert_id}", headers=admin_headers)

    assert evaluated.json()["deliveriesQueued"] == 2
    (delivery,) = detail.json()["deliveries"]
    assert delivery["event"] == "fired"
    assert delivery["target"] == "workspace"
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 0
