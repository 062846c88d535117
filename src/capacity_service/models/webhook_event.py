import uuid
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from capacity_service.kit.enums import Provider
from capacity_service.models.base import Base, UuidPrimaryKey
from capacity_service.models.workspace import provider_enum


class WebhookEvent(UuidPrimaryKey, Base):
    """A received webhook, stored raw before it is acknowledged, so nothing is lost.

    `event_key` is the provider's identity of the delivery; a redelivery hits the unique
    constraint and is not stored twice.
    """

    __tablename__ = "webhook_event"
    __table_args__ = (
        UniqueConstraint("provider", "event_key"),
        # The last webhook per provider of a workspace (a data-quality signal) is one probe.
        Index("ix_webhook_event_last_received", "workspace_id", "provider", "received_at"),
        # Retention deletes the oldest events in small batches; without this each batch scans.
        Index("ix_webhook_event_received_at", "received_at"),
        # The sweep looks for events still waiting for processing: a few among many.
        Index(
            "ix_webhook_event_waiting",
            "received_at",
            postgresql_where=text("status = 'received'"),
        ),
    )

    provider: Mapped[Provider] = mapped_column(provider_enum)
    event_key: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str | None] = mapped_column(String(100))
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    raw_body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="received")
    """received, processed, ignored or failed."""
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    processed_at: Mapped[datetime | None]
