"""A real PostgreSQL for the tests: the embedded one, or TEST_DATABASE_URL's server.

Each test run creates its own database on that server, migrates it with Alembic, and drops it
at the end, so runs never see each other's data.
"""

import asyncio
import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parents[1]


def server_url() -> str:
    """A libpq URL of the server to create test databases on."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        return configured.replace("postgresql+asyncpg://", "postgresql://", 1)
    import pgserver

    data_dir = Path(os.environ.get("CAPACITY_TEST_PG_DIR", ROOT / ".data" / "test-postgres"))
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(data_dir.resolve()), cleanup_mode="stop")
    return str(server.get_uri())


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


async def create_database(url: str, prefix: str = "capacity_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_database(url: str, name: str) -> None:
    for _ in range(3):
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except asyncpg.PostgresError:
            await asyncio.sleep(0.5)
        finally:
            await conn.close()
