import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, Numeric, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from capacity_service.models.base import Base, Timestamps


class WorkspaceAlertSettings(Timestamps, Base):
    """A workspace's own alert thresholds and outgoing webhook; NULL means the service default.

    A workspace without a row uses the defaults throughout.
    """

    __tablename__ = "workspace_alert_settings"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    over_capacity_pct: Mapped[float | None] = mapped_column(Numeric(5, 2, asdecimal=False))
    under_used_pct: Mapped[float | None] = mapped_column(Numeric(5, 2, asdecimal=False))
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)


class WorkspaceAlertMemory(Base):
    """What past evaluations saw that the current figures alone cannot tell.

    `sources_with_slots` holds `SOURCE:identifier` for every source that has had open slots,
    so an empty calendar that used to have openings is told apart from one never used.
    """

    __tablename__ = "workspace_alert_memory"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    sources_with_slots: Mapped[list[str]] = mapped_column(JSONB, default=list)
    last_figures: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    evaluated_at: Mapped[datetime] = mapped_column(server_default=func.now())
