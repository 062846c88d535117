"""initial schema: workspaces, leads, appointments, availability cache, webhooks, jobs

Revision ID: 5637b65cdf6b
Revises:
Create Date: 2026-11-26 12:06:17.204199+00:00
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5637b65cdf6b"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


def _run_script(name: str) -> None:
    """Run a multi-statement SQL file (the job queue's own DDL) on the raw asyncpg connection."""
    sql = (_SQL_DIR / name).read_text()

    async def execute(driver_connection: Any) -> None:
        await driver_connection.execute(sql)

    op.get_bind().connection.dbapi_connection.run_async(execute)  # type: ignore[union-attr]


def upgrade() -> None:
    op.create_table(
        "workspace",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("ghl_location_id", sa.String(length=100), nullable=True),
        sa.Column("ghl_access_token_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("ghl_default_calendar_id", sa.String(length=100), nullable=True),
        sa.Column("ghl_direct_book_calendar_id", sa.String(length=100), nullable=True),
        sa.Column("calendly_access_token_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("calendly_organization_uri", sa.String(length=500), nullable=True),
        sa.Column("calendly_webhook_signing_key_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("calendly_default_event_type_uri", sa.String(length=500), nullable=True),
        sa.Column("calendly_direct_book_event_type_uri", sa.String(length=500), nullable=True),
        sa.Column(
            "default_source_provider", sa.Enum("ghl", "calendly", name="provider"), nullable=True
        ),
        sa.Column(
            "direct_book_source_provider",
            sa.Enum("ghl", "calendly", name="provider"),
            nullable=True,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace")),
        sa.UniqueConstraint("ghl_location_id", name=op.f("uq_workspace_ghl_location_id")),
    )
    op.create_table(
        "api_key",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_api_key_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key_key_hash")),
    )
    op.create_index(op.f("ix_api_key_workspace_id"), "api_key", ["workspace_id"], unique=False)
    op.create_table(
        "backfill_run",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ghl_updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("calendly_updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "errors", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_backfill_run_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backfill_run")),
    )
    op.create_index(
        op.f("ix_backfill_run_workspace_id"), "backfill_run", ["workspace_id"], unique=False
    )
    op.create_index(
        "uq_backfill_run_one_active_per_workspace",
        "backfill_run",
        ["workspace_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_table(
        "booking_request",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("appointment_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_booking_request_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_request")),
        sa.UniqueConstraint(
            "workspace_id",
            "idempotency_key",
            name=op.f("uq_booking_request_workspace_id_idempotency_key"),
        ),
    )
    op.create_table(
        "campaign",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_campaign_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_campaign_workspace_id_name")),
    )
    op.create_index(op.f("ix_campaign_workspace_id"), "campaign", ["workspace_id"], unique=False)
    op.create_table(
        "webhook_event",
        sa.Column("provider", sa.Enum("ghl", "calendly", name="provider"), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=True),
        sa.Column("workspace_id", sa.Uuid(), nullable=True),
        sa.Column("raw_body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_webhook_event_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_event")),
        sa.UniqueConstraint(
            "provider", "event_key", name=op.f("uq_webhook_event_provider_event_key")
        ),
    )
    op.create_index(
        op.f("ix_webhook_event_workspace_id"), "webhook_event", ["workspace_id"], unique=False
    )
    op.create_table(
        "workspace_availability_cache",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column(
            "source", sa.Enum("DEFAULT", "DIRECT_BOOK", name="availability_source"), nullable=False
        ),
        sa.Column("provider", sa.Enum("ghl", "calendly", name="provider"), nullable=True),
        sa.Column("identifier", sa.String(length=500), nullable=True),
        sa.Column(
            "slots",
            postgresql.ARRAY(postgresql.TIMESTAMP(timezone=True)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("range_start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("range_end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_kind", sa.String(length=40), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_workspace_availability_cache_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_availability_cache")),
        sa.UniqueConstraint(
            "workspace_id",
            "source",
            name=op.f("uq_workspace_availability_cache_workspace_id_source"),
        ),
    )
    op.create_table(
        "lead",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("ghl_contact_id", sa.String(length=100), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("latest_appointment_id", sa.Uuid(), nullable=True),
        sa.Column(
            "latest_appointment_status",
            sa.Enum(
                "CONFIRMED",
                "CANCELED",
                "RESCHEDULED",
                "SHOWED",
                "NO_SHOW",
                name="appointment_status",
            ),
            nullable=True,
        ),
        sa.Column("latest_appointment_start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("latest_appointment_booked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "latest_appointment_provider",
            sa.Enum("ghl", "calendly", name="provider"),
            nullable=True,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_lead_campaign_id_campaign"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_lead_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead")),
        sa.UniqueConstraint("workspace_id", "email", name=op.f("uq_lead_workspace_id_email")),
        sa.UniqueConstraint(
            "workspace_id", "ghl_contact_id", name=op.f("uq_lead_workspace_id_ghl_contact_id")
        ),
    )
    op.create_index(op.f("ix_lead_campaign_id"), "lead", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_lead_workspace_id"), "lead", ["workspace_id"], unique=False)
    op.create_table(
        "appointment",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.Enum("ghl", "calendly", name="provider"), nullable=False),
        sa.Column("ghl_appointment_id", sa.String(length=200), nullable=True),
        sa.Column("calendly_invitee_uri", sa.String(length=500), nullable=True),
        sa.Column("calendly_scheduled_event_uri", sa.String(length=500), nullable=True),
        sa.Column("ghl_calendar_id", sa.String(length=100), nullable=True),
        sa.Column("calendly_event_type_uri", sa.String(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "CONFIRMED",
                "CANCELED",
                "RESCHEDULED",
                "SHOWED",
                "NO_SHOW",
                name="appointment_status",
            ),
            nullable=False,
        ),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attribution_lookup_error", sa.Text(), nullable=True),
        sa.Column("attribution_lookup_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(ghl_appointment_id IS NOT NULL) <> (calendly_invitee_uri IS NOT NULL)",
            name=op.f("ck_appointment_one_provider_identity"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["lead.id"], name=op.f("fk_appointment_lead_id_lead"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_appointment_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
        sa.UniqueConstraint(
            "calendly_invitee_uri", name=op.f("uq_appointment_calendly_invitee_uri")
        ),
        sa.UniqueConstraint("ghl_appointment_id", name=op.f("uq_appointment_ghl_appointment_id")),
    )
    op.create_index(
        "idx_appointment_capacity_query",
        "appointment",
        ["lead_id", "status", "start_at"],
        unique=False,
    )
    op.create_index(
        "idx_appointment_workspace_window",
        "appointment",
        ["workspace_id", "status", "start_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_appointment_calendly_event_type_uri"),
        "appointment",
        ["calendly_event_type_uri"],
        unique=False,
    )
    op.create_index(
        op.f("ix_appointment_calendly_scheduled_event_uri"),
        "appointment",
        ["calendly_scheduled_event_uri"],
        unique=False,
    )
    op.create_index(
        op.f("ix_appointment_ghl_calendar_id"), "appointment", ["ghl_calendar_id"], unique=False
    )

    _run_script("pgqueuer-1.6.0-install.sql")


def downgrade() -> None:
    _run_script("pgqueuer-1.6.0-uninstall.sql")
    op.drop_index(op.f("ix_appointment_ghl_calendar_id"), table_name="appointment")
    op.drop_index(op.f("ix_appointment_calendly_scheduled_event_uri"), table_name="appointment")
    op.drop_index(op.f("ix_appointment_calendly_event_type_uri"), table_name="appointment")
    op.drop_index("idx_appointment_workspace_window", table_name="appointment")
    op.drop_index("idx_appointment_capacity_query", table_name="appointment")
    op.drop_table("appointment")
    op.drop_index(op.f("ix_lead_workspace_id"), table_name="lead")
    op.drop_index(op.f("ix_lead_campaign_id"), table_name="lead")
    op.drop_table("lead")
    op.drop_table("workspace_availability_cache")
    op.drop_index(op.f("ix_webhook_event_workspace_id"), table_name="webhook_event")
    op.drop_table("webhook_event")
    op.drop_index(op.f("ix_campaign_workspace_id"), table_name="campaign")
    op.drop_table("campaign")
    op.drop_table("booking_request")
    op.drop_index(
        "uq_backfill_run_one_active_per_workspace",
        table_name="backfill_run",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.drop_index(op.f("ix_backfill_run_workspace_id"), table_name="backfill_run")
    op.drop_table("backfill_run")
    op.drop_index(op.f("ix_api_key_workspace_id"), table_name="api_key")
    op.drop_table("api_key")
    op.drop_table("workspace")
    sa.Enum(name="availability_source").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="appointment_status").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="provider").drop(op.get_bind(), checkfirst=True)
