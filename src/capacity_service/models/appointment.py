import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.models.base import Base, Timestamps, UuidPrimaryKey
from capacity_service.models.lead import appointment_status_enum
from capacity_service.models.workspace import provider_enum


class Appointment(UuidPrimaryKey, Timestamps, Base):
    """One booking at a provider, attributed to the calendar or event type that offered it.

    `workspace_id` is stored although it follows from the lead, so that the capacity count is
    one range scan on (workspace_id, status, start_at) instead of one probe per lead.
    """

    __tablename__ = "appointment"
    __table_args__ = (
        Index("idx_appointment_capacity_query", "lead_id", "status", "start_at"),
        # Covering: the capacity count reads the attribution from the index alone, with no
        # heap page per appointment (bench/capacity_index.py: ten times fewer milliseconds).
        Index(
            "idx_appointment_workspace_window",
            "workspace_id",
            "status",
            "start_at",
            postgresql_include=["ghl_calendar_id", "calendly_event_type_uri"],
        ),
        CheckConstraint(
            "(ghl_appointment_id IS NOT NULL) <> (calendly_invitee_uri IS NOT NULL)",
            name="one_provider_identity",
        ),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    provider: Mapped[Provider] = mapped_column(provider_enum)

    ghl_appointment_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    calendly_invitee_uri: Mapped[str | None] = mapped_column(String(500), unique=True)
    calendly_scheduled_event_uri: Mapped[str | None] = mapped_column(String(500), index=True)

    ghl_calendar_id: Mapped[str | None] = mapped_column(String(100), index=True)
    calendly_event_type_uri: Mapped[str | None] = mapped_column(String(500), index=True)

    status: Mapped[AppointmentStatus] = mapped_column(appointment_status_enum)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    booked_at: Mapped[datetime | None]
    """When the booking was made at the provider (its creation time)."""
    provider_updated_at: Mapped[datetime | None]
    """The provider's version of this state; an event older than this is not applied."""

    attribution_lookup_error: Mapped[str | None] = mapped_column(Text)
    """Why the backfill could not attribute this row (e.g. gone at the provider)."""
    attribution_lookup_failed_at: Mapped[datetime | None]
