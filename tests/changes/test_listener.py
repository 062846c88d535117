"""The workspace change listener against a real PostgreSQL: committed writes reach the
subscribers, and whenever the listener cannot hear them the subscribers are told to bypass."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from capacity_service.changes.listener import WorkspaceChangeListener
from capacity_service.jobs.queue import asyncpg_dsn

DEADLINE_SECONDS = 10


class Recorder:
    """A subscriber that remembers what it was told."""

    def __init__(self) -> None:
        self.changed: list[uuid.UUID] = []
        self.resets: list[bool] = []

    def workspace_changed(self, workspace_id: uuid.UUID) -> None:
        self.changed.append(workspace_id)

    def reset(self, *, live: bool) -> None:
        self.resets.append(live)


async def eventually(predicate: Callable[[], bool]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while not predicate():
        assert loop.time() < deadline, "not reached in time"
        await asyncio.sleep(0.01)


@pytest.fixture
def dsn(database_url: str) -> str:
    return asyncpg_dsn(database_url)


@pytest.fixture
async def writer(dsn: str) -> AsyncIterator[Any]:
    connection = await asyncpg.connect(dsn)
    yield connection
    await connection.close()


@pytest.fixture
async def listening(dsn: str) -> AsyncIterator[tuple[WorkspaceChangeListener, Recorder]]:
    listener = WorkspaceChangeListener(dsn)
    recorder = Recorder()
    listener.subscribe(recorder)
    listener.start()
    await eventually(lambda: listener.live)
    yield listener, recorder
    await listener.stop()


async def create_workspace(connection: Any) -> uuid.UUID:
    workspace_id = uuid.uuid4()
    await connection.execute(
        "INSERT INTO workspace (id, name, timezone) VALUES ($1, 'listener test', 'UTC')",
        workspace_id,
    )
    return workspace_id


async def delete_workspaces(connection: Any, *ids: uuid.UUID) -> None:
    await connection.execute("DELETE FROM workspace WHERE id = ANY($1::uuid[])", list(ids))


async def test_a_committed_write_names_its_workspace_and_a_rolled_back_one_nothing(
    listening: tuple[WorkspaceChangeListener, Recorder], writer: Any
) -> None:
    _, recorder = listening
    rolled_back = uuid.uuid4()
    transaction = writer.transaction()
    await transaction.start()
    await writer.execute(
        "INSERT INTO workspace (id, name, timezone) VALUES ($1, 'never', 'UTC')", rolled_back
    )
    await transaction.rollback()

    committed = await create_workspace(writer)
    try:
        # Notifications arrive in commit order: once the later one is here, none is pending.
        await eventually(lambda: committed in recorder.changed)
        assert rolled_back not in recorder.changed
    finally:
        await delete_workspaces(writer, committed)


async def test_a_bulk_write_in_one_transaction_notifies_each_workspace_once(
    listening: tuple[WorkspaceChangeListener, Recorder], writer: Any
) -> None:
    _, recorder = listening
    first = await create_workspace(writer)
    second = await create_workspace(writer)
    marker = uuid.uuid4()
    await eventually(lambda: second in recorder.changed)
    recorder.changed.clear()
    try:
        async with writer.transaction():
            for i in range(50):
                await writer.execute(
                    "INSERT INTO lead (id, workspace_id, email) VALUES ($1, $2, $3)",
                    uuid.uuid4(),
                    first if i % 2 else second,
                    f"bulk-{i}-{marker.hex[:8]}@example.com",
                )
        await eventually(lambda: {first, second} <= set(recorder.changed))
        assert sorted(recorder.changed) == sorted([first, second])
    finally:
        await delete_workspaces(writer, first, second)


async def test_a_truncate_resets_every_subscriber(
    listening: tuple[WorkspaceChangeListener, Recorder], writer: Any
) -> None:
    _, recorder = listening
    recorder.resets.clear()

    # An empty table of this run's own database: TRUNCATE fires its statement trigger anyway.
    await writer.execute("TRUNCATE workspace_provider_sync")

    await eventually(lambda: recorder.resets == [True])


async def test_a_lost_connection_bypasses_the_subscribers_until_it_listens_again(
    listening: tuple[WorkspaceChangeListener, Recorder],
    writer: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listener, recorder = listening
    gate = asyncio.Event()
    monkeypatch.setattr(listener, "connect", gated(listener.connect, gate))
    recorder.resets.clear()

    await writer.execute("SELECT pg_terminate_backend($1)", listener.backend_pid)

    await eventually(lambda: recorder.resets == [False])
    assert listener.live is False
    gate.set()
    await eventually(lambda: listener.live)
    assert recorder.resets == [False, True]
    workspace_id = await create_workspace(writer)
    try:
        await eventually(lambda: workspace_id in recorder.changed)
    finally:
        await delete_workspaces(writer, workspace_id)


async def test_an_unreachable_database_at_start_leaves_the_subscribers_bypassed_until_it_answers(
    dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = WorkspaceChangeListener(dsn)
    recorder = Recorder()
    listener.subscribe(recorder)
    attempts = 0
    reachable = asyncio.Event()
    connect = listener.connect

    async def refused_until_reachable() -> Any:
        nonlocal attempts
        attempts += 1
        if not reachable.is_set():
            raise ConnectionRefusedError("refused")
        return await connect()

    monkeypatch.setattr(listener, "connect", refused_until_reachable)
    listener.start()
    try:
        await eventually(lambda: attempts >= 2)
        assert listener.live is False
        assert recorder.resets == [False]
        reachable.set()
        await eventually(lambda: listener.live)
        assert recorder.resets == [False, True]
    finally:
        await listener.stop()
    assert listener.live is False


async def test_connection_failures_are_logged_without_the_database_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    listener = WorkspaceChangeListener("postgresql://capacity:s3cret-pw@127.0.0.1:1/capacity")
    with caplog.at_level(logging.INFO, logger="capacity_service.changes.listener"):
        listener.start()
        try:
            await eventually(lambda: "cannot connect" in caplog.text)
        finally:
            await listener.stop()

    assert "s3cret-pw" not in caplog.text
    assert "127.0.0.1:1/capacity" not in caplog.text


def gated(
    connect: Callable[[], Awaitable[Any]], gate: asyncio.Event
) -> Callable[[], Awaitable[Any]]:
    async def wait_then_connect() -> Any:
        await gate.wait()
        return await connect()

    return wait_then_connect
