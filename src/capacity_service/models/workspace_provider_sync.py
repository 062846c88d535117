import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from capacity_service.kit.enums import Provider
from capacity_service.models.base import Base
from capacity_service.models.workspace import provider_enum


class WorkspaceProviderSync(Base):
    """When a workspace's appointments were last read back from a provider (a data-quality
    signal: a workspace never reconciled can be missing bookings its webhooks did not bring)."""

    __tablename__ = "workspace_provider_sync"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[Provider] = mapped_column(provider_enum, primary_key=True)
    last_reconciled_at: Mapped[datetime]
    last_reconcile_seen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_reconcile_errors: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
