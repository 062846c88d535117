"""webhook event received_at index for retention

Revision ID: e321ed125606
Revises: 7b3e9f1c2d60
Create Date: 2026-11-26 14:11:48.709076+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e321ed125606"
down_revision: str | None = "7b3e9f1c2d60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_webhook_event_received_at", "webhook_event", ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_webhook_event_received_at", table_name="webhook_event")
