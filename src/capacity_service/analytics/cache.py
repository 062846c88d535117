"""Analytics answers held in memory per workspace, so a repeated request costs no database work.

Two caches, both invalidated per workspace by the change listener and bounded by
`CAPACITY_ANALYTICS_CACHE_SECONDS` (see `changes/cache.py` for the rules and why a TTL is
kept although invalidation is exact):

- `responses`: the serialised JSON body per (workspace, windowDays, campaignId, staleness
  threshold), with the time its data was read;
- `api_keys`: SHA-256 of an API key -> its workspace, so that a hit needs no key lookup
  either. A revoked key's workspace is notified by the `api_key` trigger, which evicts it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from capacity_service.changes.cache import DEFAULT_MAX_ENTRIES, Hit, Ticket, WorkspaceCache
from capacity_service.changes.listener import ChangeSubscriber


@dataclass(frozen=True, slots=True)
class ResponseKey:
    workspace_id: uuid.UUID
    window_days: int
    campaign_id: uuid.UUID | None
    staleness_minutes: int


@dataclass(frozen=True, slots=True)
class Tickets:
    responses: Ticket
    api_keys: Ticket


NO_STORE = {"Cache-Control": "no-store", "X-Cache": "miss"}
"""`X-Cache` says whether the answer came from memory (`hit`) or the database (`miss`): for
operators and load tests, since `Age: 0` alone does not tell a fresh hit from a miss."""


class AnalyticsCache:
    def __init__(
        self,
        *,
        ttl_seconds: int,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.responses: WorkspaceCache[ResponseKey, bytes] = WorkspaceCache(
            ttl_seconds=ttl_seconds, max_entries=max_entries, clock=clock
        )
        self.api_keys: WorkspaceCache[str, uuid.UUID] = WorkspaceCache(
            ttl_seconds=ttl_seconds, max_entries=max_entries, clock=clock
        )

    @property
    def subscribers(self) -> tuple[ChangeSubscriber, ...]:
        return (self.responses, self.api_keys)

    @property
    def live(self) -> bool:
        return self.responses.live and self.api_keys.live

    def tickets(self) -> Tickets:
        return Tickets(responses=self.responses.ticket(), api_keys=self.api_keys.ticket())

    def key_grants(self, key_hash: str, workspace_id: uuid.UUID) -> bool:
        """Whether a cached, unrevoked API key belongs to this workspace."""
        hit = self.api_keys.get(key_hash)
        return hit is not None and hit.value == workspace_id


def hit_headers(hit: Hit[bytes]) -> dict[str, str]:
    return {
        "Cache-Control": f"private, max-age={int(hit.remaining_seconds)}",
        "Age": str(int(hit.age_seconds)),
        "X-Cache": "hit",
    }


def stored_headers(ttl_seconds: int) -> dict[str, str]:
    return {"Cache-Control": f"private, max-age={ttl_seconds}", "Age": "0", "X-Cache": "miss"}
