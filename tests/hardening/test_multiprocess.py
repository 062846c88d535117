"""Two API processes and two workers against one database, as production scales out.

Duplicate webhooks and a booking retried with one Idempotency-Key, sent to both APIs at once,
leave one row each; a backfill asked for through both APIs runs once, on one worker; a write
through one API evicts the analytics answer the other holds in memory.
"""

import asyncio
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from capacity_service.kit.secrets import SecretCipher
from capacity_service.providers.fake import FakeProviderServer
from tests.backfill.conftest import seed as seed_unattributed
from tests.conftest import ADMIN_TOKEN, ENCRYPTION_KEY
from tests.hardening.seed import SIGNING_KEY, SeededWorkspace, seed_workspace
from tests.webhooks.payloads import calendly_event, calendly_sign, dumps, new_invitee_uri

pytestmark = pytest.mark.slow

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
START_DEADLINE_SECONDS = 60
JOB_DEADLINE_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[tuple[asyncio.subprocess.Process, Path]] = []

    async def start(self, name: str, *args: str) -> asyncio.subprocess.Process:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "capacity_service.cli",
                *args,
                env=self.env,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        self.started.append((process, log))
        return process

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for _, log in self.started)

    async def stop(self) -> None:
        for process, _ in self.started:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in self.started:
            try:
                await asyncio.wait_for(process.wait(), timeout=15)
            except TimeoutError:
                process.kill()
                await process.wait()


