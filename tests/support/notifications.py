"""Waiting for PostgreSQL's change notifications in tests that commit.

A notification is delivered after its transaction commits, on the listener's own connection,
so a test cannot know when the app has heard of a write it just committed. PostgreSQL delivers
notifications in commit order: once a marker sent after the write has been heard, the write's
notifications have been too.
"""

import asyncio
import uuid
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from capacity_service.changes.listener import CHANNEL

DEADLINE_SECONDS = 10


class Heard:
    """A change subscriber that only records the workspaces it was told of."""

    def __init__(self) -> None:
        self.workspaces: set[uuid.UUID] = set()

    def workspace_changed(self, workspace_id: uuid.UUID) -> None:
        self.workspaces.add(workspace_id)

    def reset(self, *, live: bool) -> None:
        pass


async def eventually(predicate: Callable[[], bool]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while not predicate():
        assert loop.time() < deadline, "not reached in time"
        await asyncio.sleep(0.02)


async def heard_everything(engine: AsyncEngine, heard: Heard, channel: str = CHANNEL) -> None:
    """Wait until `heard` (subscribed on `channel`) has heard every change committed so far."""
    marker = uuid.uuid4()
    async with engine.begin() as connection:
        await connection.execute(
            text("SELECT pg_notify(:channel, :marker)"),
            {"channel": channel, "marker": str(marker)},
        )
    await eventually(lambda: marker in heard.workspaces)
