from sqlalchemy import Enum, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from capacity_service.kit.enums import Provider
from capacity_service.models.base import Base, Timestamps, UuidPrimaryKey

provider_enum = Enum(Provider, name="provider", values_callable=lambda e: [m.value for m in e])


class Workspace(UuidPrimaryKey, Timestamps, Base):
    """One client. Secrets live only in the `*_encrypted` columns (Fernet ciphertext)."""

    __tablename__ = "workspace"

    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")

    ghl_location_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    ghl_access_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    ghl_default_calendar_id: Mapped[str | None] = mapped_column(String(100))
    ghl_direct_book_calendar_id: Mapped[str | None] = mapped_column(String(100))

    calendly_access_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    calendly_organization_uri: Mapped[str | None] = mapped_column(String(500))
    calendly_webhook_signing_key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    calendly_default_event_type_uri: Mapped[str | None] = mapped_column(String(500))
    calendly_direct_book_event_type_uri: Mapped[str | None] = mapped_column(String(500))

    default_source_provider: Mapped[Provider | None] = mapped_column(provider_enum)
    """Which provider's identifier is the DEFAULT availability source when both are set."""
    direct_book_source_provider: Mapped[Provider | None] = mapped_column(provider_enum)
