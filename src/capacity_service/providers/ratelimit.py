"""Per-account request pacing learned from the provider's own rate-limit headers.

Every call to a provider account (a HighLevel location, a Calendly organization) takes a unit of
budget from that account's limiter before it is sent. A unit comes back when the provider would
count it as expired:

* HighLevel states its window (`X-RateLimit-Max` per `X-RateLimit-Interval-Milliseconds`, burst
  100 per 10 s by its docs) but not when it resets, so its budget is a sliding log: a unit used at
  `t` is free again at `t + interval`. That is safe whether the provider counts in fixed or
  sliding windows.
* Calendly states `X-RateLimit-Limit` and the seconds until its window resets
  (`X-RateLimit-Reset`), so every unit used in the current window comes back at that reset.

`X-RateLimit-Remaining: 0` stops every caller until the budget is back, in case someone else
(another process on the same account) spent it; a 429 (`Retry-After`, else the reset or the
interval) or an exhausted daily budget stops every caller until the provider's stated time.
Calls are never serialised: as many may be in flight as there is budget, and the rest queue
fairly (FIFO) for the next unit, so a caller goes as fast as the provider allows and no faster.
Only the very first call of an account goes alone, so that a budget smaller than the documented
default is learned before a burst is sent.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from capacity_service.kit.enums import Provider
from capacity_service.kit.time import utcnow
from capacity_service.providers.errors import ProviderRateLimitedError

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """The budget assumed until the provider's headers say otherwise."""

    limit: int
    window_seconds: float


DEFAULT_POLICIES: Mapping[Provider, RateLimitPolicy] = {
    # HighLevel docs: burst 100 requests per 10 seconds per location.
    Provider.GHL: RateLimitPolicy(limit=100, window_seconds=10.0),
    # Calendly docs: 500/min on paid plans, 50/min on Free. Start at the lower one; the first
    # response's X-RateLimit-Limit raises it.
    Provider.CALENDLY: RateLimitPolicy(limit=50, window_seconds=60.0),
}

DAILY_EXHAUSTED_PAUSE_SECONDS = 300.0
"""HighLevel does not say when its daily budget resets; probe again after this long."""


