"""Bounded deletes: each call removes at most `limit` rows, so no statement runs for long."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, text

from capacity_service.kit.repository import Repository


class RetentionRepository(Repository):
    async def delete_done_webhook_events(self, before: datetime, limit: int) -> int:
        """Processed or ignored events received before `before`."""
        return await self._delete(
            """
            DELETE FROM webhook_event WHERE id IN (
                SELECT id FROM webhook_event
                WHERE status IN ('processed', 'ignored') AND received_at < :before
                LIMIT :limit FOR UPDATE SKIP LOCKED)
            """,
            before,
            limit,
        )

    async def delete_undone_webhook_events(self, before: datetime, limit: int) -> int:
        """Failed (or never finished) events received before `before`: kept longer, to replay."""
        return await self._delete(
            """
            DELETE FROM webhook_event WHERE id IN (
                SELECT id FROM webhook_event
                WHERE status NOT IN ('processed', 'ignored') AND received_at < :before
                LIMIT :limit FOR UPDATE SKIP LOCKED)
            """,
            before,
            limit,
        )

    async def delete_job_log(self, before: datetime, limit: int) -> int:
        return await self._delete(
            """
            DELETE FROM pgqueuer_log WHERE id IN (
                SELECT id FROM pgqueuer_log WHERE created < :before
                LIMIT :limit FOR UPDATE SKIP LOCKED)
            """,
            before,
            limit,
        )

    async def _delete(self, statement: str, before: datetime, limit: int) -> int:
        result = await self.session.execute(text(statement), {"before": before, "limit": limit})
        assert isinstance(result, CursorResult)
        return int(result.rowcount or 0)
