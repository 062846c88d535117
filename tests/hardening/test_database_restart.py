"""PostgreSQL stops in the middle of webhook ingestion and comes back.

While it is down every delivery is answered 503 (so the provider retries it), never a 2xx for
an event that was not stored; once it is back the same app, untouched, stores deliveries again;
and every delivery that was acknowledged is in the database, stored and queued, and is applied
by the processing job once it runs.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from capacity_service.config import Settings
from capacity_service.db import create_engine, create_sessionmaker
from capacity_service.jobs.context import WorkerResources
from capacity_service.kit.secrets import SecretCipher
from capacity_service.main import create_app
from capacity_service.migrations import upgrade
from tests.conftest import ADMIN_TOKEN, ENCRYPTION_KEY
from tests.factories import make_workspace
from tests.hardening.postgres_cluster import PostgresCluster, postgres_cluster
from tests.support.webhook_jobs import process_committed_webhooks
from tests.webhooks.payloads import calendly_event, calendly_sign, dumps, new_invitee_uri

SIGNING_KEY = "restart-signing-key-0123456789"
DEADLINE_SECONDS = 60


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[PostgresCluster]:
    with postgres_cluster(tmp_path) as cluster:
        yield cluster


@pytest.fixture
async def cluster_app(cluster: PostgresCluster) -> AsyncIterator[tuple[FastAPI, uuid.UUID]]:
    url = cluster.url.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_engine(url, pool_size=2)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as session, session.begin():
            workspace = await make_workspace(
                session,
                SecretCipher([ENCRYPTION_KEY]),
                calendly_webhook_signing_key=SIGNING_KEY,
            )
    finally:
        await engine.dispose()
    settings = Settings(
        database_url=url,
        admin_token=SecretStr(ADMIN_TOKEN),
        encryption_key=SecretStr(ENCRYPTION_KEY),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app, workspace.id


async def deliver(client: httpx.AsyncClient, workspace_id: uuid.UUID) -> tuple[str, int]:
    invitee = new_invitee_uri()
    body = dumps(calendly_event("invitee.created", invitee))
    response = await client.post(
        f"/v1/webhooks/calendly/{workspace_id}",
        content=body,
        headers={"Calendly-Webhook-Signature": calendly_sign(body, SIGNING_KEY)},
    )
    return invitee, response.status_code


async def test_deliveries_during_an_outage_get_503_and_the_service_recovers_by_itself(
    cluster: PostgresCluster, cluster_app: tuple[FastAPI, uuid.UUID]
) -> None:
    app, workspace_id = cluster_app
    answers: list[tuple[str, int, str]] = []  # invitee, status, phase
    phase = "before"
    stop = asyncio.Event()

    async def sender(client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            invitee, status = await deliver(client, workspace_id)
            answers.append((invitee, status, phase))
            await asyncio.sleep(0.005)

    def count(phase_name: str, status: int) -> int:
        return sum(1 for _, s, p in answers if p == phase_name and s == status)

    async def wait_for(predicate: object) -> None:
        assert callable(predicate)
        deadline = asyncio.get_running_loop().time() + DEADLINE_SECONDS
        while not predicate():
            assert asyncio.get_running_loop().time() < deadline, answers[-5:]
            await asyncio.sleep(0.05)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        senders = [asyncio.create_task(sender(client)) for _ in range(4)]
        try:
            await wait_for(lambda: count("before", 200) >= 20)
            phase = "stopping"
            await asyncio.to_thread(cluster.stop)
            phase = "down"
            await wait_for(lambda: count("down", 503) >= 10)
            phase = "starting"
            await asyncio.to_thread(cluster.start)
            phase = "after"
            await wait_for(lambda: count("after", 200) >= 20)
        finally:
            stop.set()
            await asyncio.gather(*senders, return_exceptions=True)

    statuses = {status for _, status, _ in answers}
    assert statuses <= {200, 503}, answers
    assert not [a for a in answers if a[2] == "down" and a[1] != 503]

    acknowledged = {invitee for invitee, status, _ in answers if status == 200}
    connection = await asyncpg.connect(cluster.url)
    try:
        received = {
            row["uri"]
            for row in await connection.fetch(
                "SELECT convert_from(raw_body, 'UTF8')::jsonb #>> '{payload,uri}' AS uri "
                "FROM webhook_event WHERE workspace_id = $1",
                workspace_id,
            )
        }
        await process_committed_webhooks(
            WorkerResources(
                settings=app.state.settings,
                engine=app.state.engine,
                sessionmaker=app.state.sessionmaker,
                providers=app.state.providers,
                cipher=app.state.cipher,
            )
        )
        stored = {
            row["calendly_invitee_uri"]
            for row in await connection.fetch(
                "SELECT calendly_invitee_uri FROM appointment WHERE workspace_id = $1",
                workspace_id,
            )
        }
    finally:
        await connection.close()
    assert acknowledged <= received, f"{len(acknowledged - received)} acknowledged but not stored"
    assert acknowledged <= stored, f"{len(acknowledged - stored)} acknowledged but not applied"
    # A 503 may still have committed (the answer was lost, not the write); never the reverse.
    assert len(acknowledged) <= len(received) <= len(answers)
