import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sqlalchemy import String, Text, bindparam, func, select, update

from capacity_service.kit.enums import Provider
from capacity_service.kit.repository import Repository
from capacity_service.models import WebhookEvent

_LOCK_BY_KEY = (
    select(WebhookEvent)
    .where(
        WebhookEvent.provider
        == bindparam("provider", type_=WebhookEvent.__table__.c.provider.type),
        WebhookEvent.event_key == bindparam("event_key", type_=String()),
    )
    .with_for_update()
    .execution_options(populate_existing=True)
)
_RECORD_OUTCOME = (
    update(WebhookEvent)
    .where(WebhookEvent.id == bindparam("event_id", type_=WebhookEvent.__table__.c.id.type))
    .values(
        status=bindparam("status", type_=String()),
        error=bindparam("error", type_=Text()),
        attempts=WebhookEvent.attempts + 1,
        processed_at=func.now(),
        workspace_id=func.coalesce(
            bindparam("workspace_id", type_=WebhookEvent.__table__.c.workspace_id.type),
            WebhookEvent.workspace_id,
        ),
    )
    .returning(WebhookEvent)
    .execution_options(populate_existing=True, synchronize_session=False)
)
_MARK_RECEIVED = (
    update(WebhookEvent)
    .where(WebhookEvent.id == bindparam("event_id", type_=WebhookEvent.__table__.c.id.type))
    .values(
        status="received",
        error=None,
        workspace_id=func.coalesce(
            bindparam("workspace_id", type_=WebhookEvent.__table__.c.workspace_id.type),
            WebhookEvent.workspace_id,
        ),
    )
    .returning(WebhookEvent)
    .execution_options(populate_existing=True, synchronize_session=False)
)

# Receipt statements, sent on a bare connection where each commits by itself (see
# ReceiptRepository). Jobs are written as pgqueuer's own enqueue writes them: the job and its
# log row (pgqueuer 1.6.0, whose schema the migrations install).

# A new delivery in one round trip: the event and, when it is to be processed, its job. A new
# event's job cannot hit the dedupe index: its key names the event.
_INSERT_NEW_AND_QUEUE = """
WITH event AS (
    INSERT INTO webhook_event
        (id, provider, event_key, event_type, workspace_id, raw_body, status, error,
         attempts, processed_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7::varchar, $8,
            CASE WHEN $7::varchar = 'received' THEN 0 ELSE 1 END,
            CASE WHEN $7::varchar = 'received' THEN NULL ELSE now() END)
    ON CONFLICT (provider, event_key) DO NOTHING
    RETURNING id, status
), job AS (
    INSERT INTO pgqueuer (priority, entrypoint, payload, execute_after, dedupe_key, status)
    SELECT 0, $9, $10, now(), $11, 'queued' FROM event WHERE status = 'received'
    RETURNING id, entrypoint, priority
), logged AS (
    INSERT INTO pgqueuer_log (job_id, status, entrypoint, priority)
    SELECT id, 'queued', entrypoint, priority FROM job
)
SELECT id FROM event
"""
_KNOWN = "SELECT id, status, error FROM webhook_event WHERE provider = $1 AND event_key = $2"
_CALENDLY_SIGNING_KEY = "SELECT calendly_webhook_signing_key_encrypted FROM workspace WHERE id = $1"
_WORKSPACE_OF_LOCATION = "SELECT id FROM workspace WHERE ghl_location_id = $1"


@dataclass(frozen=True, slots=True)
class QueuedJob:
    """The processing job to queue with a new event: entrypoint, JSON payload, dedupe key."""

    entrypoint: str
    payload: bytes
    dedupe_key: str


@dataclass(frozen=True, slots=True)
class KnownEvent:
    id: uuid.UUID
    status: str
    error: str | None


