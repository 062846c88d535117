"""booking request: provider identity of the booking and when the attempt claimed the key

Revision ID: 7b3e9f1c2d60
Revises: 5c1d7e2a9b40
Create Date: 2026-11-26 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7b3e9f1c2d60"
down_revision: str | None = "5c1d7e2a9b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "booking_request", sa.Column("provider_booking_id", sa.String(length=500), nullable=True)
    )
    op.add_column(
        "booking_request",
        sa.Column("provider_booking", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column(
        "booking_request",
        sa.Column(
            "claimed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("booking_request", "claimed_at")
    op.drop_column("booking_request", "provider_booking")
    op.drop_column("booking_request", "provider_booking_id")
