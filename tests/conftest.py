"""Shared fixtures: a migrated PostgreSQL database, per-test rollback, the app and clients."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.config import Settings
from capacity_service.db import create_engine
from capacity_service.jobs.context import WorkerResources
from capacity_service.kit.secrets import SecretCipher
from capacity_service.main import create_app
from capacity_service.migrations import upgrade
from capacity_service.providers import ProviderClients
from tests.database import asyncpg_url, create_database, drop_database, server_url, with_database
from tests.support.webhook_jobs import ProcessWebhooks, webhook_job_runner

pytest_plugins = ["tests.support.provider_double"]

ADMIN_TOKEN = "test-admin-token-0123456789"
ENCRYPTION_KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """URL (asyncpg) of this run's own database, migrated to head."""
    server = server_url()
    name = await create_database(server)
    url = asyncpg_url(with_database(server, name))
    engine = create_engine(url, pool_size=1)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    yield url
    if not os.environ.get("CAPACITY_TEST_KEEP_DATABASE"):
        await drop_database(server, name)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        if transaction.is_active:
            await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions joined to the test's outer transaction: their commits become savepoints."""
    return async_sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )


@pytest.fixture
async def session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The analytics cache is off: most tests write in a transaction that never commits, so
    no change notification would evict what they read (tests/analytics/test_cache.py turns
    it on with committed writes)."""
    return Settings(
        database_url=database_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        encryption_key=SecretStr(ENCRYPTION_KEY),
        analytics_cache_seconds=0,
    )


@pytest.fixture
def cipher() -> SecretCipher:
    return SecretCipher([ENCRYPTION_KEY])


@asynccontextmanager
async def running_app(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients | None = None,
) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running, its requests inside the test's transaction."""
    application = create_app(settings, engine=engine, providers=providers)
    async with application.router.lifespan_context(application):
        application.state.sessionmaker = sessionmaker
        yield application


@asynccontextmanager
async def asgi_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def app(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[FastAPI]:
    async with running_app(settings, engine, sessionmaker) as application:
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


@pytest.fixture
def process_webhooks(
    app: FastAPI,
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    cipher: SecretCipher,
) -> ProcessWebhooks:
    """Runs the webhook-processing jobs the test's deliveries queued, as a worker does."""
    resources = WorkerResources(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        providers=app.state.providers,
        cipher=cipher,
    )
    return webhook_job_runner(session, resources)


@pytest.fixture
async def provider_app(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
) -> AsyncIterator[FastAPI]:
    """Like `app`, with `providers` as its provider clients (the test double unless overridden)."""
    async with running_app(settings, engine, sessionmaker, providers) as application:
        yield application


@pytest.fixture
async def provider_client(provider_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(provider_app) as client:
        yield client


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


TABLES_TO_CLEAN = (
    "webhook_event, booking_request, backfill_run, appointment, lead, campaign, "
    "workspace_availability_cache, api_key, workspace, pgqueuer, pgqueuer_log, "
    "pgqueuer_schedules, pgqueuer_statistics"
)


@pytest.fixture
async def committing_app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    """The app with real commits, for tests of concurrency and other processes.

    Tables are emptied afterwards, so use it only where a rolled-back transaction cannot show
    the behaviour under test.
    """
    application = create_app(settings, engine=engine)
    async with application.router.lifespan_context(application):
        yield application
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {TABLES_TO_CLEAN} CASCADE"))
