"""webhook events waiting for processing: partial index for the sweep

Revision ID: 5d0c8a41b7e2
Revises: c75f577c71bc
Create Date: 2026-11-26 15:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d0c8a41b7e2"
down_revision: str | None = "c75f577c71bc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_webhook_event_waiting",
        "webhook_event",
        ["received_at"],
        unique=False,
        postgresql_where=sa.text("status = 'received'"),
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_event_waiting", table_name="webhook_event")
