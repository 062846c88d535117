"""Data-quality signals: derived from the cache, stored webhooks, backfill runs and reconciles."""

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.data_quality.service import record_reconcile, workspace_data_quality
from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import iso_utc, utcnow
from capacity_service.models import BackfillRun, WebhookEvent, Workspace
from tests.alerts.conftest import cache_failure, cache_slots, ghl_source
from tests.factories import make_api_key, make_workspace


async def ghl_workspace(session: AsyncSession, cipher: SecretCipher, **fields: object) -> Workspace:
    return await make_workspace(
        session,
        cipher,
        ghl_access_token="token-dq",
        ghl_location_id=f"loc-dq-{utcnow().timestamp()}",
        ghl_default_calendar_id="cal-1",
        **fields,
    )


async def test_a_configured_source_never_fetched_is_not_trustworthy(
    session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await ghl_workspace(session, cipher)

    quality = await workspace_data_quality(session, workspace)

    assert quality.trustworthy is False
    assert quality.issues == ["DEFAULT: never fetched"]
    default, direct = quality.sources
    assert default.configured is True
    assert default.identifier == "cal-1"
    assert default.credentials_set is True
    assert default.last_successful_refresh_iso is None
    assert direct.configured is False
    assert [p.provider for p in quality.providers] == [Provider.GHL, Provider.CALENDLY]
    assert quality.providers[1].credentials_set is False


async def test_refresh_outcomes_show_as_last_success_last_error_kind_and_failure_count(
    session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await ghl_workspace(session, cipher)
    now = utcnow()
    await cache_slots(session, workspace.id, ghl_source("cal-1"), now, 3)
    fine = await workspace_data_quality(session, workspace)
    for minutes in (1, 2):
        await cache_failure(
            session,
            workspace.id,
            ghl_source("cal-1"),
            now + timedelta(minutes=minutes),
            "authentication",
        )

    failing = await workspace_data_quality(session, workspace)

    assert fine.trustworthy is True
    assert fine.issues == []
    assert fine.sources[0].last_successful_refresh_iso == iso_utc(now)
    source = failing.sources[0]
    assert failing.trustworthy is False
    assert source.last_successful_refresh_iso == iso_utc(now)
    assert source.last_error_kind == "authentication"
    assert source.consecutive_failures == 2
    assert source.last_error_at_iso == iso_utc(now + timedelta(minutes=2))
    assert failing.issues == ["DEFAULT: last refresh failed (authentication, 2 in a row)"]


async def test_a_cache_row_of_a_previous_calendar_counts_as_never_fetched(
    session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await ghl_workspace(session, cipher)
    await cache_slots(session, workspace.id, ghl_source("old-calendar"), utcnow(), 3)

    quality = await workspace_data_quality(session, workspace)

    assert quality.sources[0].last_successful_refresh_iso is None
    assert quality.trustworthy is False


async def test_last_webhook_per_provider_backfill_and_reconcile_times(
    session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await ghl_workspace(session, cipher)
    other = await ghl_workspace(session, cipher)
    now = utcnow().replace(microsecond=0)
    for i, (target, minutes) in enumerate(((workspace, 30), (workspace, 10), (other, 1))):
        session.add(
            WebhookEvent(
                provider=Provider.GHL,
                event_key=f"evt-{target.id}-{i}",
                workspace_id=target.id,
                raw_body=b"{}",
                received_at=now - timedelta(minutes=minutes),
            )
        )
    session.add(
        BackfillRun(
            workspace_id=workspace.id,
            status="succeeded",
            created_at=now - timedelta(hours=2),
            finished_at=now - timedelta(hours=1),
        )
    )
    await session.flush()
    await record_reconcile(
        session, workspace.id, Provider.GHL, at=now - timedelta(minutes=5), seen=4, errors=1
    )
    await record_reconcile(
        session, workspace.id, Provider.GHL, at=now - timedelta(minutes=50), seen=9, errors=0
    )

    quality = await workspace_data_quality(session, workspace)

    ghl, calendly = quality.providers
    assert ghl.last_webhook_received_iso == iso_utc(now - timedelta(minutes=10))
    assert calendly.last_webhook_received_iso is None
    assert ghl.last_reconcile_iso == iso_utc(now - timedelta(minutes=5))
    assert ghl.last_reconcile_errors == 1
    assert calendly.last_reconcile_iso is None
    assert quality.last_backfill_iso == iso_utc(now - timedelta(hours=1))
    assert quality.last_backfill_status == "succeeded"


async def test_data_quality_endpoints_for_a_workspace_and_for_the_operator(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    good = await ghl_workspace(session, cipher, name="A good")
    bad = await ghl_workspace(session, cipher, name="B bad")
    await cache_slots(session, good.id, ghl_source("cal-1"), utcnow(), 3)
    await cache_failure(session, bad.id, ghl_source("cal-1"), utcnow(), "not_found")
    key = {"Authorization": f"Bearer {await make_api_key(session, good)}"}

    own = await client.get(f"/v1/workspaces/{good.id}/data-quality", headers=key)
    foreign = await client.get(f"/v1/workspaces/{bad.id}/data-quality", headers=key)
    overview = await client.get("/v1/admin/data-quality", headers=admin_headers)
    doubtful = await client.get(
        "/v1/admin/data-quality", params={"trustworthy": "false"}, headers=admin_headers
    )

    assert own.status_code == 200
    assert own.json()["trustworthy"] is True
    assert own.json()["sources"][0]["source"] == AvailabilitySource.DEFAULT.value
    assert own.json()["sources"][0]["lastSuccessfulRefreshIso"].endswith("Z")
    assert foreign.status_code == 404
    body = overview.json()
    names = [row["workspaceName"] for row in body["items"]]
    assert names.index("B bad") < names.index("A good")
    assert body["untrustworthyCount"] >= 1
    assert "B bad" in [row["workspaceName"] for row in doubtful.json()["items"]]
    assert all(row["trustworthy"] is False for row in doubtful.json()["items"])
    bad_row = next(r for r in body["items"] if r["workspaceName"] == "B bad")
    assert bad_row["sources"][0]["lastErrorKind"] == "not_found"
