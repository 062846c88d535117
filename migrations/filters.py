"""What Alembic's autogenerate compares: everything but the job queue's own tables."""

from typing import Any

EXTERNAL_TABLES = {"pgqueuer", "pgqueuer_log", "pgqueuer_schedules", "pgqueuer_statistics"}
"""Tables owned by the job queue's own DDL (run from a migration, not modelled here)."""


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "table" and name in EXTERNAL_TABLES:
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and getattr(table, "name", None) in EXTERNAL_TABLES)
