"""Hardening tests: a database of their own where they commit, and the provider test double."""

from collections.abc import AsyncIterator, Iterator

import pytest

from capacity_service.db import create_engine
from capacity_service.migrations import upgrade
from capacity_service.providers.fake import FakeProviderServer, run_fake_provider_server
from tests.database import asyncpg_url, create_database, drop_database, server_url, with_database


async def new_migrated_database(prefix: str) -> tuple[str, str, str]:
    """(server URL, database name, asyncpg URL) of a fresh database migrated to head."""
    server = server_url()
    name = await create_database(server, prefix=prefix)
    url = asyncpg_url(with_database(server, name))
    engine = create_engine(url, pool_size=1)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return server, name, url


@pytest.fixture(scope="module")
async def own_database_url() -> AsyncIterator[str]:
    """A migrated database for this module alone: what it commits never meets other tests."""
    server, name, url = await new_migrated_database("capacity_hardening")
    yield url
    await drop_database(server, name)


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeProviderServer]:
    with run_fake_provider_server() as server:
        yield server
