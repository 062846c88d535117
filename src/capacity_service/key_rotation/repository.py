"""Batches of encrypted columns, keyed by primary key, and their rewrite."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, or_, select, update

from capacity_service.kit.repository import Repository
from capacity_service.models import Workspace
from capacity_service.models.workspace_alert_settings import WorkspaceAlertSettings


@dataclass(frozen=True, slots=True)
class EncryptedColumns:
    """A table holding Fernet ciphertext: its single-column primary key and secret columns."""

    table: Table
    key: str
    columns: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.table.name


ENCRYPTED_COLUMNS: tuple[EncryptedColumns, ...] = (
    EncryptedColumns(
        Workspace.__table__,  # type: ignore[arg-type]
        "id",
        (
            "ghl_access_token_encrypted",
            "calendly_access_token_encrypted",
            "calendly_webhook_signing_key_encrypted",
        ),
    ),
    EncryptedColumns(
        WorkspaceAlertSettings.__table__,  # type: ignore[arg-type]
        "workspace_id",
        ("webhook_secret_encrypted",),
    ),
)
"""Every `*_encrypted` column in the schema; a test checks that none is missing."""


class EncryptedColumnsRepository(Repository):
    async def batch(
        self, source: EncryptedColumns, after: Any | None, limit: int
    ) -> Sequence[dict[str, Any]]:
        """Rows after primary key `after` (exclusive) that hold at least one secret, locked."""
        key: Column[Any] = source.table.c[source.key]
        columns = [source.table.c[name] for name in source.columns]
        query = select(key, *columns).where(or_(*(column.is_not(None) for column in columns)))
        if after is not None:
            query = query.where(key > after)
        query = query.order_by(key).limit(limit).with_for_update()
        rows = await self.session.execute(query)
        return [dict(row._mapping) for row in rows]

    async def rewrite(self, source: EncryptedColumns, key: Any, values: dict[str, bytes]) -> None:
        """New ciphertext for one row, leaving `updated_at` alone: the secret did not change."""
        table = source.table
        preserved = {"updated_at": table.c.updated_at} if "updated_at" in table.c else {}
        await self.session.execute(
            update(table).where(table.c[source.key] == key).values(**values, **preserved)
        )
