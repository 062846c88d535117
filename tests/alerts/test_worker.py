"""End to end: a real worker evaluates, delivers to a receiver that fails once, and retries."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from capacity_service.alerts.dispatch import enqueue_alert_evaluation
from capacity_service.alerts.signing import verify_signature
from capacity_service.config import Settings
from capacity_service.db import create_sessionmaker
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.models import AlertDelivery
from tests.alerts.conftest import cache_slots, ghl_source
from tests.alerts.receiver import Receiver, run_receiver
from tests.factories import make_appointment, make_lead, make_workspace
from tests.support.worker import run_worker

SECRET = "operator-secret-for-e2e-0123"
DEADLINE_SECONDS = 60

pytestmark = pytest.mark.slow


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with run_receiver([500, 200]) as running:
        yield running


@pytest.fixture
async def worker(
    settings: Settings, receiver: Receiver, tmp_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {
        "CAPACITY_ALERT_WEBHOOK_URL": receiver.url,
        "CAPACITY_ALERT_WEBHOOK_SECRET": SECRET,
        "CAPACITY_ALERT_DELIVERY_BACKOFF_SECONDS": "0.5",
    }
    async with run_worker(settings, tmp_path, env) as process:
        yield process


async def test_a_worker_fires_an_alert_and_retries_a_receiver_that_answered_500(
    committing_app: FastAPI,
    engine: AsyncEngine,
    cipher: SecretCipher,
    receiver: Receiver,
    worker: asyncio.subprocess.Process,
) -> None:
    sessionmaker = create_sessionmaker(engine)
    now = utcnow()
    async with sessionmaker() as session, session.begin():
        workspace = await make_workspace(session, cipher, ghl_default_calendar_id="cal-e2e")
        await cache_slots(session, workspace.id, ghl_source("cal-e2e"), now, 1)
        lead = await make_lead(session, workspace)
        for hour in range(9):
            await make_appointment(
                session,
                lead,
                start_at=now + timedelta(days=2, hours=hour),
                ghl_calendar_id="cal-e2e",
            )
        await enqueue_alert_evaluation(session, workspace.id)

    delivery = None
    for _ in range(DEADLINE_SECONDS * 10):
        async with sessionmaker() as session:
            delivery = await session.scalar(select(AlertDelivery))
        if delivery is not None and delivery.status != "pending":
            break
        assert worker.returncode is None, "the worker exited"
        await asyncio.sleep(0.1)

    assert delivery is not None
    assert delivery.status == "delivered"
    assert delivery.attempts == 2
    assert delivery.last_status_code == 200
    assert len(receiver.requests) == 2
    bodies = {body for _, body in receiver.requests}
    assert len(bodies) == 1
    for headers, body in receiver.requests:
        assert verify_signature(
            SECRET, headers["capacity-signature"], body, now=int(utcnow().timestamp())
        )
    payload = json.loads(bodies.pop())
    assert payload["type"] == "alert.fired"
    assert payload["alert"]["kind"] == "over_capacity"
    assert payload["alert"]["figures"]["bookedPct"] == 90.0
