import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from capacity_service.models.base import Base, UuidPrimaryKey


class BackfillRun(UuidPrimaryKey, Base):
    """One attribution backfill of a workspace; at most one queued or running per workspace."""

    __tablename__ = "backfill_run"
    __table_args__ = (
        Index(
            "uq_backfill_run_one_active_per_workspace",
            "workspace_id",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="queued")
    """queued, running, succeeded or failed."""
    total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ghl_updated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    calendly_updated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    job_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
