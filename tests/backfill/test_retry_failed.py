"""Asking again about rows an earlier run marked as permanently failed, only when told to."""

import asyncio
import uuid

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from capacity_service.backfill.lock import workspace_backfill_lock
from capacity_service.cli import app
from capacity_service.kit.enums import Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Appointment, BackfillRun, Workspace
from capacity_service.providers.fake import FakeProviderServer
from tests.backfill.conftest import rows_of, seed
from tests.backfill.test_cli import cli_env
from tests.factories import make_appointment, make_lead, make_workspace

LOOKUP_404 = "ghl: GET /calendars/events/appointments/x failed: not found (HTTP 404)"


async def failed_rows(session: AsyncSession, workspace: Workspace) -> dict[str, Appointment]:
    """Rows an earlier run marked: two still unattributed (one per provider), one attributed
    since (by a webhook, say)."""
    lead = await make_lead(session, workspace)
    marked = {"attribution_lookup_error": LOOKUP_404, "attribution_lookup_failed_at": utcnow()}
    return {
        "ghl": await make_appointment(session, lead, **marked),
        "calendly": await make_appointment(session, lead, provider=Provider.CALENDLY, **marked),
        "attributed": await make_appointment(session, lead, ghl_calendar_id="cal-1", **marked),
    }


async def test_retry_failed_clears_the_lookup_errors_of_the_workspaces_unattributed_rows(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    rows = await failed_rows(session, workspace)
    other = await failed_rows(session, await make_workspace(session))

    response = await client.post(
        f"/v1/admin/workspaces/{workspace.id}/backfill",
        json={"retryFailed": True},
        headers=admin_headers,
    )

    assert response.status_code == 202
    assert response.json()["failedRowsCleared"] == 2
    for row in (*rows.values(), *other.values()):
        await session.refresh(row)
    assert rows["ghl"].attribution_lookup_error is None
    assert rows["ghl"].attribution_lookup_failed_at is None
    assert rows["calendly"].attribution_lookup_error is None
    assert rows["attributed"].attribution_lookup_error == LOOKUP_404
    assert all(r.attribution_lookup_error == LOOKUP_404 for r in other.values())


async def test_without_retry_failed_marked_rows_stay_skipped(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    rows = await failed_rows(session, workspace)
    url = f"/v1/admin/workspaces/{workspace.id}/backfill"

    response = await client.post(url, headers=admin_headers)
    explicit = await client.post(url, json={"retryFailed": False}, headers=admin_headers)

    assert response.status_code == 202
    assert response.json()["failedRowsCleared"] == 0
    assert explicit.json()["failedRowsCleared"] == 0
    await session.refresh(rows["ghl"])
    assert rows["ghl"].attribution_lookup_error == LOOKUP_404


async def test_retry_failed_while_a_run_is_running_clears_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    engine: AsyncEngine,
    admin_headers: dict[str, str],
) -> None:
    workspace = await make_workspace(session)
    rows = await failed_rows(session, workspace)
    url = f"/v1/admin/workspaces/{workspace.id}/backfill"
    first = (await client.post(url, headers=admin_headers)).json()
    await session.execute(
        update(BackfillRun)
        .where(BackfillRun.id == uuid.UUID(first["runId"]))
        .values(status="running", started_at=utcnow())
    )

    async with workspace_backfill_lock(engine, workspace.id) as held:
        assert held
        response = await client.post(url, json={"retryFailed": True}, headers=admin_headers)

    assert response.json()["alreadyRunning"] is True
    assert response.json()["failedRowsCleared"] == 0
    await session.refresh(rows["ghl"])
    assert rows["ghl"].attribution_lookup_error == LOOKUP_404


async def test_cli_retry_failed_asks_again_about_marked_rows(
    db: async_sessionmaker[AsyncSession],
    fake_server: FakeProviderServer,
    cipher: SecretCipher,
    database_url: str,
) -> None:
    fake_server.state.reset()
    seeded = await seed(db, fake_server.state, cipher, ghl=2)
    marked_id = next(iter(seeded.ghl_rows.values()))
    async with db() as session, session.begin():
        await session.execute(
            update(Appointment)
            .where(Appointment.id == marked_id)
            .values(attribution_lookup_error=LOOKUP_404, attribution_lookup_failed_at=utcnow())
        )

    # The command runs its own event loop: give it a thread of its own.
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["backfill", str(seeded.workspace_id), "--retry-failed"],
        env=cli_env(database_url, fake_server),
    )

    assert result.exit_code == 0, result.output
    assert "cleared 1 earlier lookup failures" in result.output
    assert "succeeded: 2 HighLevel and 0 Calendly appointments attributed of 2" in result.output
    rows = await rows_of(db, seeded.workspace_id)
    assert rows[marked_id].ghl_calendar_id == seeded.calendar_id
    assert rows[marked_id].attribution_lookup_error is None
