import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from capacity_service.models.base import Base, UuidPrimaryKey


class BookingRequest(UuidPrimaryKey, Base):
    """An `Idempotency-Key` of the bookings endpoint and the first result it produced."""

    __tablename__ = "booking_request"
    __table_args__ = (UniqueConstraint("workspace_id", "idempotency_key"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    response_status: Mapped[int | None]
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    appointment_id: Mapped[uuid.UUID | None]
    # Written right after the provider booked, before the appointment: a retry that finds a
    # pending row with it finishes the write instead of booking again.
    provider_booking_id: Mapped[str | None] = mapped_column(String(500))
    provider_booking: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # When the current attempt took the key (a failed attempt's retry takes it again).
    claimed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    completed_at: Mapped[datetime | None]
