"""Liveness and readiness."""

import httpx
from fastapi import FastAPI

from capacity_service.config import Settings
from capacity_service.db import create_engine
from capacity_service.main import create_app


async def test_healthz_answers_without_auth(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_is_ok_when_database_is_migrated(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text


async def _get(app: FastAPI, path: str) -> httpx.Response:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get(path)


async def test_readyz_is_503_when_database_is_down(settings: Settings) -> None:
    unreachable = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://postgres@127.0.0.1:1/none"}
    )
    response = await _get(create_app(unreachable), "/readyz")
    assert response.status_code == 503
    assert "database unreachable" in response.json()["detail"]


async def test_readyz_is_503_when_schema_is_behind(settings: Settings) -> None:
    from tests.database import (
        asyncpg_url,
        create_database,
        drop_database,
        server_url,
        with_database,
    )

    server = server_url()
    name = await create_database(server, prefix="capacity_unmigrated")
    try:
        engine = create_engine(asyncpg_url(with_database(server, name)), pool_size=1)
        response = await _get(create_app(settings, engine=engine), "/readyz")
        await engine.dispose()
    finally:
        await drop_database(server, name)
    assert response.status_code == 503
    assert "schema" in response.json()["detail"]
