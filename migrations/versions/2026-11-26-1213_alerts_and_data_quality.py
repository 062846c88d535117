"""alerts, their deliveries, per-workspace alert settings; index for the last webhook received

Revision ID: a8e986292847
Revises: 5637b65cdf6b
Create Date: 2026-11-26 12:13:49.065265+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a8e986292847"
down_revision: str | None = "5637b65cdf6b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cleared_figures", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_alert_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    op.create_index("ix_alert_opened_at", "alert", ["opened_at"], unique=False)
    op.create_index(
        "ix_alert_workspace_opened", "alert", ["workspace_id", "opened_at"], unique=False
    )
    op.create_index(
        "uq_alert_one_open_per_condition",
        "alert",
        ["workspace_id", "kind", "scope"],
        unique=True,
        postgresql_where=sa.text("state = 'open'"),
    )
    op.create_table(
        "workspace_alert_memory",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("sources_with_slots", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("last_figures", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "evaluated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_workspace_alert_memory_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_workspace_alert_memory")),
    )
    op.create_table(
        "workspace_alert_settings",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column(
            "over_capacity_pct", sa.Numeric(precision=5, scale=2, asdecimal=False), nullable=True
        ),
        sa.Column(
            "under_used_pct", sa.Numeric(precision=5, scale=2, asdecimal=False), nullable=True
        ),
        sa.Column("webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("webhook_secret_encrypted", sa.LargeBinary(), nullable=True),
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
            name=op.f("fk_workspace_alert_settings_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_workspace_alert_settings")),
    )
    op.create_table(
        "alert_delivery",
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("event", sa.String(length=10), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert.id"],
            name=op.f("fk_alert_delivery_alert_id_alert"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery")),
    )
    op.create_index(
        op.f("ix_alert_delivery_alert_id"), "alert_delivery", ["alert_id"], unique=False
    )
    op.create_index(
        "ix_webhook_event_last_received",
        "webhook_event",
        ["workspace_id", "provider", "received_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_event_last_received", table_name="webhook_event")
    op.drop_index(op.f("ix_alert_delivery_alert_id"), table_name="alert_delivery")
    op.drop_table("alert_delivery")
    op.drop_table("workspace_alert_settings")
    op.drop_table("workspace_alert_memory")
    op.drop_index(
        "uq_alert_one_open_per_condition",
        table_name="alert",
        postgresql_where=sa.text("state = 'open'"),
    )
    op.drop_index("ix_alert_workspace_opened", table_name="alert")
    op.drop_index("ix_alert_opened_at", table_name="alert")
    op.drop_table("alert")
