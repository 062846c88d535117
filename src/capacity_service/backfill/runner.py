"""Running one attribution backfill: paced provider lookups, progress committed as it goes.

Per provider a producer reads the workspace's pending rows in keyset batches (id order) and a
fixed pool of workers looks them up, so at most `concurrency` calls per provider account are in
flight and the account's rate limiter decides how fast they go. A single writer commits results
every `batch_size` rows (or every `flush_seconds`), with the run's counts, in one transaction:
whatever is committed is never fetched again, so a run that stops is continued by the next one.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.backfill.lock import workspace_backfill_lock
from capacity_service.backfill.repository import (
    ACTIVE_STATUSES,
    AttributionRepository,
    BackfillRunRepository,
    FoundAttribution,
    PendingRow,
)
from capacity_service.backfill.schemas import BackfillError, BackfillSummary
from capacity_service.backfill.service import (
    INTERRUPTED,
    MAX_STORED_ERRORS,
    Credentials,
    Lookup,
    look_up_attribution,
    request_backfill,
    run_error,
)
from capacity_service.kit.enums import Provider
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.providers import ProviderClients
from capacity_service.providers.errors import ProviderAuthError, ProviderRateLimitedError
from capacity_service.providers.http import gather_all
from capacity_service.workspaces.credentials import (
    MissingCredentials,
    calendly_credentials,
    ghl_credentials,
)
from capacity_service.workspaces.repository import WorkspaceRepository

logger = logging.getLogger("capacity_service.backfill")

DEFAULT_CONCURRENCY = 8
DEFAULT_BATCH_SIZE = 100


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """Lookups answered so far in this run (not all committed yet)."""

    total: int
    done: int
    ghl_filled: int
    calendly_filled: int
    errors: int


ProgressCallback = Callable[[BackfillProgress], None]


async def backfill_appointment_attribution(
    workspace_id: uuid.UUID,
    *,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    providers: ProviderClients,
    cipher: SecretCipher,
    run_id: uuid.UUID | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    batch_size: int = DEFAULT_BATCH_SIZE,
    flush_seconds: float = 1.0,
    on_progress: ProgressCallback | None = None,
    retry_failed: bool = False,
) -> BackfillSummary:
    """Fill missing attribution of the workspace's appointments; the run's summary.

    Without `run_id` a run is made (or a queued one taken over); `retry_failed` then clears the
    permanent lookup errors first (see `request_backfill`). If another process is running
    the workspace's backfill, nothing is fetched and the status is `already_running`. `engine`
    provides the connection that holds the workspace lock for the length of the run.
    """
    if concurrency < 1 or batch_size < 1:
        raise ValueError("concurrency and batch_size must be at least 1")
    cleared = 0
    if run_id is None:
        async with sessionmaker() as session, session.begin():
            started = await request_backfill(session, workspace_id, retry_failed=retry_failed)
        run_id = started.run.id
        cleared = started.failed_rows_cleared
    async with workspace_backfill_lock(engine, workspace_id) as held:
        if not held:
            return await _summary(sessionmaker, run_id, status="already_running", cleared=cleared)
        backfill = _Backfill(
            workspace_id,
            run_id,
            sessionmaker=sessionmaker,
            providers=providers,
            cipher=cipher,
            concurrency=concurrency,
            batch_size=batch_size,
            flush_seconds=flush_seconds,
            on_progress=on_progress,
        )
        await backfill.run()
    return await _summary(sessionmaker, run_id, cleared=cleared)


async def _summary(
    sessionmaker: async_sessionmaker[AsyncSession],
    run_id: uuid.UUID,
    *,
    status: str | None = None,
    cleared: int = 0,
) -> BackfillSummary:
    async with sessionmaker() as session:
        run = await BackfillRunRepository(session).get(run_id)
    if run is None:
        raise LookupError(f"backfill run {run_id} not found")
    return BackfillSummary(
        run_id=run.id,
        status=status or run.status,
        total=run.total,
        ghl_updated=run.ghl_updated,
        calendly_updated=run.calendly_updated,
        error_count=run.error_count,
        errors=[BackfillError.model_validate(e) for e in run.errors],
        failed_rows_cleared=cleared,
    )


_DONE = object()


@dataclass
class _Backfill:
    workspace_id: uuid.UUID
    run_id: uuid.UUID
    sessionmaker: async_sessionmaker[AsyncSession]
    providers: ProviderClients
    cipher: SecretCipher
    concurrency: int
    batch_size: int
    flush_seconds: float
    on_progress: ProgressCallback | None
    total: int = 0
    stored_errors: int = 0
    progress: dict[str, int] = field(
        default_factory=lambda: {"done": 0, "ghl": 0, "calendly": 0, "errors": 0}
    )
    aborted: set[Provider] = field(default_factory=set)
    run_errors: list[dict[str, Any]] = field(default_factory=list)
    results: asyncio.Queue[Lookup | object] = field(default_factory=asyncio.Queue)

    async def run(self) -> None:
        credentials = await self._start()
        if credentials is None:
            return
        try:
            await gather_all([self._lookups(credentials), self._write()])
        except BaseException as exc:
            interrupted = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
            message = INTERRUPTED if interrupted else f"the run failed: {exc!r}"
            logger.warning("backfill run %s of %s: %s", self.run_id, self.workspace_id, message)
            try:
                await self._finish("failed", run_error(None, None, message, retryable=True))
            except BaseException:
                logger.exception("could not record the end of backfill run %s", self.run_id)
            raise
        await self._finish("failed" if self.aborted else "succeeded")

    async def _start(self) -> dict[Provider, Credentials] | None:
        """Mark the run running and count its work; None if it had already ended."""
        async with self.sessionmaker() as session, session.begin():
            runs = BackfillRunRepository(session)
            run = await runs.get(self.run_id)
            if run is None or run.status not in ACTIVE_STATUSES:
                return None
            workspace = await WorkspaceRepository(session).get(self.workspace_id)
            if workspace is None:
                await runs.finish(self.run_id, status="failed", now=utcnow())
                return None
            pending = AttributionRepository(session)
            credentials: dict[Provider, Credentials] = {}
            for provider in (Provider.GHL, Provider.CALENDLY):
                count = await pending.count_pending(self.workspace_id, provider)
                if count == 0:
                    continue
                try:
                    credentials[provider] = (
                        ghl_credentials(workspace, self.cipher)
                        if provider is Provider.GHL
                        else calendly_credentials(workspace, self.cipher)
                    )
                except MissingCredentials as exc:
                    self._abort(provider, f"{exc.detail}; {count} appointments were skipped")
                    continue
                self.total += count
            self.stored_errors = len(run.errors)
            # A run taken over after a crash keeps its counts; its total counts them too.
            done_before = run.ghl_updated + run.calendly_updated + run.error_count
            self.total += done_before if run.status == "running" else 0
            await runs.start(self.run_id, total=self.total, now=utcnow())
        return credentials

    def _abort(self, provider: Provider, message: str) -> None:
        self.aborted.add(provider)
        self.run_errors.append(run_error(None, provider, message, retryable=True))

    async def _lookups(self, credentials: dict[Provider, Credentials]) -> None:
        await gather_all(
            [self._provider_lookups(provider, creds) for provider, creds in credentials.items()]
        )
        await self.results.put(_DONE)

    async def _provider_lookups(self, provider: Provider, credentials: Credentials) -> None:
        rows: asyncio.Queue[PendingRow | None] = asyncio.Queue(maxsize=self.batch_size)

        async def produce() -> None:
            after: uuid.UUID | None = None
            while provider not in self.aborted:
                async with self.sessionmaker() as session:
                    batch = await AttributionRepository(session).pending_batch(
                        self.workspace_id, provider, after=after, limit=self.batch_size
                    )
                if not batch:
                    break
                for row in batch:
                    await rows.put(row)
                after = batch[-1].appointment_id
            for _ in range(self.concurrency):
                await rows.put(None)

        async def work() -> None:
            while (row := await rows.get()) is not None:
                if provider in self.aborted:
                    continue
                try:
                    lookup = await self._patient_lookup(credentials, row)
                except ProviderAuthError as exc:
                    if provider not in self.aborted:
                        self._abort(provider, f"credentials refused, run stopped: {exc}")
                    continue
                await self.results.put(lookup)

        await gather_all([produce(), *(work() for _ in range(self.concurrency))])

    async def _patient_lookup(self, credentials: Credentials, row: PendingRow) -> Lookup:
        """A rate limit is waited out, however long: the row is never given up for it."""
        while True:
            try:
                return await look_up_attribution(self.providers, credentials, row)
            except ProviderRateLimitedError as exc:
                wait = exc.retry_after if exc.retry_after is not None else 1.0
                await asyncio.sleep(max(wait, 0.05))

    async def _write(self) -> None:
        batch: list[Lookup] = []
        flush_at = 0.0
        while True:
            timeout = max(0.0, flush_at - time.monotonic()) if batch else None
            try:
                item = await asyncio.wait_for(self.results.get(), timeout)
            except TimeoutError:
                await self._flush(batch)
                batch = []
                continue
            if item is _DONE:
                break
            assert isinstance(item, Lookup)
            if not batch:
                flush_at = time.monotonic() + self.flush_seconds
            batch.append(item)
            self._report(item)
            if len(batch) >= self.batch_size:
                await self._flush(batch)
                batch = []
        await self._flush(batch)

    def _report(self, lookup: Lookup) -> None:
        self.progress["done"] += 1
        if lookup.error is not None:
            self.progress["errors"] += 1
        else:
            self.progress[lookup.row.provider.value] += 1
        if self.on_progress is not None:
            self.on_progress(
                BackfillProgress(
                    total=self.total,
                    done=self.progress["done"],
                    ghl_filled=self.progress["ghl"],
                    calendly_filled=self.progress["calendly"],
                    errors=self.progress["errors"],
                )
            )

    async def _flush(self, batch: list[Lookup], *extra_errors: dict[str, Any]) -> None:
        """Write one batch of answers and the run's counts in one transaction."""
        errors = [
            run_error(
                lookup.row.appointment_id,
                lookup.row.provider,
                lookup.error,
                retryable=not lookup.permanent,
            )
            for lookup in batch
            if lookup.error is not None
        ]
        errors += self.run_errors + list(extra_errors)
        self.run_errors = []
        if not batch and not errors:
            return
        now = utcnow()
        async with self.sessionmaker() as session, session.begin():
            appointments = AttributionRepository(session)
            filled = {
                provider: await appointments.fill(provider, _found(batch, provider))
                for provider in (Provider.GHL, Provider.CALENDLY)
            }
            for lookup in batch:
                if lookup.error is not None and lookup.permanent:
                    await appointments.mark_lookup_failed(
                        lookup.row.appointment_id, lookup.row.provider, lookup.error, now=now
                    )
            room = max(0, MAX_STORED_ERRORS - self.stored_errors)
            await BackfillRunRepository(session).add_progress(
                self.run_id,
                ghl_updated=filled[Provider.GHL],
                calendly_updated=filled[Provider.CALENDLY],
                error_count=len(errors),
                new_errors=errors[:room],
            )
        self.stored_errors += min(room, len(errors))

    async def _finish(self, status: str, *extra_errors: dict[str, Any]) -> None:
        await self._flush([], *extra_errors)
        async with self.sessionmaker() as session, session.begin():
            await BackfillRunRepository(session).finish(self.run_id, status=status, now=utcnow())


def _found(batch: list[Lookup], provider: Provider) -> list[FoundAttribution]:
    return [
        FoundAttribution(lookup.row.appointment_id, lookup.attribution, lookup.event_uri)
        for lookup in batch
        if lookup.row.provider is provider and lookup.attribution is not None
    ]


def run_summary_line(summary: BackfillSummary) -> str:
    return (
        f"{summary.status}: {summary.ghl_updated} HighLevel and {summary.calendly_updated} "
        f"Calendly appointments attributed, {summary.error_count} errors"
    )


__all__ = [
    "BackfillProgress",
    "backfill_appointment_attribution",
    "run_summary_line",
]
