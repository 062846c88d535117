"""workspace_provider_sync: when each provider was last reconciled per workspace

Revision ID: e4d8bd5873be
Revises: 7c1e4b2d9f30
Create Date: 2026-11-26 12:20:37.361868+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e4d8bd5873be"
down_revision: str | None = "7c1e4b2d9f30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace_provider_sync",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column(
            "provider",
            postgresql.ENUM("ghl", "calendly", name="provider", create_type=False),
            nullable=False,
        ),
        sa.Column("last_reconciled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_reconcile_seen", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_reconcile_errors", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_workspace_provider_sync_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "provider", name=op.f("pk_workspace_provider_sync")
        ),
    )


def downgrade() -> None:
    op.drop_table("workspace_provider_sync")
