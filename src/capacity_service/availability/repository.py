"""All SQL on `workspace_availability_cache`.

Writers are the refresh only. Readers (the availability endpoint, the capacity metric) pass
the identifier each source is configured with *now*: a row fetched for another identifier is
treated as absent, so slots of a calendar the workspace no longer uses are never counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, case, delete, func, or_, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.repository import Repository
from capacity_service.models import WorkspaceAvailabilityCache
from capacity_service.workspaces.sources import SourceConfig

_cache: Table = WorkspaceAvailabilityCache.__table__  # type: ignore[assignment]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class CacheMeta:
    """What is known about one source's cache row, without its slots.

    `fetched_at` is None when no fetch of this identifier has succeeded yet (the row may
    still carry the error of a failed first attempt).
    """

    source: AvailabilitySource
    provider: Provider
    identifier: str
    fetched_at: datetime | None
    range_start_at: datetime | None
    range_end_at: datetime | None
    last_error: str | None
    last_error_kind: str | None
    last_error_at: datetime | None
    consecutive_failures: int


@dataclass(frozen=True, slots=True)
class CachedWindow:
    """A source's cache meta and how many of its cached slots start inside a window."""

    meta: CacheMeta
    slot_count: int


_READ_SQL = text(
    """
    SELECT c.source, c.provider, c.identifier, c.fetched_at, c.range_start_at, c.range_end_at,
           c.last_error, c.last_error_kind, c.last_error_at, c.consecutive_failures,
           (SELECT count(*) FROM unnest(c.slots) AS s
             WHERE s >= :window_start AND s < :window_end) AS slot_count
    FROM workspace_availability_cache AS c
    WHERE c.workspace_id = :workspace_id
      AND c.source::text IN :sources
    """
).bindparams(bindparam("sources", expanding=True))


def _matches(row: object, config: SourceConfig) -> bool:
    return bool(
        row.provider == config.provider.value  # type: ignore[attr-defined]
        and row.identifier == config.identifier  # type: ignore[attr-defined]
    )