class ReceiptRepository:
    """The statements of a webhook's receipt, on a bare asyncpg connection where each commits
    by itself (`db.autocommit_connection`): a new delivery costs one round trip and no ORM or
    SQLAlchemy execution work, which cost more CPU than PostgreSQL spent on the statement."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def insert_new(
        self,
        *,
        event_id: uuid.UUID,
        provider: Provider,
        event_key: str,
        event_type: str | None,
        workspace_id: uuid.UUID | None,
        raw_body: bytes,
        status: str,
        error: str | None,
        job: QueuedJob,
    ) -> bool:
        """Store a delivery not seen before, with its job when `status` is received, as one
        atomic statement; False (nothing written) when the key is already stored. A concurrent
        first insert of the same key is waited for, so the key is then known."""
        stored = await self.connection.fetchval(
            _INSERT_NEW_AND_QUEUE,
            event_id,
            provider.value,
            event_key,
            event_type,
            workspace_id,
            raw_body,
            status,
            error,
            job.entrypoint,
            job.payload,
            job.dedupe_key,
        )
        return stored is not None

    async def known(self, *, provider: Provider, event_key: str) -> KnownEvent | None:
        """A stored delivery, as it was last committed."""
        row = await self.connection.fetchrow(_KNOWN, provider.value, event_key)
        return None if row is None else KnownEvent(row["id"], row["status"], row["error"])

    async def calendly_signing_key(self, workspace_id: uuid.UUID) -> tuple[bool, bytes | None]:
        """(the workspace exists, its encrypted Calendly signing key), in one narrow read."""
        row = await self.connection.fetchrow(_CALENDLY_SIGNING_KEY, workspace_id)
        return (False, None) if row is None else (True, row[0])

    async def workspace_of_location(self, location_id: str) -> uuid.UUID | None:
        value = await self.connection.fetchval(_WORKSPACE_OF_LOCATION, location_id)
        return None if value is None else uuid.UUID(str(value))


class WebhookEventRepository(Repository):
    async def lock_by_key(self, *, provider: Provider, event_key: str) -> WebhookEvent:
        """A stored delivery, row-locked, so a replay and a redelivery do not act on it at
        once. A concurrent first insert of the key has committed by then: `insert_new` waited
        for it."""
        event = await self.session.scalar(
            _LOCK_BY_KEY, {"provider": provider, "event_key": event_key}
        )
        if event is None:
            raise LookupError(f"webhook event {provider.value}/{event_key} vanished")
        return event

    async def mark_received(
        self, event_id: uuid.UUID, *, workspace_id: uuid.UUID | None
    ) -> WebhookEvent:
        """Back to waiting for processing (a redelivery of an event that failed)."""
        result = await self.session.execute(
            _MARK_RECEIVED, {"event_id": event_id, "workspace_id": workspace_id}
        )
        return result.scalar_one()

    async def waiting_ids(self, *, received_before: datetime, limit: int) -> list[uuid.UUID]:
        """Events still waiting for processing since before a moment, oldest first."""
        rows = await self.session.scalars(
            select(WebhookEvent.id)
            .where(WebhookEvent.status == "received", WebhookEvent.received_at < received_before)
            .order_by(WebhookEvent.received_at)
            .limit(limit)
        )
        return list(rows.all())

    async def get(self, event_id: uuid.UUID) -> WebhookEvent | None:
        return await self.session.scalar(
            select(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .execution_options(populate_existing=True)
        )

    async def lock(self, event_id: uuid.UUID) -> WebhookEvent | None:
        """The event, row-locked, so a replay and a redelivery do not process it at once."""
        return await self.session.scalar(
            select(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def record_outcome(
        self,
        event_id: uuid.UUID,
        *,
        status: str,
        error: str | None,
        workspace_id: uuid.UUID | None,
    ) -> WebhookEvent:
        result = await self.session.execute(
            _RECORD_OUTCOME,
            {"event_id": event_id, "status": status, "error": error, "workspace_id": workspace_id},
        )
        return result.scalar_one()

    async def list(
        self,
        *,
        status: str | None,
        provider: Provider | None,
        workspace_id: uuid.UUID | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[WebhookEvent], int]:
        where = []
        if status is not None:
            where.append(WebhookEvent.status == status)
        if provider is not None:
            where.append(WebhookEvent.provider == provider)
        if workspace_id is not None:
            where.append(WebhookEvent.workspace_id == workspace_id)
        total = await self.session.scalar(
            select(func.count()).select_from(WebhookEvent).where(*where)
        )
        rows = await self.session.scalars(
            select(WebhookEvent)
            .where(*where)
            .order_by(WebhookEvent.received_at.desc(), WebhookEvent.id)
            .limit(limit)
            .offset(offset)
        )
        return rows.all(), int(total or 0)
