"""covering capacity index: attribution included in (workspace_id, status, start_at)

Revision ID: 5c1d7e2a9b40
Revises: e4d8bd5873be
Create Date: 2026-11-26 13:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c1d7e2a9b40"
down_revision: str | None = "e4d8bd5873be"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("idx_appointment_workspace_window", table_name="appointment")
    op.create_index(
        "idx_appointment_workspace_window",
        "appointment",
        ["workspace_id", "status", "start_at"],
        postgresql_include=["ghl_calendar_id", "calendly_event_type_uri"],
    )


def downgrade() -> None:
    op.drop_index("idx_appointment_workspace_window", table_name="appointment")
    op.create_index(
        "idx_appointment_workspace_window", "appointment", ["workspace_id", "status", "start_at"]
    )
