"""workspace row changes also notify their own channel

Revision ID: 9a4f6e2c1b38
Revises: 5d0c8a41b7e2
Create Date: 2026-11-26 15:10:00.000000+00:00

`workspace_changed` fires for any row of a workspace's data, a webhook event included. What
depends on the workspace row alone (its Calendly signing key, held in memory by the webhook
receipt) listens on `workspace_row_changed`, which fires only when the row itself changes, so
a workspace's own webhooks do not evict the key they are verified with.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9a4f6e2c1b38"
down_revision: str | None = "5d0c8a41b7e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _function(workspace_branch: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION notify_workspace_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'workspace' THEN
{workspace_branch}
    ELSE
        IF TG_OP <> 'DELETE' AND NEW.workspace_id IS NOT NULL THEN
            PERFORM pg_notify('workspace_changed', NEW.workspace_id::text);
        END IF;
        IF OLD.workspace_id IS NOT NULL AND (
            TG_OP = 'DELETE'
            OR (TG_OP = 'UPDATE' AND OLD.workspace_id IS DISTINCT FROM NEW.workspace_id)
        ) THEN
            PERFORM pg_notify('workspace_changed', OLD.workspace_id::text);
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""


WITH_ROW_CHANNEL = """
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('workspace_changed', NEW.id::text);
            PERFORM pg_notify('workspace_row_changed', NEW.id::text);
        END IF;
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id <> NEW.id) THEN
            PERFORM pg_notify('workspace_changed', OLD.id::text);
            PERFORM pg_notify('workspace_row_changed', OLD.id::text);
        END IF;"""

WITHOUT_ROW_CHANNEL = """
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('workspace_changed', NEW.id::text);
        END IF;
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id <> NEW.id) THEN
            PERFORM pg_notify('workspace_changed', OLD.id::text);
        END IF;"""


def upgrade() -> None:
    op.execute(_function(WITH_ROW_CHANNEL))


def downgrade() -> None:
    op.execute(_function(WITHOUT_ROW_CHANNEL))
