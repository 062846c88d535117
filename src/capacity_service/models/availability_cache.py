import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.orm import Mapped, mapped_column

from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.models.base import Base, Timestamps, UuidPrimaryKey
from capacity_service.models.workspace import provider_enum

availability_source_enum = Enum(
    AvailabilitySource, name="availability_source", values_callable=lambda e: [m.value for m in e]
)


class WorkspaceAvailabilityCache(UuidPrimaryKey, Timestamps, Base):
    """The open slots of one source, as last fetched. Written only by the availability refresh.

    Slots are a sorted `timestamptz[]` so a window count is done by PostgreSQL, with no parsing
    of slot strings in Python.
    """

    __tablename__ = "workspace_availability_cache"
    __table_args__ = (UniqueConstraint("workspace_id", "source"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    source: Mapped[AvailabilitySource] = mapped_column(availability_source_enum)
    provider: Mapped[Provider | None] = mapped_column(provider_enum)
    identifier: Mapped[str | None] = mapped_column(String(500))
    slots: Mapped[list[datetime]] = mapped_column(
        ARRAY(TIMESTAMP(timezone=True)), default=list, server_default="{}"
    )
    range_start_at: Mapped[datetime | None]
    range_end_at: Mapped[datetime | None]
    slot_seats: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    """Open seats of each slot, parallel to `slots`; NULL when the provider reports none (one)."""
    slot_duration_minutes: Mapped[int | None] = mapped_column(Integer)
    """One slot's length: Calendly event type duration, HighLevel slotDuration; NULL if unknown."""
    fetched_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_kind: Mapped[str | None] = mapped_column(String(40))
    last_error_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
