"""Calendly webhooks: verified, stored, applied once, in any order, with attribution."""

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity_service.db import create_sessionmaker
from capacity_service.jobs.context import WorkerResources
from capacity_service.kit.enums import AppointmentStatus
from capacity_service.kit.secrets import SecretCipher
from capacity_service.models import Appointment, Lead, WebhookEvent, Workspace
from tests.factories import make_workspace
from tests.support.webhook_jobs import ProcessWebhooks, process_committed_webhooks
from tests.webhooks.payloads import (
    EVENT_TYPE,
    START,
    calendly_event,
    calendly_sign,
    dumps,
    new_invitee_uri,
)

KEY = "calendly-signing-key-for-tests"


async def _workspace(session: AsyncSession, cipher: SecretCipher) -> Workspace:
    return await make_workspace(session, cipher, calendly_webhook_signing_key=KEY)


async def _post(
    client: httpx.AsyncClient,
    workspace: Workspace,
    document: dict[str, Any] | bytes,
    *,
    signature: str | None = None,
) -> httpx.Response:
    body = document if isinstance(document, bytes) else dumps(document)
    headers = {"Content-Type": "application/json"}
    headers["Calendly-Webhook-Signature"] = signature or calendly_sign(body, KEY)
    return await client.post(f"/v1/webhooks/calendly/{workspace.id}", content=body, headers=headers)


async def _appointments(session: AsyncSession) -> list[Appointment]:
    rows = await session.scalars(
        select(Appointment).execution_options(populate_existing=True).order_by(Appointment.start_at)
    )
    return list(rows.all())


