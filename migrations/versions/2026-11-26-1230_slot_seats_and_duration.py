"""availability cache: seats per slot and slot duration, for minutes-weighted % booked

Revision ID: 7c1e4b2d9f30
Revises: a8e986292847
Create Date: 2026-11-26 12:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7c1e4b2d9f30"
down_revision: str | None = "a8e986292847"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "workspace_availability_cache",
        sa.Column("slot_seats", postgresql.ARRAY(sa.Integer()), nullable=True),
    )
    op.add_column(
        "workspace_availability_cache",
        sa.Column("slot_duration_minutes", sa.Integer(), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("workspace_availability_cache", "slot_duration_minutes")
    op.drop_column("workspace_availability_cache", "slot_seats")