class AvailabilityCacheRepository(Repository):
    async def read_window(
        self,
        workspace_id: uuid.UUID,
        configs: Iterable[SourceConfig],
        window_start: datetime,
        window_end: datetime,
    ) -> dict[AvailabilitySource, CachedWindow]:
        """Per configured source whose row matches its configured provider and identifier: the
        meta and the count of slots in `[window_start, window_end)`, counted by PostgreSQL.

        Sources missing from the result have never been fetched for their current identifier.
        One query for all sources.
        """
        wanted = {c.source: c for c in configs}
        if not wanted:
            return {}
        rows = await self.session.execute(
            _READ_SQL,
            {
                "workspace_id": workspace_id,
                "sources": [s.value for s in wanted],
                "window_start": window_start,
                "window_end": window_end,
            },
        )
        result: dict[AvailabilitySource, CachedWindow] = {}
        for row in rows:
            source = AvailabilitySource(row.source)
            config = wanted[source]
            if not _matches(row, config):
                continue
            result[source] = CachedWindow(
                meta=CacheMeta(
                    source=source,
                    provider=config.provider,
                    identifier=config.identifier,
                    fetched_at=row.fetched_at,
                    range_start_at=row.range_start_at,
                    range_end_at=row.range_end_at,
                    last_error=row.last_error,
                    last_error_kind=row.last_error_kind,
                    last_error_at=row.last_error_at,
                    consecutive_failures=row.consecutive_failures,
                ),
                slot_count=int(row.slot_count),
            )
        return result

    async def count_slots_in_window(
        self,
        workspace_id: uuid.UUID,
        config: SourceConfig,
        window_start: datetime,
        window_end: datetime,
    ) -> int:
        """Cached slots of the source starting in `[window_start, window_end)`; 0 when the row
        is missing or was fetched for another identifier."""
        found = await self.read_window(workspace_id, [config], window_start, window_end)
        return found[config.source].slot_count if config.source in found else 0

    async def get_meta(self, workspace_id: uuid.UUID, config: SourceConfig) -> CacheMeta | None:
        """The source's cache meta, or None when never fetched for its current identifier."""
        found = await self.read_window(workspace_id, [config], _EPOCH, _EPOCH)
        return found[config.source].meta if config.source in found else None

    async def slots(self, workspace_id: uuid.UUID, source: AvailabilitySource) -> list[datetime]:
        """All cached slots of a source as stored (tests and diagnostics; readers count in SQL)."""
        value = await self.session.scalar(
            text(
                "SELECT slots FROM workspace_availability_cache "
                "WHERE workspace_id = :workspace_id AND source::text = :source"
            ),
            {"workspace_id": workspace_id, "source": source.value},
        )
        return list(value or [])

    async def store_success(
        self,
        workspace_id: uuid.UUID,
        config: SourceConfig,
        slots: list[datetime],
        *,
        range_start_at: datetime,
        range_end_at: datetime,
        attempted_at: datetime,
        seats: list[int] | None = None,
        slot_duration_minutes: int | None = None,
    ) -> bool:
        """Replace the source's slots and clear its error, in one statement.

        A fetch that started before the one already stored (same identifier) does not overwrite
        it, so concurrent or delayed refreshes cannot move the cache back in time. Returns
        whether the row was written.
        """
        stmt = insert(_cache).values(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            source=config.source,
            provider=config.provider,
            identifier=config.identifier,
            slots=slots,
            slot_seats=seats,
            slot_duration_minutes=slot_duration_minutes,
            range_start_at=range_start_at,
            range_end_at=range_end_at,
            fetched_at=attempted_at,
            last_error=None,
            last_error_kind=None,
            last_error_at=None,
            consecutive_failures=0,
        )
        excluded = stmt.excluded
        upsert = stmt.on_conflict_do_update(
            index_elements=[_cache.c.workspace_id, _cache.c.source],
            set_={
                "provider": excluded.provider,
                "identifier": excluded.identifier,
                "slots": excluded.slots,
                "slot_seats": excluded.slot_seats,
                # A failed length lookup keeps the length known for the same identifier.
                "slot_duration_minutes": case(
                    (
                        _same_source(excluded),
                        func.coalesce(
                            excluded.slot_duration_minutes, _cache.c.slot_duration_minutes
                        ),
                    ),
                    else_=excluded.slot_duration_minutes,
                ),
                "range_start_at": excluded.range_start_at,
                "range_end_at": excluded.range_end_at,
                "fetched_at": excluded.fetched_at,
                "last_error": None,
                "last_error_kind": None,
                "last_error_at": None,
                "consecutive_failures": 0,
                "updated_at": func.now(),
            },
            where=or_(
                ~_same_source(excluded),
                and_(
                    or_(
                        _cache.c.fetched_at.is_(None),
                        _cache.c.fetched_at <= excluded.fetched_at,
                    ),
                    or_(
                        _cache.c.last_error_at.is_(None),
                        _cache.c.last_error_at <= excluded.fetched_at,
                    ),
                ),
            ),
        )
        return (await self.session.execute(upsert.returning(_cache.c.id))).first() is not None

    async def store_failure(
        self,
        workspace_id: uuid.UUID,
        config: SourceConfig,
        *,
        kind: str,
        message: str,
        attempted_at: datetime,
    ) -> bool:
        """Record a failed fetch, keeping the slots of the same identifier.

        If the row holds another identifier's slots, they are dropped: the source is then
        "never fetched" with an error, rather than serving a calendar no longer configured.
        """
        stmt = insert(_cache).values(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            source=config.source,
            provider=config.provider,
            identifier=config.identifier,
            slots=[],
            range_start_at=None,
            range_end_at=None,
            fetched_at=None,
            last_error=message,
            last_error_kind=kind,
            last_error_at=attempted_at,
            consecutive_failures=1,
        )
        excluded = stmt.excluded
        same = _same_source(excluded)
        upsert = stmt.on_conflict_do_update(
            index_elements=[_cache.c.workspace_id, _cache.c.source],
            set_={
                "provider": excluded.provider,
                "identifier": excluded.identifier,
                "slots": case((same, _cache.c.slots), else_=excluded.slots),
                "slot_seats": case((same, _cache.c.slot_seats), else_=None),
                "slot_duration_minutes": case((same, _cache.c.slot_duration_minutes), else_=None),
                "range_start_at": case((same, _cache.c.range_start_at), else_=None),
                "range_end_at": case((same, _cache.c.range_end_at), else_=None),
                "fetched_at": case((same, _cache.c.fetched_at), else_=None),
                "last_error": excluded.last_error,
                "last_error_kind": excluded.last_error_kind,
                "last_error_at": excluded.last_error_at,
                "consecutive_failures": case((same, _cache.c.consecutive_failures + 1), else_=1),
                "updated_at": func.now(),
            },
            where=or_(
                ~same,
                _cache.c.fetched_at.is_(None),
                _cache.c.fetched_at <= excluded.last_error_at,
            ),
        )
        return (await self.session.execute(upsert.returning(_cache.c.id))).first() is not None

    async def delete_sources(
        self, workspace_id: uuid.UUID, sources: Iterable[AvailabilitySource]
    ) -> int:
        """Drop the rows of sources that are no longer configured."""
        wanted = list(sources)
        if not wanted:
            return 0
        result = await self.session.execute(
            delete(_cache).where(_cache.c.workspace_id == workspace_id, _cache.c.source.in_(wanted))
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _same_source(excluded: ReadOnlyColumnCollection[str, Any]) -> ColumnElement[bool]:
    return and_(
        _cache.c.provider.is_not_distinct_from(excluded.provider),
        _cache.c.identifier.is_not_distinct_from(excluded.identifier),
    )
