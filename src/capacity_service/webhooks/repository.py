import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import insert

from capacity_service.kit.enums import Provider
from capacity_service.kit.repository import Repository
from capacity_service.models import WebhookEvent, Workspace


def _bound(*names: str) -> dict[str, Any]:
    return {name: bindparam(name, type_=WebhookEvent.__table__.c[name].type) for name in names}


# Built once, with bind parameters: every delivery runs them, and rebuilding a statement (and
# its cache key) per call cost more CPU than PostgreSQL spent executing it.
_INSERT = (
    insert(WebhookEvent)
    .values(
        **_bound(
            "id",
            "provider",
            "event_key",
            "event_type",
            "workspace_id",
            "raw_body",
            "status",
            "error",
        ),
        # Refused at receipt (failed, ignored) counts as an attempt, decided now.
        attempts=case((bindparam("status", type_=String()) == "received", 0), else_=1),
        processed_at=case(
            (bindparam("status", type_=String()) == "received", None), else_=func.now()
        ),
    )
    .on_conflict_do_nothing(index_elements=[WebhookEvent.provider, WebhookEvent.event_key])
    .returning(WebhookEvent)
    .execution_options(populate_existing=True)
)
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
_CALENDLY_SIGNING_KEY = select(
    Workspace.id, Workspace.calendly_webhook_signing_key_encrypted
).where(Workspace.id == bindparam("workspace_id", type_=Workspace.__table__.c.id.type))


class WebhookEventRepository(Repository):
    async def store(
        self,
        *,
        provider: Provider,
        event_key: str,
        event_type: str | None,
        workspace_id: uuid.UUID | None,
        raw_body: bytes,
        status: str,
        error: str | None = None,
    ) -> tuple[WebhookEvent, bool]:
        """INSERT ... ON CONFLICT DO NOTHING on (provider, event_key); True when new.

        A new row is returned by the insert itself; a delivery already stored is returned
        row-locked (as `lock` does), so a replay and a redelivery do not process it at once.
        A concurrent insert of the same key waits for the first transaction and then finds
        its row, so a delivery racing itself is stored once.
        """
        new = await self.session.scalar(
            _INSERT,
            {
                "id": uuid.uuid4(),
                "provider": provider,
                "event_key": event_key,
                "event_type": event_type,
                "workspace_id": workspace_id,
                "raw_body": raw_body,
                "status": status,
                "error": error,
            },
        )
        if new is not None:
            return new, True
        event = await self.session.scalar(
            _LOCK_BY_KEY, {"provider": provider, "event_key": event_key}
        )
        assert event is not None
        return event, False

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

    async def calendly_signing_key(self, workspace_id: uuid.UUID) -> tuple[bool, bytes | None]:
        """(the workspace exists, its encrypted Calendly signing key), in one narrow read:
        a signature check needs nothing else of the workspace."""
        row = (
            await self.session.execute(_CALENDLY_SIGNING_KEY, {"workspace_id": workspace_id})
        ).first()
        return (False, None) if row is None else (True, row[1])

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
