"""An in-process cache whose entries belong to workspaces and are evicted when one changes.

Invalidation is exact while the change listener is live: every committed write to a
workspace's data evicts that workspace's entries as soon as its notification arrives, and a
value computed across a change is never stored (the generation rule below). Entries still
expire after a TTL, because what is cached depends on time as well as on data: an analytics
answer is for a window that slides with `now`, and a cache row turns stale once it is older
than the staleness threshold, with no write to announce either. The TTL bounds that drift.

While the listener is not live (not connected yet, connection lost, reconnecting) the cache
is bypassed: nothing is read from it or stored in it, since a notification may be missed.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Ticket:
    """Taken before reading the database; a value is stored only with a still-valid ticket."""

    generation: int
    started_at: float


@dataclass(frozen=True, slots=True)
class Hit(Generic[V]):
    value: V
    age_seconds: float
    remaining_seconds: float


@dataclass(slots=True)
class _Entry(Generic[V]):
    workspace_id: uuid.UUID
    value: V
    computed_at: float


class WorkspaceCache(Generic[K, V]):
    """LRU entries keyed by `K`, each owned by one workspace, with a TTL.

    The generation rule: a global counter advances on every change notification, and each
    workspace remembers the generation of its last change. A computation takes a `ticket()`
    before it reads the database and `put`s its value with that ticket; the value is dropped
    if its workspace changed after the ticket was taken (or everything was reset), so a value
    read from data that a concurrent commit has since replaced is never kept.

    Not thread-safe: used from the event loop only (requests and notification callbacks).
    """

    def __init__(
        self,
        *,
        ttl_seconds: float,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self.ttl_seconds = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._keys_by_workspace: dict[uuid.UUID, set[K]] = {}
        self._live = False
        self._generation = 0
        # Tickets older than this are void: everything was reset (or forgotten) since.
        self._oldest_valid = 0
        self._changed_at: dict[uuid.UUID, int] = {}

    @property
    def live(self) -> bool:
        return self._live

    def __len__(self) -> int:
        return len(self._entries)

    def ticket(self) -> Ticket:
        return Ticket(generation=self._generation, started_at=self._clock())

    def get(self, key: K) -> Hit[V] | None:
        if not self._live:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        age = self._clock() - entry.computed_at
        if age >= self.ttl_seconds:
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return Hit(value=entry.value, age_seconds=age, remaining_seconds=self.ttl_seconds - age)

    def put(self, workspace_id: uuid.UUID, key: K, value: V, ticket: Ticket) -> bool:
        """Store `value` unless the cache is bypassed or the workspace changed since `ticket`.

        The entry's age counts from the ticket, when its data was read, not from now.
        """
        if not self._live or not self._valid(workspace_id, ticket):
            return False
        if self._clock() - ticket.started_at >= self.ttl_seconds:
            return False
        if key in self._entries:
            self._remove(key)
        self._entries[key] = _Entry(workspace_id, value, ticket.started_at)
        self._keys_by_workspace.setdefault(workspace_id, set()).add(key)
        while len(self._entries) > self._max_entries:
            self._remove(next(iter(self._entries)))
        return True

    def workspace_changed(self, workspace_id: uuid.UUID) -> None:
        """A change of the workspace's data was committed: drop its entries, void its tickets."""
        self._generation += 1
        self._changed_at[workspace_id] = self._generation
        if len(self._changed_at) > 4 * self._max_entries:
            # Forget per-workspace generations; tickets taken before now become void for all.
            self._changed_at.clear()
            self._oldest_valid = self._generation
        for key in self._keys_by_workspace.pop(workspace_id, ()):
            del self._entries[key]

    def reset(self, *, live: bool) -> None:
        """Drop everything and void every ticket; serve from memory only if `live`."""
        self._generation += 1
        self._oldest_valid = self._generation
        self._changed_at.clear()
        self._entries.clear()
        self._keys_by_workspace.clear()
        self._live = live

    def _valid(self, workspace_id: uuid.UUID, ticket: Ticket) -> bool:
        if ticket.generation < self._oldest_valid:
            return False
        return self._changed_at.get(workspace_id, 0) <= ticket.generation

    def _remove(self, key: K) -> None:
        entry = self._entries.pop(key)
        keys = self._keys_by_workspace.get(entry.workspace_id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._keys_by_workspace[entry.workspace_id]
