"""Calendly signing keys held in memory: current through rotations, kept through webhooks.

Notifications are sent only on commit, so these tests commit, in a database of their own.
"""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from capacity_service.changes.listener import CHANNEL, ROW_CHANNEL
from capacity_service.config import Settings
from capacity_service.db import create_engine, create_sessionmaker
from capacity_service.kit.secrets import SecretCipher
from capacity_service.main import create_app
from capacity_service.models import Workspace
from tests.conftest import ADMIN_TOKEN, ENCRYPTION_KEY, asgi_client
from tests.database import drop_database
from tests.factories import make_workspace
from tests.hardening.conftest import new_migrated_database
from tests.support.notifications import Heard, eventually, heard_everything
from tests.webhooks.payloads import calendly_event, calendly_sign, dumps, new_invitee_uri

OLD_KEY, NEW_KEY = "calendly-key-before-rotation", "calendly-key-after-rotation"


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    server, name, url = await new_migrated_database("capacity_signing_keys")
    yield url
    await drop_database(server, name)


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def app(database_url: str, engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    settings = Settings(
        database_url=database_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        encryption_key=SecretStr(ENCRYPTION_KEY),
        analytics_cache_seconds=300,
    )
    application = create_app(settings, engine=engine)
    async with application.router.lifespan_context(application):
        listener = application.state.workspace_changes
        await eventually(lambda: listener.live)
        application.state.heard = {CHANNEL: Heard(), ROW_CHANNEL: Heard()}
        for channel, heard in application.state.heard.items():
            listener.subscribe(heard, channel=channel)
        yield application


async def delivered(app: FastAPI, engine: AsyncEngine, channel: str) -> None:
    await heard_everything(engine, app.state.heard[channel], channel)


async def _workspace(engine: AsyncEngine) -> Workspace:
    async with create_sessionmaker(engine)() as session, session.begin():
        return await make_workspace(
            session, SecretCipher([ENCRYPTION_KEY]), calendly_webhook_signing_key=OLD_KEY
        )


async def _post(client: httpx.AsyncClient, workspace: Workspace, key: str) -> httpx.Response:
    body = dumps(calendly_event("invitee.created", new_invitee_uri()))
    return await client.post(
        f"/v1/webhooks/calendly/{workspace.id}",
        content=body,
        headers={"Calendly-Webhook-Signature": calendly_sign(body, key)},
    )


async def test_a_held_key_outlives_the_workspaces_own_webhooks(
    app: FastAPI, engine: AsyncEngine
) -> None:
    workspace = await _workspace(engine)
    await delivered(app, engine, ROW_CHANNEL)
    keys = app.state.calendly_signing_keys
    async with asgi_client(app) as client:
        assert (await _post(client, workspace, OLD_KEY)).status_code == 200
        assert keys.holds(workspace.id)

        await delivered(app, engine, CHANNEL)  # the stored event's own notification is in

        assert workspace.id in app.state.heard[CHANNEL].workspaces
        assert keys.holds(workspace.id)
        assert (await _post(client, workspace, OLD_KEY)).status_code == 200


async def test_a_rotated_key_verifies_at_once_and_the_old_one_is_refused_once_notified(
    app: FastAPI, engine: AsyncEngine
) -> None:
    workspace = await _workspace(engine)
    keys = app.state.calendly_signing_keys
    async with asgi_client(app) as client:
        assert (await _post(client, workspace, OLD_KEY)).status_code == 200
        assert keys.holds(workspace.id)
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                update(Workspace)
                .where(Workspace.id == workspace.id)
                .values(
                    calendly_webhook_signing_key_encrypted=SecretCipher([ENCRYPTION_KEY]).encrypt(
                        NEW_KEY
                    )
                )
            )

        # Before the notification may have arrived: the held key fails, a fresh read verifies.
        assert (await _post(client, workspace, NEW_KEY)).status_code == 200

        await delivered(app, engine, ROW_CHANNEL)
        refused = await _post(client, workspace, OLD_KEY)

    assert refused.status_code == 401, refused.text
    assert keys.holds(workspace.id)  # the new key, read again after the eviction


async def test_without_a_live_listener_no_key_is_held(app: FastAPI, engine: AsyncEngine) -> None:
    workspace = await _workspace(engine)
    await app.state.workspace_changes.stop()
    async with asgi_client(app) as client:
        assert (await _post(client, workspace, OLD_KEY)).status_code == 200

    assert not app.state.calendly_signing_keys.holds(workspace.id)
