"""workspace change notifications: NOTIFY workspace_changed on every write analytics depends on

Revision ID: c75f577c71bc
Revises: e321ed125606
Create Date: 2026-11-26 14:30:00

Each API process LISTENs on `workspace_changed` and evicts what it holds in memory for the
workspace named by the payload. Triggers rather than calls from the services, so that every
write path notifies: the ones that exist, the ones added later, and an operator's SQL.
PostgreSQL delivers a notification only when its transaction commits and folds identical
payloads within one transaction, so a bulk write sends one notification per workspace.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c75f577c71bc"
down_revision: str | None = "e321ed125606"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "workspace_changed"

# Tables whose rows the analytics answer (and the key that authorises it) is computed from,
# each with a `workspace_id` column; `workspace` itself notifies its own id.
WORKSPACE_ROW_TABLES = (
    "api_key",
    "lead",
    "appointment",
    "campaign",
    "workspace_availability_cache",
    "webhook_event",
    "backfill_run",
    "workspace_provider_sync",
    "alert",
    "workspace_alert_memory",
)
TABLES = ("workspace", *WORKSPACE_ROW_TABLES)

# Separate branches per table kind: plpgsql prepares an expression only when it runs, so
# NEW.workspace_id is never looked up on a workspace row. A row moved to another workspace
# notifies both. A NULL workspace (a webhook for no known workspace) notifies nothing.
NOTIFY_FUNCTION = f"""
CREATE FUNCTION notify_workspace_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'workspace' THEN
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('{CHANNEL}', NEW.id::text);
        END IF;
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id <> NEW.id) THEN
            PERFORM pg_notify('{CHANNEL}', OLD.id::text);
        END IF;
    ELSE
        IF TG_OP <> 'DELETE' AND NEW.workspace_id IS NOT NULL THEN
            PERFORM pg_notify('{CHANNEL}', NEW.workspace_id::text);
        END IF;
        IF OLD.workspace_id IS NOT NULL AND (
            TG_OP = 'DELETE'
            OR (TG_OP = 'UPDATE' AND OLD.workspace_id IS DISTINCT FROM NEW.workspace_id)
        ) THEN
            PERFORM pg_notify('{CHANNEL}', OLD.workspace_id::text);
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""

# TRUNCATE fires no row trigger; '*' tells the listeners that any workspace may have changed.
TRUNCATE_FUNCTION = f"""
CREATE FUNCTION notify_workspaces_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '*');
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.execute(NOTIFY_FUNCTION)
    op.execute(TRUNCATE_FUNCTION)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_workspace_changed "
            f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION notify_workspace_changed()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_workspaces_truncated "
            f"AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION notify_workspaces_truncated()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_workspaces_truncated ON {table}")
        op.execute(f"DROP TRIGGER {table}_workspace_changed ON {table}")
    op.execute("DROP FUNCTION notify_workspaces_truncated()")
    op.execute("DROP FUNCTION notify_workspace_changed()")
