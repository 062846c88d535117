"""One LISTEN connection per API process, telling the in-memory caches which workspace changed.

The connection is asyncpg's own, outside SQLAlchemy's pool: a pooled connection is handed to
requests, and LISTEN needs one that stays open and idle. While it is connected and listening
the listener is *live*; whenever it is not (before the first connection, after a loss), its
subscribers are reset and bypass themselves, because a notification sent meanwhile is lost.
On (re)connection it LISTENs first, then resets the subscribers again, and only then goes
live, so a change committed at any moment is either in the notifications or in what is read
after the reset.

A failure here never fails a request or the start of the app: the caches stay bypassed until
the database can be reached, and the listener keeps trying with a bounded backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any, Protocol

import asyncpg

logger = logging.getLogger(__name__)

CHANNEL = "workspace_changed"
"""Any committed write to a workspace's data: its row, or a row of a table that belongs to it."""
ROW_CHANNEL = "workspace_row_changed"
"""Committed writes to the `workspace` row itself (settings, keys, deletion)."""
ALL_WORKSPACES = "*"
"""Payload of a TRUNCATE of a notifying table: any workspace may have changed."""

APPLICATION_NAME = "capacity-service workspace changes"
"""How the listening connection shows in pg_stat_activity."""

FIRST_RETRY_DELAY_SECONDS = 0.5
MAX_RETRY_DELAY_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 5.0
PING_INTERVAL_SECONDS = 5.0
"""A silent connection is probed this often, so a half-open one is noticed, not trusted."""
PING_TIMEOUT_SECONDS = 5.0


class ChangeSubscriber(Protocol):
    def workspace_changed(self, workspace_id: uuid.UUID) -> None:
        """A write to this workspace's data was committed."""

    def reset(self, *, live: bool) -> None:
        """Forget everything; hold and serve values only while `live`."""


def _describe(exc: BaseException) -> str:
    """An error for the log without connection details (the DSN may carry a password)."""
    if isinstance(exc, OSError | asyncpg.PostgresError | asyncpg.InterfaceError | TimeoutError):
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return type(exc).__name__


class WorkspaceChangeListener:
    def __init__(
        self,
        dsn: str,
        *,
        first_retry_delay: float = FIRST_RETRY_DELAY_SECONDS,
        max_retry_delay: float = MAX_RETRY_DELAY_SECONDS,
        ping_interval: float = PING_INTERVAL_SECONDS,
    ) -> None:
        self._dsn = dsn
        self._first_retry_delay = first_retry_delay
        self._max_retry_delay = max_retry_delay
        self._ping_interval = ping_interval
        self._subscribers: dict[str, list[ChangeSubscriber]] = {CHANNEL: [], ROW_CHANNEL: []}
        self._live = False
        self._task: asyncio.Task[None] | None = None
        self._connection: Any = None

    def subscribe(self, subscriber: ChangeSubscriber, *, channel: str = CHANNEL) -> None:
        """Tell `subscriber` of changes on `channel`: any of a workspace's data (CHANNEL), or
        its row alone (ROW_CHANNEL), for what depends on nothing else."""
        subscriber.reset(live=self._live)
        self._subscribers[channel].append(subscriber)

    @property
    def live(self) -> bool:
        return self._live

    @property
    def backend_pid(self) -> int | None:
        """The server process of the listening connection (for operators and tests)."""
        connection = self._connection
        if connection is None or connection.is_closed():
            return None
        pid: int = connection.get_server_pid()
        return pid

    def start(self) -> None:
        """Connect and listen in the background; returns at once, even if the database is down."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="workspace-change-listener")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_live(False)

    async def _run(self) -> None:
        delay = self._first_retry_delay
        was_live = False
        failures = 0
        while True:
            try:
                connection = await self.connect()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                if failures == 1:
                    logger.warning(
                        "workspace change listener cannot connect (%s); in-memory caches "
                        "are bypassed until it does",
                        _describe(exc),
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry_delay)
                continue
            try:
                lost = await self._listen(connection)
                logger.info(
                    "workspace change listener is listening%s; in-memory caches in use",
                    " again" if was_live or failures else "",
                )
                was_live = True
                failures = 0
                delay = self._first_retry_delay
                await self._watch(connection, lost)
                reason = "connection closed"
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = _describe(exc)
            finally:
                self._set_live(False)
                self._connection = None
                await _close_quietly(connection)
            failures += 1
            logger.warning(
                "workspace change listener lost its connection (%s); in-memory caches are "
                "bypassed until it reconnects",
                reason,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_retry_delay)

    async def connect(self) -> Any:
        """A new connection of its own (not from a pool), named in pg_stat_activity."""
        return await asyncpg.connect(
            self._dsn,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={"application_name": APPLICATION_NAME},
        )

    async def _listen(self, connection: Any) -> asyncio.Event:
        """LISTEN, then reset the subscribers and go live; the event is set on disconnection."""
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        for channel in self._subscribers:
            await connection.add_listener(channel, self._notified)
        self._connection = connection
        self._set_live(True)
        return lost

    async def _watch(self, connection: Any, lost: asyncio.Event) -> None:
        """Return when the connection is lost; raise if it stops answering."""
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), timeout=self._ping_interval)
                return
            await asyncio.wait_for(connection.fetchval("SELECT 1"), timeout=PING_TIMEOUT_SECONDS)

    def _notified(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        if payload == ALL_WORKSPACES:
            self._set_live(self._live)
            return
        try:
            workspace_id = uuid.UUID(payload)
        except ValueError:
            logger.debug("ignoring a %s notification with payload %r", channel, payload[:100])
            return
        for subscriber in self._subscribers.get(channel, ()):
            subscriber.workspace_changed(workspace_id)

    def _set_live(self, live: bool) -> None:
        self._live = live
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber.reset(live=live)


async def _close_quietly(connection: Any) -> None:
    if connection.is_closed():
        return
    try:
        await asyncio.wait_for(connection.close(), timeout=2)
    except Exception:
        connection.terminate()
