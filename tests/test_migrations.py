"""The migrations and the models describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from capacity_service.models import Base


def _diff(connection: Connection) -> list[object]:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "_alembic_env_filter", Path(__file__).resolve().parents[1] / "migrations" / "filters.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    context = MigrationContext.configure(
        connection, opts={"include_object": module.include_object, "compare_type": True}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"
