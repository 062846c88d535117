import uuid
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert

from capacity_service.kit.repository import Repository
from capacity_service.models import BookingRequest


class BookingRequestRepository(Repository):
    async def try_claim(self, workspace_id: uuid.UUID, idempotency_key: str) -> bool:
        """A transaction-scoped advisory lock on the key: False while another request with
        the same key is in flight, so a concurrent duplicate is refused instead of waiting
        behind a provider call (and never books twice)."""
        claimed = await self.session.scalar(
            text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"booking:{workspace_id}:{idempotency_key}"},
        )
        return bool(claimed)

    async def get(self, workspace_id: uuid.UUID, idempotency_key: str) -> BookingRequest | None:
        return await self.session.scalar(
            select(BookingRequest).where(
                BookingRequest.workspace_id == workspace_id,
                BookingRequest.idempotency_key == idempotency_key,
            )
        )

    async def record_completed(
        self,
        *,
        workspace_id: uuid.UUID,
        idempotency_key: str,
        request_hash: str,
        response_status: int,
        response_body: dict[str, Any],
        appointment_id: uuid.UUID,
    ) -> None:
        await self.session.execute(
            insert(BookingRequest)
            .values(
                id=uuid.uuid4(),
                workspace_id=workspace_id,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                status="completed",
                response_status=response_status,
                response_body=response_body,
                appointment_id=appointment_id,
                completed_at=func.now(),
            )
            .on_conflict_do_nothing(
                index_elements=[BookingRequest.workspace_id, BookingRequest.idempotency_key]
            )
        )
