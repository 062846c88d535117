import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, Text, bindparam, func, select, text, update

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

# A new delivery in one round trip: the event, and (when it is to be processed) its job and
# the job's log row, as pgqueuer's own enqueue writes them (pgqueuer 1.6.0, whose schema the
# migrations install). A new event's job cannot hit the dedupe index: its key names the event.
_INSERT_NEW_AND_QUEUE = text("""
WITH event AS (
    INSERT INTO webhook_event
        (id, provider, event_key, event_type, workspace_id, raw_body, status, error,
         attempts, processed_at)
    VALUES (:id, CAST(:provider AS provider), :event_key, :event_type, :workspace_id, :raw_body,
            CAST(:status AS varchar), :error,
            CASE WHEN CAST(:status AS varchar) = 'received' THEN 0 ELSE 1 END,
            CASE WHEN CAST(:status AS varchar) = 'received' THEN NULL ELSE now() END)
    ON CONFLICT (provider, event_key) DO NOTHING
    RETURNING id, status
), job AS (
    INSERT INTO pgqueuer (priority, entrypoint, payload, execute_after, dedupe_key, status)
    SELECT 0, :job_entrypoint, :job_payload, now(), :job_dedupe_key, 'queued'
    FROM event WHERE status = 'received'
    RETURNING id, entrypoint, priority
), logged AS (
    INSERT INTO pgqueuer_log (job_id, status, entrypoint, priority)
    SELECT id, 'queued', entrypoint, priority FROM job
)
SELECT id FROM event
""")
_CALENDLY_SIGNING_KEY = text(
    "SELECT calendly_webhook_signing_key_encrypted FROM workspace WHERE id = :workspace_id"
)


@dataclass(frozen=True, slots=True)
class QueuedJob:
    """The processing job to queue with a new event: entrypoint, JSON payload, dedupe key."""

    entrypoint: str
    payload: bytes
    dedupe_key: str


class WebhookEventRepository(Repository):
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
        atomic statement; False (nothing written) when the key is already stored.

        A text statement on the session's connection: the ORM insert it replaces cost more
        CPU (entity construction, cache keys of its values) than PostgreSQL spent on it.
        """
        connection = await self.session.connection()
        stored = await connection.scalar(
            _INSERT_NEW_AND_QUEUE,
            {
                "id": event_id,
                "provider": provider.value,
                "event_key": event_key,
                "event_type": event_type,
                "workspace_id": workspace_id,
                "raw_body": raw_body,
                "status": status,
                "error": error,
                "job_entrypoint": job.entrypoint,
                "job_payload": job.payload,
                "job_dedupe_key": job.dedupe_key,
            },
        )
        return stored is not None

    async def calendly_signing_key(self, workspace_id: uuid.UUID) -> tuple[bool, bytes | None]:
        """(the workspace exists, its encrypted Calendly signing key), in one narrow read:
        a signature check needs nothing else of the workspace."""
        connection = await self.session.connection()
        row = (
            await connection.execute(_CALENDLY_SIGNING_KEY, {"workspace_id": workspace_id})
        ).first()
        return (False, None) if row is None else (True, row[0])

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