async def _count(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_invitee_created_writes_attributed_appointment_and_creates_lead(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    process_webhooks: ProcessWebhooks,
) -> None:
    workspace = await _workspace(session, cipher)
    invitee = new_invitee_uri()

    response = await _post(client, workspace, calendly_event("invitee.created", invitee))

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "received"
    assert response.json()["duplicate"] is False
    assert await _appointments(session) == []  # applied by the worker, not the request
    assert await process_webhooks() == 1
    (row,) = await _appointments(session)
    assert row.calendly_invitee_uri == invitee
    assert row.calendly_event_type_uri == EVENT_TYPE
    assert row.calendly_scheduled_event_uri == invitee.split("/invitees/")[0]
    assert row.status is AppointmentStatus.CONFIRMED
    assert row.start_at == START
    assert row.workspace_id == workspace.id
    lead = await session.get(Lead, row.lead_id, populate_existing=True)
    assert lead is not None
    assert lead.email == "ada@example.com"
    assert lead.name == "Ada Lovelace"
    assert lead.latest_appointment_status is AppointmentStatus.CONFIRMED
    assert lead.latest_appointment_start_at == START


async def test_same_delivery_ten_times_is_one_row_and_one_stored_event(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    process_webhooks: ProcessWebhooks,
) -> None:
    workspace = await _workspace(session, cipher)
    document = calendly_event("invitee.created", new_invitee_uri())

    responses = [await _post(client, workspace, document) for _ in range(10)]

    assert [r.status_code for r in responses] == [200] * 10
    assert [r.json()["duplicate"] for r in responses] == [False] + [True] * 9
    assert len({r.json()["eventId"] for r in responses}) == 1
    assert await process_webhooks() == 1
    assert await _count(session, Appointment) == 1
    assert await _count(session, WebhookEvent) == 1


async def test_cancel_before_create_keeps_canceled(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    process_webhooks: ProcessWebhooks,
) -> None:
    workspace = await _workspace(session, cipher)
    invitee = new_invitee_uri()
    created = calendly_event("invitee.created", invitee)
    canceled = calendly_event(
        "invitee.canceled", invitee, status="canceled", updated_at=START - timedelta(days=1)
    )

    assert (await _post(client, workspace, canceled)).status_code == 200
    assert (await _post(client, workspace, created)).status_code == 200
    await process_webhooks()

    (row,) = await _appointments(session)
    assert row.status is AppointmentStatus.CANCELED
    assert row.calendly_event_type_uri == EVENT_TYPE


async def test_reschedule_marks_old_rescheduled_and_new_confirmed_in_either_order(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    process_webhooks: ProcessWebhooks,
) -> None:
    workspace = await _workspace(session, cipher)
    old, new = new_invitee_uri(), new_invitee_uri()
    later = START - timedelta(days=1)
    old_canceled = calendly_event(
        "invitee.canceled",
        old,
        status="canceled",
        rescheduled=True,
        new_invitee=new,
        updated_at=later,
    )
    new_created = calendly_event(
        "invitee.created", new, old_invitee=old, updated_at=later, start=START + timedelta(days=1)
    )
    old_created = calendly_event("invitee.created", old)

    for document in (new_created, old_canceled, old_created):
        assert (await _post(client, workspace, document)).status_code == 200
        await process_webhooks()

    rows = {r.calendly_invitee_uri: r for r in await _appointments(session)}
    assert rows[old].status is AppointmentStatus.RESCHEDULED
    assert rows[new].status is AppointmentStatus.CONFIRMED
    assert rows[new].lead_id == rows[old].lead_id
    lead = await session.get(Lead, rows[new].lead_id, populate_existing=True)
    assert lead is not None
    assert lead.latest_appointment_status is AppointmentStatus.CONFIRMED


async def test_no_show_and_its_undo(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    process_webhooks: ProcessWebhooks,
) -> None:
    workspace = await _workspace(session, cipher)
    invitee = new_invitee_uri()
    await _post(client, workspace, calendly_event("invitee.created", invitee))
    await process_webhooks()
    marked = calendly_event(
        "invitee_no_show.created", invitee, no_show=True, updated_at=START + timedelta(hours=1)
    )
    assert (await _post(client, workspace, marked)).status_code == 200
    await process_webhooks()
    assert (await _appointments(session))[0].status is AppointmentStatus.NO_SHOW

    undone = calendly_event(
        "invitee_no_show.deleted",
        invitee,
        updated_at=START + timedelta(hours=1),
        created_at=START + timedelta(hours=2),
    )
    assert (await _post(client, workspace, undone)).status_code == 200
    await process_webhooks()
    assert (await _appointments(session))[0].status is AppointmentStatus.CONFIRMED


async def test_unknown_event_type_is_stored_and_acknowledged(
    client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _workspace(session, cipher)
    document = {"event": "routing_form_submission.created", "created_at": "x", "payload": {}}

    response = await _post(client, workspace, document)

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert await _count(session, WebhookEvent) == 1
    assert await _count(session, Appointment) == 0


async def test_bad_signature_is_401_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _workspace(session, cipher)
    body = dumps(calendly_event("invitee.created", new_invitee_uri()))

    wrong_key = await _post(client, workspace, body, signature=calendly_sign(body, "other"))
    tampered = await _post(
        client, workspace, body.replace(b"Ada", b"Eve"), signature=calendly_sign(body, KEY)
    )
    garbled = await _post(client, workspace, body, signature="v1=abc")
    missing = await client.post(f"/v1/webhooks/calendly/{workspace.id}", content=body)

    for response in (wrong_key, tampered, garbled, missing):
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "unauthorized"
    assert await _count(session, WebhookEvent) == 0
    assert await _count(session, Appointment) == 0


async def test_stale_timestamp_is_401_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _workspace(session, cipher)
    body = dumps(calendly_event("invitee.created", new_invitee_uri()))

    stale = await _post(
        client, workspace, body, signature=calendly_sign(body, KEY, at=int(time.time()) - 3600)
    )

    assert stale.status_code == 401
    assert "tolerance" in stale.json()["detail"]
    assert await _count(session, WebhookEvent) == 0
    assert await _count(session, Appointment) == 0


async def test_unknown_workspace_is_404_and_workspace_without_key_is_401(
    client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    body = dumps(calendly_event("invitee.created", new_invitee_uri()))
    headers = {"Calendly-Webhook-Signature": calendly_sign(body, KEY)}
    unknown = await client.post(
        "/v1/webhooks/calendly/00000000-0000-0000-0000-000000000000", content=body, headers=headers
    )
    keyless = await make_workspace(session)
    no_key = await client.post(f"/v1/webhooks/calendly/{keyless.id}", content=body, headers=headers)

    assert unknown.status_code == 404
    assert no_key.status_code == 401
    assert await _count(session, WebhookEvent) == 0
    assert await _count(session, Appointment) == 0


async def test_other_workspaces_key_does_not_verify(
    client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    await _workspace(session, cipher)
    other = await make_workspace(session, cipher, calendly_webhook_signing_key="another-key")
    body = dumps(calendly_event("invitee.created", new_invitee_uri()))

    response = await _post(client, other, body)

    assert response.status_code == 401
    assert await _count(session, Appointment) == 0


async def test_malformed_json_is_400_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _workspace(session, cipher)

    not_json = await _post(client, workspace, b'{"event": "invitee.created",')
    not_object = await _post(client, workspace, b"[1, 2]")

    assert not_json.status_code == 400
    assert not_object.status_code == 400
    assert await _count(session, WebhookEvent) == 0
    assert await _count(session, Appointment) == 0


async def test_missing_fields_is_422_kept_as_failed_and_writes_no_appointment(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
) -> None:
    workspace = await _workspace(session, cipher)
    document = calendly_event("invitee.created", new_invitee_uri())
    del document["payload"]["scheduled_event"]["start_time"]
    no_payload = {"event": "invitee.created", "created_at": "2030-01-01T00:00:00Z"}

    response = await _post(client, workspace, document)
    envelope = await _post(client, workspace, no_payload)

    assert response.status_code == 422, response.text
    assert "start_time" in response.json()["detail"]
    assert response.json()["status"] == "failed"
    assert envelope.status_code == 422
    assert await _count(session, Appointment) == 0
    failed = await client.get("/v1/admin/webhook-events?status=failed", headers=admin_headers)
    assert failed.json()["total"] == 2
    replayed = await client.post(
        f"/v1/admin/webhook-events/{response.json()['eventId']}/replay", headers=admin_headers
    )
    assert replayed.status_code == 200
    assert replayed.json()["status"] == "failed"
    assert replayed.json()["attempts"] == 2


async def test_concurrent_delivery_of_one_event_gives_one_row(
    committing_app: FastAPI, engine: AsyncEngine, cipher: SecretCipher
) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        workspace = await _workspace(session, cipher)
    document = calendly_event("invitee.created", new_invitee_uri())
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        responses = await asyncio.gather(*(_post(client, workspace, document) for _ in range(8)))

    assert [r.status_code for r in responses] == [200] * 8
    assert sorted(r.json()["duplicate"] for r in responses) == [False] + [True] * 7
    resources = WorkerResources(
        settings=committing_app.state.settings,
        engine=engine,
        sessionmaker=sessions,
        providers=committing_app.state.providers,
        cipher=cipher,
    )
    assert await process_committed_webhooks(resources) == 1
    async with sessions() as session:
        assert await _count(session, Appointment) == 1
        assert await _count(session, WebhookEvent) == 1
        assert await _count(session, Lead) == 1
        stored = await session.scalar(select(WebhookEvent))
        assert stored is not None
        assert json.loads(stored.raw_body)["event"] == "invitee.created"
