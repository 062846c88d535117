import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from capacity_service.models.base import Base, UuidPrimaryKey


class Alert(UuidPrimaryKey, Base):
    """One episode of an alert condition, from the evaluation that saw it start to the one that
    saw it end.

    At most one open alert per (workspace, kind, scope), enforced by a partial unique index, so
    concurrent evaluations that both see a condition start open it (and notify) once.
    """

    __tablename__ = "alert"
    __table_args__ = (
        Index(
            "uq_alert_one_open_per_condition",
            "workspace_id",
            "kind",
            "scope",
            unique=True,
            postgresql_where=text("state = 'open'"),
        ),
        Index("ix_alert_workspace_opened", "workspace_id", "opened_at"),
        Index("ix_alert_opened_at", "opened_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    """over_capacity, under_used, no_availability, data_quality_auth, data_quality_not_found."""
    scope: Mapped[str] = mapped_column(String(20))
    """combined, DEFAULT or DIRECT_BOOK."""
    state: Mapped[str] = mapped_column(String(10), default="open")
    """open or cleared."""
    summary: Mapped[str] = mapped_column(Text)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """The figures of the evaluation that opened the alert."""
    cleared_figures: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    opened_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
