"""Run the test double on 127.0.0.1 in a background thread (end-to-end tests, demo, bench)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from capacity_service.providers.fake.app import create_fake_provider_app
from capacity_service.providers.fake.state import FakeProviderState


@dataclass(frozen=True, slots=True)
class FakeProviderServer:
    base_url: str
    state: FakeProviderState

    @property
    def ghl_base_url(self) -> str:
        return f"{self.base_url}/ghl"

    @property
    def calendly_base_url(self) -> str:
        return f"{self.base_url}/calendly"

    @property
    def control_url(self) -> str:
        return f"{self.base_url}/_control"


@contextmanager
def run_fake_provider_server(
    state: FakeProviderState | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[FakeProviderServer]:
    """Serve the double until the block ends; `port` 0 picks a free one."""
    state = state if state is not None else FakeProviderState()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_fake_provider_app(state),
        log_level="warning",
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=1,
        backlog=2048,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fake-provider", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the provider test double did not start")
        time.sleep(0.01)
    try:
        yield FakeProviderServer(base_url=f"http://{host}:{bound_port}", state=state)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
