"""A worker process: every registered entrypoint and schedule on one pgqueuer instance.

Any number of workers on any number of machines share one database: pgqueuer hands each job to
one worker (`FOR UPDATE SKIP LOCKED`), enforces per-entrypoint concurrency limits in SQL, and
fires each schedule once across all of them.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import asyncpg
from pgqueuer import PgQueuer
from pgqueuer.models import Job, Schedule

from capacity_service.config import Settings
from capacity_service.db import create_engine, create_sessionmaker
from capacity_service.jobs.context import JobContext, WorkerResources
from capacity_service.jobs.queue import asyncpg_dsn, decode_payload
from capacity_service.jobs.registry import Registry, Task, load_registry
from capacity_service.jobs.scheduler import TICK_CRON, TICK_ENTRYPOINT, enqueue_due_workspace_jobs
from capacity_service.kit.secrets import SecretCipher
from capacity_service.providers import ProviderClients

logger = logging.getLogger(__name__)


def _bind(task: Task, resources: WorkerResources) -> Callable[[Job], Coroutine[Any, Any, None]]:
    async def run(job: Job) -> None:
        payload = decode_payload(job.payload)
        await task.handler(JobContext(resources=resources, job_id=int(job.id)), payload)

    run.__name__ = task.entrypoint.replace(".", "_")
    return run


def build_pgqueuer(
    connection: asyncpg.Connection, resources: WorkerResources, registry: Registry
) -> PgQueuer:
    """The queue manager and scheduler with every task and the workspace-schedule tick."""
    pgq = PgQueuer.from_asyncpg_connection(connection)
    for task in registry.tasks:
        pgq.entrypoint(
            task.entrypoint, concurrency_limit=task.concurrency_limit, accepts_context=False
        )(_bind(task, resources))

    if registry.schedules:

        @pgq.schedule(TICK_ENTRYPOINT, TICK_CRON, clean_old=True, accepts_context=False)
        async def tick(schedule: Schedule) -> None:
            async with resources.sessionmaker() as session, session.begin():
                await enqueue_due_workspace_jobs(session, resources.settings, registry.schedules)

    return pgq


@asynccontextmanager
async def worker_resources(
    settings: Settings, *, providers: ProviderClients | None = None
) -> AsyncIterator[WorkerResources]:
    from capacity_service.main import build_providers

    engine = create_engine(str(settings.database_url))
    own_providers = providers is None
    clients = providers or build_providers(settings)
    try:
        yield WorkerResources(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            providers=clients,
            cipher=SecretCipher(settings.fernet_keys),
        )
    finally:
        if own_providers:
            await clients.aclose()
        await engine.dispose()


async def run_worker(
    settings: Settings,
    *,
    concurrency: int = 20,
    stop: asyncio.Event | None = None,
    providers: ProviderClients | None = None,
    handle_signals: bool = True,
) -> None:
    """Process jobs until `stop` is set or SIGINT/SIGTERM; running jobs finish first."""
    registry = load_registry()
    batch_size = max(1, concurrency // 2)
    connection = await asyncpg.connect(asyncpg_dsn(str(settings.database_url)))
    try:
        async with worker_resources(settings, providers=providers) as resources:
            pgq = build_pgqueuer(connection, resources, registry)
            loop = asyncio.get_running_loop()
            if handle_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, pgq.shutdown.set)
            watcher = asyncio.create_task(_relay(stop, pgq.shutdown)) if stop else None
            logger.info(
                "worker started: %s",
                ", ".join(t.entrypoint for t in registry.tasks) or "no entrypoints",
            )
            try:
                await pgq.run(
                    batch_size=batch_size,
                    max_concurrent_tasks=max(concurrency, 2 * batch_size),
                    dequeue_timeout=timedelta(seconds=30),
                )
            finally:
                if watcher is not None:
                    watcher.cancel()
                if handle_signals:
                    for sig in (signal.SIGINT, signal.SIGTERM):
                        loop.remove_signal_handler(sig)
            logger.info("worker stopped")
    finally:
        await connection.close()


async def _relay(source: asyncio.Event | None, target: asyncio.Event) -> None:
    assert source is not None
    await source.wait()
    target.set()
