"""A worker process: every registered entrypoint and schedule on one pgqueuer instance.

Any number of workers on any number of machines share one database: pgqueuer hands each job to
one worker (`FOR UPDATE SKIP LOCKED`), enforces per-entrypoint concurrency limits in SQL, and
fires each schedule once across all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from capacity_service.jobs.registry import CronSchedule, Registry, Task, load_registry
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

    for cron in registry.cron_schedules:
        pgq.schedule(cron.entrypoint, cron.cron, clean_old=True, accepts_context=False)(
            _bind_cron(cron, resources)
        )

    return pgq


def _bind_cron(
    cron: CronSchedule, resources: WorkerResources
) -> Callable[[Schedule], Coroutine[Any, Any, None]]:
    async def run(schedule: Schedule) -> None:
        await cron.handler(resources)

    run.__name__ = cron.entrypoint.replace(".", "_")
    return run


@asynccontextmanager
async def worker_resources(
    settings: Settings, *, providers: ProviderClients | None = None
) -> AsyncIterator[WorkerResources]:
    from capacity_service.main import build_providers

    engine = create_engine(str(settings.database_url), pool_size=settings.database_pool_size)
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


RECONNECT_FIRST_DELAY_SECONDS = 1.0
RECONNECT_MAX_DELAY_SECONDS = 30.0
RECONNECT_LOG_EVERY_SECONDS = 300.0
"""While reconnecting, one line when the connection is lost, then one per this interval."""

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin_shutdown, cannot_connect_now
)


def is_connection_loss(exc: BaseException) -> bool:
    """A lost or refused database connection, possibly wrapped by pgqueuer or a task group."""
    if isinstance(exc, BaseExceptionGroup):
        return all(is_connection_loss(inner) for inner in exc.exceptions)
    if isinstance(exc, _CONNECTION_ERRORS):
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and is_connection_loss(cause)


async def run_worker(
    settings: Settings,
    *,
    concurrency: int = 20,
    stop: asyncio.Event | None = None,
    providers: ProviderClients | None = None,
    handle_signals: bool = True,
) -> None:
    """Process jobs until `stop` is set or SIGINT/SIGTERM; running jobs finish first.

    The first connection must succeed (a wrong URL fails at once). After that a lost queue
    connection (database restart, failover, terminated backend) is re-opened with backoff and
    the worker resumes; jobs it was running when the connection dropped are re-picked by any
    worker once their heartbeat is stale.
    """
    registry = load_registry()
    batch_size = max(1, concurrency // 2)
    dsn = asyncpg_dsn(str(settings.database_url))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
    watcher = asyncio.create_task(_relay(stop, stopping)) if stop else None
    try:
        connection: asyncpg.Connection | None = await asyncpg.connect(dsn)
        async with worker_resources(settings, providers=providers) as resources:
            logger.info(
                "worker started: %s",
                ", ".join(t.entrypoint for t in registry.tasks) or "no entrypoints",
            )
            while not stopping.is_set():
                if connection is None:
                    connection = await _reconnect(dsn, stopping)
                    if connection is None:
                        break
                try:
                    await _run_until_stopped_or_lost(
                        connection, resources, registry, stopping, batch_size, concurrency
                    )
                except Exception as exc:
                    if not is_connection_loss(exc):
                        raise
                    if not stopping.is_set():
                        logger.warning(
                            "worker lost its database connection (%s: %s); reconnecting",
                            type(exc).__name__,
                            exc,
                        )
                finally:
                    await _close_quietly(connection)
                    connection = None
            logger.info("worker stopped")
    finally:
        if watcher is not None:
            watcher.cancel()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


async def _run_until_stopped_or_lost(
    connection: asyncpg.Connection,
    resources: WorkerResources,
    registry: Registry,
    stopping: asyncio.Event,
    batch_size: int,
    concurrency: int,
) -> None:
    pgq = build_pgqueuer(connection, resources, registry)
    relay = asyncio.create_task(_relay(stopping, pgq.shutdown))
    try:
        await pgq.run(
            batch_size=batch_size,
            max_concurrent_tasks=max(concurrency, 2 * batch_size),
            dequeue_timeout=timedelta(seconds=30),
        )
    finally:
        relay.cancel()


async def _reconnect(dsn: str, stopping: asyncio.Event) -> asyncpg.Connection | None:
    """A new connection, retried with exponential backoff; None if asked to stop meanwhile."""
    loop = asyncio.get_running_loop()
    delay = RECONNECT_FIRST_DELAY_SECONDS
    attempts = 0
    started = last_log = loop.time()
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=delay)
        if stopping.is_set():
            return None
        attempts += 1
        try:
            connection = await asyncpg.connect(dsn, timeout=10)
        except Exception as exc:
            if not is_connection_loss(exc):
                raise
            if loop.time() - last_log >= RECONNECT_LOG_EVERY_SECONDS:
                last_log = loop.time()
                logger.warning(
                    "worker still cannot reach the database after %d attempts (%s)",
                    attempts,
                    type(exc).__name__,
                )
            delay = min(delay * 2, RECONNECT_MAX_DELAY_SECONDS)
            continue
        logger.info(
            "worker reconnected to the database after %d attempt(s), %.0f s",
            attempts,
            loop.time() - started,
        )
        return connection
    return None


async def _close_quietly(connection: asyncpg.Connection) -> None:
    if connection.is_closed():
        return
    try:
        await asyncio.wait_for(connection.close(), timeout=5)
    except Exception:
        connection.terminate()


async def _relay(source: asyncio.Event | None, target: asyncio.Event) -> None:
    assert source is not None
    await source.wait()
    target.set()
