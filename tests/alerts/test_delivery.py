"""Outgoing alert webhooks: signed, retried with backoff by the queue, every attempt recorded."""

import hashlib
import hmac
import json
from datetime import timedelta

import httpx
import pytest
import respx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.alerts.delivery import attempt_delivery
from capacity_service.alerts.dispatch import DELIVER_ENTRYPOINT
from capacity_service.alerts.service import evaluate_workspace_alerts
from capacity_service.alerts.signing import verify_signature
from capacity_service.config import Settings
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import AlertDelivery, Workspace, WorkspaceAlertSettings
from tests.alerts.conftest import HOOK_SECRET, HOOK_URL, cache_slots, ghl_source, queued_jobs
from tests.factories import make_appointment, make_lead, make_workspace

CLIENT_URL = "https://client.example.test/capacity"
CLIENT_SECRET = "client-secret-abcdef0123456789"


async def fire_over_capacity(
    session: AsyncSession, cipher: SecretCipher, settings: Settings, *, client_hook: bool = False
) -> tuple[Workspace, list[AlertDelivery]]:
    workspace = await make_workspace(session, cipher, ghl_default_calendar_id="cal-1")
    if client_hook:
        session.add(
            WorkspaceAlertSettings(
                workspace_id=workspace.id,
                webhook_url=CLIENT_URL,
                webhook_secret_encrypted=cipher.encrypt(CLIENT_SECRET),
            )
        )
    now = utcnow()
    await cache_slots(session, workspace.id, ghl_source("cal-1"), now, 0)
    lead = await make_lead(session, workspace)
    await make_appointment(session, lead, start_at=now + timedelta(days=1), ghl_calendar_id="cal-1")
    result = await evaluate_workspace_alerts(session, workspace, now, settings=settings)
    return workspace, result.deliveries


async def reload(session: AsyncSession, delivery: AlertDelivery) -> AlertDelivery:
    return (
        await session.scalars(
            select(AlertDelivery)
            .where(AlertDelivery.id == delivery.id)
            .execution_options(populate_existing=True)
        )
    ).one()


def independent_check(secret: str, header: str, body: bytes) -> bool:
    """The README's scheme, written afresh: t=<unix>,v1=hex(HMAC-SHA256(t + "." + body))."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    mac = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), fields["v1"])


async def test_the_webhook_signature_verifies_with_the_documented_scheme(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    cipher: SecretCipher,
    operator_settings: Settings,
) -> None:
    workspace, deliveries = await fire_over_capacity(
        session, cipher, operator_settings, client_hook=True
    )
    by_target = {d.target: d for d in deliveries}
    with respx.mock(assert_all_called=True) as mock:
        operator = mock.post(HOOK_URL).respond(204)
        client = mock.post(CLIENT_URL).respond(200)
        for delivery in deliveries:
            await attempt_delivery(sessionmaker, cipher, operator_settings, delivery.id)

    for route, secret, target in (
        (operator, HOOK_SECRET, "operator"),
        (client, CLIENT_SECRET, "workspace"),
    ):
        request = route.calls.last.request
        header = request.headers["Capacity-Signature"]
        assert independent_check(secret, header, request.content)
        assert not independent_check("another-secret-0123456789", header, request.content)
        assert verify_signature(secret, header, request.content, now=int(utcnow().timestamp()))
        assert request.headers["Capacity-Delivery"] == str(by_target[target].id)
        body = json.loads(request.content)
        assert body["type"] == "alert.fired"
        assert body["alert"]["workspaceId"] == str(workspace.id)
        assert body["alert"]["kind"] in {"over_capacity", "no_availability"}
    assert {(await reload(session, d)).status for d in deliveries} == {"delivered"}


async def test_a_receiver_answering_500_is_retried_later_and_each_attempt_is_recorded(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    cipher: SecretCipher,
    operator_settings: Settings,
) -> None:
    _, deliveries = await fire_over_capacity(session, cipher, operator_settings)
    delivery = deliveries[0]
    before = utcnow()

    with respx.mock(assert_all_called=True) as mock:
        mock.post(HOOK_URL).mock(side_effect=[httpx.Response(500), httpx.Response(200)])
        first = await attempt_delivery(sessionmaker, cipher, operator_settings, delivery.id)
        failed = await reload(session, delivery)
        retries = [
            job
            for job in await queued_jobs(session, DELIVER_ENTRYPOINT)
            if str(job["dedupe_key"]).endswith(f"{delivery.id}:2")
        ]
        second = await attempt_delivery(sessionmaker, cipher, operator_settings, delivery.id)

    assert first == "pending"
    assert failed.attempts == 1
    assert failed.last_status_code == 500
    assert failed.last_error == "receiver answered HTTP 500"
    assert failed.next_attempt_at is not None
    assert failed.next_attempt_at >= before + timedelta(
        seconds=operator_settings.alert_delivery_backoff_seconds
    )
    assert len(retries) == 1
    assert retries[0]["execute_after"] - retries[0]["created"] == timedelta(  # type: ignore[operator]
        seconds=operator_settings.alert_delivery_backoff_seconds
    )
    assert second == "delivered"
    done = await reload(session, delivery)
    assert done.attempts == 2
    assert done.last_status_code == 200
    assert done.last_error is None
    assert done.delivered_at is not None


async def test_a_delivery_gives_up_after_the_last_attempt(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    cipher: SecretCipher,
    operator_settings: Settings,
) -> None:
    settings = operator_settings.model_copy(update={"alert_delivery_max_attempts": 2})
    _, deliveries = await fire_over_capacity(session, cipher, settings)
    delivery = deliveries[0]

    with respx.mock() as mock:
        mock.post(HOOK_URL).mock(side_effect=httpx.ConnectError("refused"))
        statuses = [
            await attempt_delivery(sessionmaker, cipher, settings, delivery.id) for _ in range(3)
        ]

    assert statuses == ["pending", "failed", None]
    final = await reload(session, delivery)
    assert final.attempts == 2
    assert final.last_status_code is None
    assert final.last_error is not None
    assert "ConnectError" in final.last_error
    attempt_jobs = [
        str(job["dedupe_key"]).rsplit(":", 1)[1]
        for job in await queued_jobs(session, DELIVER_ENTRYPOINT)
        if str(delivery.id) in str(job["dedupe_key"])
    ]
    assert sorted(attempt_jobs) == ["1", "2"]


@pytest.mark.parametrize("age", [0, 299])
def test_verify_signature_accepts_fresh_and_rejects_old_or_tampered(age: int) -> None:
    from capacity_service.alerts.signing import signature_header

    body = b'{"a":1}'
    header = signature_header("k" * 20, 1_000_000, body)

    assert verify_signature("k" * 20, header, body, now=1_000_000 + age)
    assert not verify_signature("k" * 20, header, body, now=1_000_000 + 301)
    assert not verify_signature("k" * 20, header, b'{"a":2}', now=1_000_000 + age)
