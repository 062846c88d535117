import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from capacity_service.kit.repository import Repository
from capacity_service.models import BookingRequest

PENDING = "pending"
COMPLETED = "completed"
FAILED = "failed"


class BookingRequestRepository(Repository):
    async def claim(
        self, workspace_id: uuid.UUID, idempotency_key: str, request_hash: str
    ) -> BookingRequest | None:
        """Insert the key as pending; None when a row for it already exists."""
        row_id = await self.session.scalar(
            insert(BookingRequest)
            .values(
                id=uuid.uuid4(),
                workspace_id=workspace_id,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                status=PENDING,
            )
            .on_conflict_do_nothing(
                index_elements=[BookingRequest.workspace_id, BookingRequest.idempotency_key]
            )
            .returning(BookingRequest.id)
        )
        return None if row_id is None else await self.session.get(BookingRequest, row_id)

    async def reclaim_failed(self, row_id: uuid.UUID, request_hash: str) -> bool:
        """Take a failed attempt's key for a new attempt; False when another retry took it."""
        taken = await self.session.scalar(
            update(BookingRequest)
            .where(BookingRequest.id == row_id, BookingRequest.status == FAILED)
            .values(status=PENDING, request_hash=request_hash, error=None, claimed_at=func.now())
            .returning(BookingRequest.id)
        )
        return taken is not None

    async def get(
        self, workspace_id: uuid.UUID, idempotency_key: str, *, for_update: bool = False
    ) -> BookingRequest | None:
        query = select(BookingRequest).where(
            BookingRequest.workspace_id == workspace_id,
            BookingRequest.idempotency_key == idempotency_key,
        )
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query.execution_options(populate_existing=True))

    async def claim_age_seconds(self, row_id: uuid.UUID) -> float:
        """Measured on the database clock, the one `claimed_at` was written with."""
        age = await self.session.scalar(
            select(func.extract("epoch", func.now() - BookingRequest.claimed_at)).where(
                BookingRequest.id == row_id
            )
        )
        return float(age or 0)

    async def record_provider_booking(
        self, row_id: uuid.UUID, provider_booking_id: str, provider_booking: dict[str, Any]
    ) -> None:
        await self.session.execute(
            update(BookingRequest)
            .where(BookingRequest.id == row_id)
            .values(provider_booking_id=provider_booking_id, provider_booking=provider_booking)
        )

    async def mark_failed(self, row_id: uuid.UUID, error: str) -> None:
        await self.session.execute(
            update(BookingRequest)
            .where(BookingRequest.id == row_id, BookingRequest.status == PENDING)
            .values(status=FAILED, error=error[:2000], completed_at=func.now())
        )

    async def mark_completed(
        self,
        row_id: uuid.UUID,
        *,
        response_status: int,
        response_body: dict[str, Any],
        appointment_id: uuid.UUID,
    ) -> None:
        await self.session.execute(
            update(BookingRequest)
            .where(BookingRequest.id == row_id)
            .values(
                status=COMPLETED,
                response_status=response_status,
                response_body=response_body,
                appointment_id=appointment_id,
                completed_at=func.now(),
            )
        )