@pytest.fixture(scope="module")
async def deployment(
    own_database_url: str, fake_server: FakeProviderServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[list[str]]:
    """Base URLs of two `serve` processes; two `worker` processes beside them."""
    logs = tmp_path_factory.mktemp("processes")
    env = {
        **os.environ,
        "CAPACITY_DATABASE_URL": own_database_url,
        "CAPACITY_ADMIN_TOKEN": ADMIN_TOKEN,
        "CAPACITY_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "CAPACITY_GHL_BASE_URL": fake_server.ghl_base_url,
        "CAPACITY_CALENDLY_BASE_URL": fake_server.calendly_base_url,
        "CAPACITY_PROVIDER_RETRY_MAX_SECONDS": "2",
        "CAPACITY_DATA_DIR": str(logs),
        "CAPACITY_LOG_LEVEL": "warning",
        # Far longer than any wait here: an analytics answer that changes within the wait
        # was evicted by the database's change notification, not by expiry.
        "CAPACITY_ANALYTICS_CACHE_SECONDS": "3600",
    }
    processes = Processes(env, logs)
    ports = [free_port(), free_port()]
    try:
        for i, port in enumerate(ports):
            await processes.start(f"api{i}", "serve", "--port", str(port))
        for i in range(2):
            await processes.start(f"worker{i}", "worker", "--concurrency", "4")
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        async with httpx.AsyncClient() as client:
            for url in urls:
                await wait_until_up(client, url, processes)
        yield urls
    finally:
        await processes.stop()


async def wait_until_up(client: httpx.AsyncClient, url: str, processes: Processes) -> None:
    deadline = asyncio.get_running_loop().time() + START_DEADLINE_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        assert all(p.returncode is None for p, _ in processes.started), processes.output()
        try:
            if (await client.get(f"{url}/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"{url} did not start\n{processes.output()}")


@pytest.fixture(scope="module")
async def seeded(own_database_url: str, fake_server: FakeProviderServer) -> SeededWorkspace:
    from pydantic import SecretStr

    from capacity_service.config import Settings
    from capacity_service.db import create_engine, create_sessionmaker

    engine = create_engine(own_database_url, pool_size=2)
    settings = Settings(
        database_url=own_database_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        encryption_key=SecretStr(ENCRYPTION_KEY),
    )
    try:
        return await seed_workspace(
            create_sessionmaker(engine), SecretCipher([ENCRYPTION_KEY]), settings, fake_server
        )
    finally:
        await engine.dispose()


async def fetchval(url: str, query: str, *args: object) -> object:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()


async def test_duplicate_webhooks_through_both_apis_at_once_store_one_row_each(
    deployment: list[str], seeded: SeededWorkspace, own_database_url: str
) -> None:
    invitees = [new_invitee_uri() for _ in range(15)]
    bodies = [dumps(calendly_event("invitee.created", invitee)) for invitee in invitees]
    path = f"/v1/webhooks/calendly/{seeded.workspace_id}"
    async with httpx.AsyncClient(timeout=30) as client:
        sends = [
            client.post(
                deployment[copy % 2] + path,
                content=body,
                headers={"Calendly-Webhook-Signature": calendly_sign(body, SIGNING_KEY)},
            )
            for body in bodies
            for copy in range(6)
        ]
        answers = await asyncio.gather(*sends)

    assert {a.status_code for a in answers} == {200}, [a.text for a in answers][:3]
    assert sum(1 for a in answers if a.json()["duplicate"] is False) == len(invitees)

    async def waiting() -> object:
        return await fetchval(
            own_database_url,
            "SELECT count(*) FROM webhook_event WHERE workspace_id = $1 AND status = 'received'",
            seeded.workspace_id,
        )

    deadline = asyncio.get_running_loop().time() + 60
    while await waiting() != 0:  # both workers apply the queued events
        assert asyncio.get_running_loop().time() < deadline, "events left unprocessed"
        await asyncio.sleep(0.1)
    stored = await fetchval(
        own_database_url,
        "SELECT count(*) FROM appointment WHERE calendly_invitee_uri = ANY($1::text[])",
        invitees,
    )
    events = await fetchval(
        own_database_url,
        "SELECT count(*) FROM webhook_event WHERE workspace_id = $1 AND provider = 'calendly'",
        seeded.workspace_id,
    )
    assert (stored, events) == (len(invitees), len(invitees))


async def test_one_booking_retried_through_both_apis_at_once_books_once(
    deployment: list[str],
    seeded: SeededWorkspace,
    fake_server: FakeProviderServer,
    own_database_url: str,
) -> None:
    slot = fake_server.state.ghl_free_slots(seeded.calendar_id)[5]
    before = len(fake_server.state.ghl_appointments)
    body = {"provider": "ghl", "leadId": str(seeded.lead_id), "startTime": slot.isoformat()}
    headers = {**ADMIN, "Idempotency-Key": f"multi-{uuid.uuid4().hex}"}
    path = f"/v1/workspaces/{seeded.workspace_id}/bookings"
    async with httpx.AsyncClient(timeout=30) as client:
        answers = await asyncio.gather(
            *(client.post(deployment[i % 2] + path, headers=headers, json=body) for i in range(8))
        )
        # Once the first has finished, every repeat gets its result.
        settled = await client.post(deployment[1] + path, headers=headers, json=body)

    assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    assert settled.status_code == 201
    assert settled.json()["id"] in created
    assert len(fake_server.state.ghl_appointments) == before + 1
    rows = await fetchval(
        own_database_url,
        "SELECT count(*) FROM appointment WHERE workspace_id = $1 AND start_at = $2",
        seeded.workspace_id,
        slot,
    )
    assert rows == 1


async def test_a_backfill_asked_through_both_apis_runs_once_on_one_worker(
    deployment: list[str], fake_server: FakeProviderServer, own_database_url: str
) -> None:
    from capacity_service.db import create_engine, create_sessionmaker

    engine = create_engine(own_database_url, pool_size=2)
    try:
        rows = await seed_unattributed(
            create_sessionmaker(engine),
            fake_server.state,
            SecretCipher([ENCRYPTION_KEY]),
            ghl=10,
            calendly=4,
        )
    finally:
        await engine.dispose()
    lookups = r"^/calendars/events/appointments/|^/scheduled_events/[^/]+$"
    lookups_before = fake_server.state.request_count(lookups)
    path = f"/v1/admin/workspaces/{rows.workspace_id}/backfill"
    async with httpx.AsyncClient(timeout=30) as client:
        started = await asyncio.gather(
            *(client.post(deployment[i % 2] + path, headers=ADMIN) for i in range(6))
        )
        assert {s.status_code for s in started} == {202}, [s.text for s in started]
        run_ids = {s.json()["runId"] for s in started}
        assert len(run_ids) == 1
        run: dict[str, object] = {}
        deadline = asyncio.get_running_loop().time() + JOB_DEADLINE_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            run = (
                await client.get(
                    f"{deployment[0]}/v1/admin/backfill-runs/{run_ids.pop()}", headers=ADMIN
                )
            ).json()
            run_ids.add(str(run["id"]))
            if run["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.2)

    assert (run["status"], run["ghlUpdated"], run["calendlyUpdated"]) == ("succeeded", 10, 4)
    runs = await fetchval(
        own_database_url,
        "SELECT count(*) FROM backfill_run WHERE workspace_id = $1",
        rows.workspace_id,
    )
    assert runs == 1
    assert fake_server.state.request_count(lookups) - lookups_before == 14


async def test_a_write_through_one_api_evicts_the_analytics_the_other_holds_in_memory(
    deployment: list[str], seeded: SeededWorkspace
) -> None:
    analytics = f"/v1/workspaces/{seeded.workspace_id}/analytics"
    headers = {"Authorization": f"Bearer {seeded.api_key}"}
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(timeout=30) as client:
        # Asked until it comes from memory (jobs of earlier tests may still be evicting it).
        deadline = loop.time() + JOB_DEADLINE_SECONDS
        while True:
            held = await client.get(deployment[1] + analytics, headers=headers)
            assert held.status_code == 200, held.text
            # A stored miss says max-age=3600; a hit, the time it has left.
            if held.headers["cache-control"] not in ("no-store", "private, max-age=3600"):
                break
            assert loop.time() < deadline, held.headers
            await asyncio.sleep(0.2)
        leads = held.json()["leads"]["total"]

        created = await client.post(
            f"{deployment[0]}/v1/workspaces/{seeded.workspace_id}/leads",
            headers=headers,
            json={"email": f"multi-{uuid.uuid4().hex[:8]}@example.com"},
        )
        assert created.status_code == 201, created.text

        deadline = loop.time() + JOB_DEADLINE_SECONDS
        while True:
            seen = await client.get(deployment[1] + analytics, headers=headers)
            if seen.json()["leads"]["total"] == leads + 1:
                break
            assert loop.time() < deadline, "the other API kept serving the old answer"
            await asyncio.sleep(0.05)
