import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from capacity_service.models.base import Base, UuidPrimaryKey


class AlertDelivery(UuidPrimaryKey, Base):
    """One alert event (fired or cleared) sent to one outgoing webhook, with its attempts.

    The payload is fixed when the event happens, so every retry sends the same body.
    """

    __tablename__ = "alert_delivery"

    alert_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("alert.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(10))
    """fired or cleared."""
    target: Mapped[str] = mapped_column(String(20))
    """workspace (the client's URL) or operator (the service-wide URL)."""
    url: Mapped[str] = mapped_column(String(2000))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    """pending, delivered or failed (attempts exhausted)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_attempt_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
