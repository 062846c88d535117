import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.models.base import Base, Timestamps, UuidPrimaryKey
from capacity_service.models.workspace import provider_enum

appointment_status_enum = Enum(
    AppointmentStatus, name="appointment_status", values_callable=lambda e: [m.value for m in e]
)


class Lead(UuidPrimaryKey, Timestamps, Base):
    """A person in a workspace, with a rollup of its latest appointment.

    The rollup is written only by the appointment upsert, in the same transaction.
    """

    __tablename__ = "lead"
    __table_args__ = (
        UniqueConstraint("workspace_id", "email"),
        UniqueConstraint("workspace_id", "ghl_contact_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    ghl_contact_id: Mapped[str | None] = mapped_column(String(100))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL"), index=True
    )

    latest_appointment_id: Mapped[uuid.UUID | None]
    latest_appointment_status: Mapped[AppointmentStatus | None] = mapped_column(
        appointment_status_enum
    )
    latest_appointment_start_at: Mapped[datetime | None]
    latest_appointment_booked_at: Mapped[datetime | None]
    latest_appointment_provider: Mapped[Provider | None] = mapped_column(provider_enum)
