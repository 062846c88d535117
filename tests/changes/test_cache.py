"""The rules of the workspace cache, with a clock of the test's own: no database, no sleeping."""

import uuid

import pytest

from capacity_service.changes.cache import WorkspaceCache

A = uuid.UUID(int=1)
B = uuid.UUID(int=2)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def live_cache(
    clock: Clock, *, ttl: float = 30, max_entries: int = 100
) -> WorkspaceCache[str, str]:
    cache: WorkspaceCache[str, str] = WorkspaceCache(
        ttl_seconds=ttl, max_entries=max_entries, clock=clock
    )
    cache.reset(live=True)
    return cache


def test_a_stored_value_is_served_with_its_age_and_what_is_left_of_the_ttl(clock: Clock) -> None:
    cache = live_cache(clock)
    assert cache.put(A, "a", "value", cache.ticket())
    clock.now += 12.5

    hit = cache.get("a")

    assert hit is not None
    assert (hit.value, hit.age_seconds, hit.remaining_seconds) == ("value", 12.5, 17.5)


def test_a_value_expires_after_the_ttl(clock: Clock) -> None:
    cache = live_cache(clock, ttl=30)
    cache.put(A, "a", "value", cache.ticket())

    clock.now += 29.9
    assert cache.get("a") is not None
    clock.now += 0.1
    assert cache.get("a") is None
    assert len(cache) == 0


def test_age_counts_from_the_ticket_when_the_data_was_read(clock: Clock) -> None:
    cache = live_cache(clock, ttl=30)
    ticket = cache.ticket()
    clock.now += 10  # a slow computation

    cache.put(A, "a", "value", ticket)

    hit = cache.get("a")
    assert hit is not None
    assert hit.age_seconds == 10


def test_a_value_computed_across_a_change_of_its_workspace_is_not_stored(clock: Clock) -> None:
    cache = live_cache(clock)
    ticket = cache.ticket()  # before reading the database
    cache.workspace_changed(A)  # a commit announced while the computation ran

    assert cache.put(A, "a", "read before the change", ticket) is False
    assert cache.get("a") is None
    assert cache.put(A, "a", "read after the change", cache.ticket()) is True


def test_a_change_of_another_workspace_does_not_void_the_ticket(clock: Clock) -> None:
    cache = live_cache(clock)
    ticket = cache.ticket()
    cache.workspace_changed(B)

    assert cache.put(A, "a", "value", ticket) is True


def test_a_change_evicts_that_workspace_only(clock: Clock) -> None:
    cache = live_cache(clock)
    cache.put(A, "a1", "x", cache.ticket())
    cache.put(A, "a2", "y", cache.ticket())
    cache.put(B, "b1", "z", cache.ticket())

    cache.workspace_changed(A)

    assert (cache.get("a1"), cache.get("a2")) == (None, None)
    hit = cache.get("b1")
    assert hit is not None
    assert hit.value == "z"


def test_while_not_live_nothing_is_served_or_stored(clock: Clock) -> None:
    cache = live_cache(clock)
    cache.put(A, "a", "value", cache.ticket())

    cache.reset(live=False)

    assert cache.get("a") is None
    assert cache.put(A, "a", "value", cache.ticket()) is False
    assert len(cache) == 0


def test_going_live_again_drops_everything_and_voids_older_tickets(clock: Clock) -> None:
    cache = live_cache(clock)
    ticket = cache.ticket()
    cache.reset(live=False)
    cache.reset(live=True)

    assert cache.put(A, "a", "read while notifications may have been missed", ticket) is False
    assert cache.put(A, "a", "read after", cache.ticket()) is True


def test_a_new_cache_is_bypassed_until_told_it_is_live(clock: Clock) -> None:
    cache: WorkspaceCache[str, str] = WorkspaceCache(ttl_seconds=30, clock=clock)

    assert cache.put(A, "a", "value", cache.ticket()) is False
    assert cache.get("a") is None


def test_the_least_recently_used_entry_goes_when_full(clock: Clock) -> None:
    cache = live_cache(clock, max_entries=2)
    cache.put(A, "old", "1", cache.ticket())
    cache.put(A, "used", "2", cache.ticket())
    cache.get("old")  # now the most recently used

    cache.put(B, "new", "3", cache.ticket())

    assert cache.get("used") is None
    assert cache.get("old") is not None
    assert cache.get("new") is not None
    assert len(cache) == 2


def test_forgetting_per_workspace_generations_voids_tickets_instead_of_keeping_stale_values(
    clock: Clock,
) -> None:
    cache = live_cache(clock, max_entries=1)
    ticket = cache.ticket()
    cache.workspace_changed(A)
    for i in range(10):  # more changed workspaces than the cache remembers
        cache.workspace_changed(uuid.UUID(int=100 + i))

    assert cache.put(A, "a", "read before A changed", ticket) is False
    assert cache.put(A, "a", "read after", cache.ticket()) is True


def test_a_ttl_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        WorkspaceCache(ttl_seconds=0)
