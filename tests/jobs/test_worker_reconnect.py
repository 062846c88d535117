"""A worker outlives a restart of PostgreSQL: it reconnects and processes jobs queued after it.

The cluster is the test's own (initdb in a temp folder), so stopping it disturbs no other test.
"""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr

from capacity_service.availability.tasks import REFRESH_ENTRYPOINT
from capacity_service.config import Settings
from capacity_service.jobs.queue import enqueue, job_status
from tests.conftest import ADMIN_TOKEN, ENCRYPTION_KEY
from tests.hardening.postgres_cluster import PostgresCluster, postgres_cluster
from tests.support.worker import run_worker

DEADLINE_SECONDS = 90


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[PostgresCluster]:
    with postgres_cluster(tmp_path) as cluster:
        yield cluster


def cluster_settings(cluster: PostgresCluster) -> Settings:
    return Settings(
        database_url=cluster.url,
        admin_token=SecretStr(ADMIN_TOKEN),
        encryption_key=SecretStr(ENCRYPTION_KEY),
    )


async def until(predicate: object, process: asyncio.subprocess.Process, log: Path) -> None:
    assert callable(predicate)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while loop.time() < deadline:
        assert process.returncode is None, f"the worker exited:\n{log.read_text()}"
        try:
            if await predicate():
                return
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            pass  # the database is still coming back
        await asyncio.sleep(0.3)
    raise AssertionError(f"not reached in time; worker log:\n{log.read_text()}")


async def test_a_worker_reconnects_after_a_database_restart_and_runs_later_jobs(
    cluster: PostgresCluster, tmp_path: Path
) -> None:
    settings = cluster_settings(cluster)
    log = tmp_path / "worker.log"
    async with run_worker(settings, tmp_path, {}) as process:

        async def job_done(job_id: int) -> bool:
            connection = await asyncpg.connect(cluster.url)
            try:
                return await job_status(connection, job_id) == "successful"
            finally:
                await connection.close()

        async def enqueue_refresh() -> int:
            connection = await asyncpg.connect(cluster.url)
            try:
                job = await enqueue(
                    connection, REFRESH_ENTRYPOINT, {"workspaceId": str(uuid.uuid4())}
                )
                return job.id
            finally:
                await connection.close()

        async def started() -> bool:
            return "worker started" in log.read_text()

        await until(started, process, log)
        before = await enqueue_refresh()
        await until(lambda: job_done(before), process, log)

        cluster.stop()
        await asyncio.sleep(1)
        cluster.start()

        after: list[int] = []

        async def enqueued() -> bool:
            after.append(await enqueue_refresh())
            return True

        await until(enqueued, process, log)
        await until(lambda: job_done(after[0]), process, log)
        assert process.returncode is None

    assert process.returncode == 0, log.read_text()