PROBE_WAIT_SECONDS = 1.0
"""How long other callers wait for the first call of an account to report the budget."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - utcnow()).total_seconds())


def _number(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


@dataclass(frozen=True, slots=True)
class RateLimitHeaders:
    """What one response said about the account's budget (either provider's spelling)."""

    limit: int | None = None
    remaining: int | None = None
    window_seconds: float | None = None
    reset_seconds: float | None = None
    daily_remaining: int | None = None
    retry_after: float | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, str]) -> RateLimitHeaders:
        headers = {k.lower(): v for k, v in raw.items()}
        limit = _number(headers, "x-ratelimit-max")
        if limit is None:
            limit = _number(headers, "x-ratelimit-limit")
        remaining = _number(headers, "x-ratelimit-remaining")
        interval_ms = _number(headers, "x-ratelimit-interval-milliseconds")
        daily = _number(headers, "x-ratelimit-daily-remaining")
        return cls(
            limit=int(limit) if limit else None,
            remaining=int(remaining) if remaining is not None else None,
            window_seconds=interval_ms / 1000 if interval_ms else None,
            reset_seconds=_number(headers, "x-ratelimit-reset"),
            daily_remaining=int(daily) if daily is not None else None,
            retry_after=parse_retry_after(headers.get("retry-after")),
        )


class AccountRateLimiter:
    """The budget of one provider account, shared by every coroutine in the process."""

    def __init__(
        self,
        provider: Provider,
        account: str,
        policy: RateLimitPolicy,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self.provider = provider
        self.account = account
        self.limit = policy.limit
        self.window_seconds = policy.window_seconds
        self._clock = clock
        self._refills: list[float] = []  # min-heap: when each used unit is free again
        self._window_ends_at: float | None = None  # known from a reset header
        self._window_began = 0.0
        self._blocked_until = 0.0
        self._in_flight = 0
        self._calibrated = False  # a response has told us the real budget
        self._longest_reset = 0.0
        self._probing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()

    def __repr__(self) -> str:
        return (
            f"AccountRateLimiter({self.provider.value}, {self.account!r}, "
            f"limit={self.limit}, window={self.window_seconds}s)"
        )

    @property
    def margin(self) -> float:
        """Slack for clock skew and network jitter between our count and the provider's."""
        return 0.05 + 0.01 * self.window_seconds

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def available(self) -> int:
        self._expire(self._clock())
        return max(0, self.limit - len(self._refills))

    @asynccontextmanager
    async def slot(self, *, max_wait: float | None = None) -> AsyncIterator[RateLimitSlot]:
        """Hold one unit of budget for one request; observe the response inside the block."""
        await self.acquire(max_wait=max_wait)
        async with self.admitted() as slot:
            yield slot

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[RateLimitSlot]:
        """The in-flight part of `slot`, for a caller that called `acquire` itself."""
        started = self._clock()
        self._in_flight += 1
        try:
            yield RateLimitSlot(self, started)
        finally:
            self._in_flight -= 1
            self._hold_until_window_after(started, self._clock())
            if self._probing:
                self._probing = False
                self._primitives()[1].set()

    async def acquire(self, *, max_wait: float | None = None) -> None:
        """Wait for a unit of budget; give up with ProviderRateLimitedError after `max_wait`."""
        lock, _ = self._primitives()
        try:
            async with asyncio.timeout(max_wait):
                async with lock:
                    await self._wait_for_unit()
        except TimeoutError:
            if not self._calibrated and self._next_free_in() <= 0:
                # Only the account's first answer was awaited, not budget: the budget is
                # unknown, not spent. Go ahead, as after PROBE_WAIT_SECONDS, rather than report
                # a rate limit the provider never stated (and hide the probe's own error).
                self._take(self._clock())
                return
            raise ProviderRateLimitedError(
                self.provider,
                "rate limit budget not available within the allowed wait",
                status_code=None,
                retry_after=self._next_free_in(),
            ) from None

    async def _wait_for_unit(self) -> None:
        _, changed = self._primitives()
        while True:
            changed.clear()
            delay = self._next_free_in()
            if delay <= 0 and not self._calibrated:
                if self._probing:
                    try:
                        await asyncio.wait_for(changed.wait(), timeout=PROBE_WAIT_SECONDS)
                    except TimeoutError:
                        self._calibrated = True  # a slow first answer must not stall the rest
                    continue
                self._probing = True
            if delay <= 0:
                self._take(self._clock())
                return
            try:
                await asyncio.wait_for(changed.wait(), timeout=delay)
            except TimeoutError:
                pass

    def _next_free_in(self) -> float:
        now = self._clock()
        self._expire(now)
        if now < self._blocked_until:
            return self._blocked_until - now
        if len(self._refills) < self.limit:
            return 0.0
        # The unit freed soonest, counting from the end of any over-use after a limit drop.
        excess = len(self._refills) - self.limit
        return heapq.nsmallest(excess + 1, self._refills)[-1] - now

    def _take(self, now: float) -> None:
        if self._window_ends_at is not None and self._window_ends_at > now:
            heapq.heappush(self._refills, self._window_ends_at)
        else:
            heapq.heappush(self._refills, now + self.window_seconds + self.margin)

    def _hold_until_window_after(self, started: float, finished: float) -> None:
        """Keep a sliding-log unit until one window after its response, not after its send.

        The provider counts a request when it arrives, somewhere between our send and its
        answer; under load or latency that can be later than the send by more than any fixed
        margin. Counting from the answer is the latest moment it can have been counted, so the
        budget holds whatever the delay. Units of a window with a stated reset need no change.
        """
        if self._window_ends_at is not None and self._window_ends_at > finished:
            return
        hold = self.window_seconds + self.margin
        taken_by = started + hold
        candidates = [t for t in self._refills if t <= taken_by]
        if not candidates:
            return
        self._refills.remove(max(candidates))
        heapq.heappush(self._refills, max(finished + hold, taken_by))

    def _expire(self, now: float) -> None:
        while self._refills and self._refills[0] <= now:
            heapq.heappop(self._refills)

    def observe(self, headers: RateLimitHeaders, *, status_code: int, started: float) -> None:
        """Learn from one response's headers; a 429 pauses every caller of the account."""
        now = self._clock()
        self._calibrated = True
        if headers.limit is not None and headers.limit > 0:
            self.limit = headers.limit
        if headers.window_seconds is not None and headers.window_seconds != self.window_seconds:
            self._learn_window(headers.window_seconds)
        if headers.reset_seconds is not None:
            if headers.window_seconds is None and headers.reset_seconds > self._longest_reset:
                # The longest reset seen is the window length (within a second).
                self._longest_reset = headers.reset_seconds
                self.window_seconds = max(1.0, self._longest_reset)
            self._learn_reset(now + headers.reset_seconds + self.margin, started)
        if status_code == 429:
            pause = headers.retry_after
            if pause is None:
                pause = headers.reset_seconds
            if pause is None:
                pause = self.window_seconds
            self._block(now + pause + self.margin)
        elif headers.remaining == 0:
            self._learn_exhausted(now, started)
        if headers.daily_remaining == 0:
            self._block(now + DAILY_EXHAUSTED_PAUSE_SECONDS)
        self._primitives()[1].set()

    def _learn_window(self, window_seconds: float) -> None:
        """Units already used come back one new window after their use, not the old one."""
        if window_seconds <= 0:
            return
        old_hold = self.window_seconds + self.margin
        self.window_seconds = window_seconds
        new_hold = self.window_seconds + self.margin
        if self._window_ends_at is None:
            self._refills = [t - old_hold + new_hold for t in self._refills]
            heapq.heapify(self._refills)

    def _learn_reset(self, ends_at: float, started: float) -> None:
        """Every unit spent in the provider's current window comes back when it resets.

        The header counts whole seconds (rounded up), so each response bounds the reset from
        above and the earliest bound seen in a window is the best estimate. A time past the
        known end (by more than the rounding) is the next window; a response to a call sent
        before the current window began says nothing about it.
        """
        current = self._window_ends_at
        if current is None or ends_at > current + 1.0 + self.margin:
            self._window_began = current if current is not None else 0.0
            self._window_ends_at = ends_at
        elif started >= self._window_began and ends_at < current:
            self._window_ends_at = ends_at
        else:
            return
        self._refills = [min(t, ends_at) for t in self._refills]
        heapq.heapify(self._refills)

    def _learn_exhausted(self, now: float, started: float) -> None:
        """The provider has no budget left, perhaps spent by another process on the account."""
        if self._window_ends_at is not None and self._window_ends_at > now:
            if started >= self._window_began:
                self._block(self._window_ends_at)
            return
        self._expire(now)
        self._block(self._refills[0] if self._refills else now + self.window_seconds)

    def _block(self, until: float) -> None:
        self._blocked_until = max(self._blocked_until, until)

    def _primitives(self) -> tuple[asyncio.Lock, asyncio.Event]:
        """The lock and event of the running loop (a process may run several loops in turn)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self._lock = asyncio.Lock()
            self._changed = asyncio.Event()
        return self._lock, self._changed


class RateLimitSlot:
    """One admitted request; hand its response headers back to the limiter."""

    def __init__(self, limiter: AccountRateLimiter, started: float) -> None:
        self._limiter = limiter
        self._started = started

    def observe(self, status_code: int, headers: Mapping[str, str]) -> None:
        self._limiter.observe(
            RateLimitHeaders.parse(headers), status_code=status_code, started=self._started
        )


class RateLimiterRegistry:
    """One limiter per (provider, account) for the whole process."""

    def __init__(
        self,
        policies: Mapping[Provider, RateLimitPolicy] | None = None,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self._policies = dict(DEFAULT_POLICIES if policies is None else policies)
        self._clock = clock
        self._limiters: dict[tuple[Provider, str], AccountRateLimiter] = {}
        self._guard = threading.Lock()

    def get(self, provider: Provider, account: str) -> AccountRateLimiter:
        key = (provider, account)
        with self._guard:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = AccountRateLimiter(
                    provider, account, self._policies[provider], clock=self._clock
                )
                self._limiters[key] = limiter
            return limiter


_default_registry = RateLimiterRegistry()


def default_registry() -> RateLimiterRegistry:
    """The process-wide registry, so that every client instance shares the same budgets."""
    return _default_registry
