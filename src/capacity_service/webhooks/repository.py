import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from capacity_service.kit.enums import Provider
from capacity_service.kit.repository import Repository
from capacity_service.models import WebhookEvent


class WebhookEventRepository(Repository):
    async def store(
        self,
        *,
        provider: Provider,
        event_key: str,
        event_type: str | None,
        workspace_id: uuid.UUID | None,
        raw_body: bytes,
    ) -> tuple[WebhookEvent, bool]:
        """INSERT ... ON CONFLICT DO NOTHING on (provider, event_key); True when new.

        A concurrent insert of the same key waits for the first transaction and then finds
        its row, so a delivery racing itself is stored once.
        """
        inserted = await self.session.scalar(
            insert(WebhookEvent)
            .values(
                id=uuid.uuid4(),
                provider=provider,
                event_key=event_key,
                event_type=event_type,
                workspace_id=workspace_id,
                raw_body=raw_body,
                status="received",
            )
            .on_conflict_do_nothing(index_elements=[WebhookEvent.provider, WebhookEvent.event_key])
            .returning(WebhookEvent.id)
        )
        event = await self.session.scalar(
            select(WebhookEvent)
            .where(WebhookEvent.provider == provider, WebhookEvent.event_key == event_key)
            .execution_options(populate_existing=True)
        )
        assert event is not None
        return event, inserted is not None

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
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .values(
                status=status,
                error=error,
                attempts=WebhookEvent.attempts + 1,
                processed_at=func.now(),
                workspace_id=func.coalesce(workspace_id, WebhookEvent.workspace_id),
            )
            .returning(WebhookEvent)
            .execution_options(populate_existing=True, synchronize_session=False)
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
