"""Receipt stores and queues; a worker applies. No acknowledged event is left unapplied."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.config import Settings
from capacity_service.jobs.context import WorkerResources
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import Appointment, WebhookEvent, Workspace
from capacity_service.webhooks.dispatch import PROCESS_ENTRYPOINT
from capacity_service.webhooks.schemas import WebhookAck
from capacity_service.webhooks.tasks import sweep_task
from tests.factories import make_workspace
from tests.support.webhook_jobs import ProcessWebhooks
from tests.webhooks.payloads import calendly_event, calendly_sign, dumps, new_invitee_uri

KEY = "calendly-signing-key-for-the-queue"


async def _workspace(session: AsyncSession, cipher: SecretCipher) -> Workspace:
    return await make_workspace(session, cipher, calendly_webhook_signing_key=KEY)


async def _post(
    client: httpx.AsyncClient, workspace: Workspace, document: dict[str, Any]
) -> httpx.Response:
    body = dumps(document)
    return await client.post(
        f"/v1/webhooks/calendly/{workspace.id}",
        content=body,
        headers={"Calendly-Webhook-Signature": calendly_sign(body, KEY)},
    )


async def _queued_jobs(session: AsyncSession) -> int:
    statement = text("SELECT count(*) FROM pgqueuer WHERE entrypoint = :entrypoint")
    return int(await session.scalar(statement, {"entrypoint": PROCESS_ENTRYPOINT}) or 0)


async def _appointments(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Appointment)) or 0)


async def _drop_queued_jobs(session: AsyncSession) -> None:
    """What a lost job looks like: pgqueuer deletes a job whose handler raised."""
    await session.execute(
        text("DELETE FROM pgqueuer WHERE entrypoint = :entrypoint"),
        {"entrypoint": PROCESS_ENTRYPOINT},
    )


async def test_an_accepted_delivery_is_queued_once_and_applied_by_the_job(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    process_webhooks: ProcessWebhooks,
) -> None:
    workspace = await _workspace(session, cipher)
    document = calendly_event("invitee.created", new_invitee_uri())

    first = await _post(client, workspace, document)
    again = await _post(client, workspace, document)

    assert (first.json()["status"], again.json()["status"]) == ("received", "received")
    assert set(first.json()) == set(WebhookAck.model_json_schema(by_alias=True)["properties"])
    assert WebhookAck.model_validate(first.json()).event_id == uuid.UUID(first.json()["eventId"])
    assert again.json()["duplicate"] is True
    assert await _queued_jobs(session) == 1
    assert await _appointments(session) == 0
    assert await process_webhooks() == 1
    assert await _appointments(session) == 1
    event = await session.get(WebhookEvent, first.json()["eventId"], populate_existing=True)
    assert event is not None
    assert (event.status, event.attempts) == ("processed", 1)


async def test_a_refused_payload_is_not_queued(
    client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _workspace(session, cipher)
    without_email = calendly_event("invitee.created", new_invitee_uri())
    del without_email["payload"]["email"]
    other_type = {"event": "routing_form_submission.created", "created_at": "x", "payload": {}}

    refused = await _post(client, workspace, without_email)
    ignored = await _post(client, workspace, other_type)

    assert refused.status_code == 422, refused.text
    assert "no email" in refused.json()["detail"]
    assert (ignored.status_code, ignored.json()["status"]) == (200, "ignored")
    assert await _queued_jobs(session) == 0


async def test_redelivery_of_an_event_whose_job_was_lost_queues_it_again(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    process_webhooks: ProcessWebhooks,
) -> None:
    workspace = await _workspace(session, cipher)
    document = calendly_event("invitee.created", new_invitee_uri())
    await _post(client, workspace, document)
    await _drop_queued_jobs(session)

    again = await _post(client, workspace, document)

    assert again.json()["duplicate"] is True
    assert await process_webhooks() == 1
    assert await _appointments(session) == 1


async def test_the_sweep_queues_events_left_waiting_and_only_those(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    cipher: SecretCipher,
    process_webhooks: ProcessWebhooks,
) -> None:
    workspace = await _workspace(session, cipher)
    lost = await _post(client, workspace, calendly_event("invitee.created", new_invitee_uri()))
    recent = await _post(client, workspace, calendly_event("invitee.created", new_invitee_uri()))
    await _drop_queued_jobs(session)
    await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == lost.json()["eventId"])
        .values(received_at=utcnow() - timedelta(minutes=10))
    )
    resources = WorkerResources(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        providers=app.state.providers,
        cipher=cipher,
    )

    await sweep_task(resources)

    assert await _queued_jobs(session) == 1
    assert await process_webhooks() == 1
    rows = await session.execute(select(WebhookEvent.id, WebhookEvent.status))
    statuses = {str(event_id): status for event_id, status in rows}
    assert statuses[lost.json()["eventId"]] == "processed"
    assert statuses[recent.json()["eventId"]] == "received"  # its job may just be running


async def test_a_job_for_an_event_already_applied_by_a_replay_does_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    admin_headers: dict[str, str],
    process_webhooks: ProcessWebhooks,
) -> None:
    workspace = await _workspace(session, cipher)
    received = await _post(client, workspace, calendly_event("invitee.created", new_invitee_uri()))
    event_id = received.json()["eventId"]

    replayed = await client.post(
        f"/v1/admin/webhook-events/{event_id}/replay", headers=admin_headers
    )
    assert replayed.json()["status"] == "processed"
    assert await process_webhooks() == 1

    event = await session.get(WebhookEvent, event_id, populate_existing=True)
    assert event is not None
    assert event.attempts == 1  # the job found it applied and left it alone
    assert await _appointments(session) == 1


async def test_text_the_database_refuses_is_422_not_500(
    client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await _workspace(session, cipher)
    document = {"event": "routing_form\u0000submission.created", "payload": {}}

    response = await _post(client, workspace, document)

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
