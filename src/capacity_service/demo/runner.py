"""One process for the demo: the provider test double, the service wired to it, the seeding,
and a refresh of the demo workspace on the usual interval while it runs.

No job worker runs here: a worker would refresh every workspace in the database against the
test double. The demo workspace alone is refreshed, by the same function the refresh job runs,
and its webhooks are applied by the function the webhook job runs.
"""

import asyncio
import logging
import socket
import uuid
from collections.abc import Callable
from contextlib import suppress

import httpx
import uvicorn
from fastapi import FastAPI

from capacity_service.availability.tasks import refresh_workspace
from capacity_service.config import Settings
from capacity_service.db import create_engine, create_sessionmaker
from capacity_service.demo.seed import DemoWorkspace, seed_demo
from capacity_service.demo.service import remove_demo_workspaces
from capacity_service.demo.webhooks import GhlSigner
from capacity_service.main import create_app
from capacity_service.providers.fake import run_fake_provider_server
from capacity_service.webhooks.tasks import apply_now

logger = logging.getLogger(__name__)


async def remove_demo(settings: Settings) -> list[str]:
    engine = create_engine(str(settings.database_url), pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await remove_demo_workspaces(session)
    finally:
        await engine.dispose()


def bind_socket(host: str, port: int) -> socket.socket:
    """The requested port, or a free one when it is taken (say, by `make run`)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.bind((host, 0))
    return sock


def demo_settings(
    settings: Settings, *, ghl_base_url: str, calendly_base_url: str, ghl_public_key: str
) -> Settings:
    """The service's settings with both providers pointed at the test double and the demo's
    HighLevel webhook key trusted in place of HighLevel's."""
    return settings.model_copy(
        update={
            "ghl_base_url": ghl_base_url,
            "calendly_base_url": calendly_base_url,
            "ghl_webhook_public_key": ghl_public_key,
        }
    )


async def _refresh_forever(app: FastAPI, settings: Settings, workspace_id: uuid.UUID) -> None:
    while True:
        await asyncio.sleep(settings.refresh_interval_seconds)
        try:
            await _refresh(app, settings, workspace_id)
        except Exception:  # keep the demo serving; the cache records provider errors itself
            logger.exception("demo availability refresh failed")


async def _refresh(app: FastAPI, settings: Settings, workspace_id: uuid.UUID) -> None:
    state = app.state
    await refresh_workspace(
        state.sessionmaker, state.providers, state.cipher, settings, workspace_id
    )


async def run_demo(
    settings: Settings,
    *,
    host: str,
    port: int,
    on_ready: Callable[[str, DemoWorkspace, list[str]], None],
) -> None:
    """Serve until interrupted; `on_ready(base_url, demo, replaced)` once the data is in."""
    replaced = await remove_demo(settings)
    signer = GhlSigner()
    with run_fake_provider_server() as fake:
        wired = demo_settings(
            settings,
            ghl_base_url=fake.ghl_base_url,
            calendly_base_url=fake.calendly_base_url,
            ghl_public_key=signer.public_pem,
        )
        app = create_app(wired)
        sock = bind_socket(host, port)
        base_url = f"http://{host}:{sock.getsockname()[1]}"
        server = uvicorn.Server(
            uvicorn.Config(
                app, log_level=settings.log_level, access_log=False, timeout_graceful_shutdown=2
            )
        )
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        refresher: asyncio.Task[None] | None = None
        try:
            while not server.started:
                if serving.done():
                    await serving
                    raise RuntimeError("the service stopped while starting")
                await asyncio.sleep(0.05)
            assert settings.admin_token is not None
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
                demo = await seed_demo(
                    client,
                    admin_token=settings.admin_token.get_secret_value(),
                    fake=fake.state,
                    signer=signer,
                    refresh=lambda workspace_id: _refresh(app, wired, workspace_id),
                    apply_webhooks=lambda event_ids: apply_now(app.state.sessionmaker, event_ids),
                )
            on_ready(base_url, demo, replaced)
            refresher = asyncio.create_task(_refresh_forever(app, wired, demo.workspace_id))
            await serving
        finally:
            if refresher is not None:
                refresher.cancel()
                with suppress(asyncio.CancelledError):
                    await refresher
            if not serving.done():
                server.should_exit = True
                await serving
            sock.close()
