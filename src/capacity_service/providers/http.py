"""The transport both provider clients share: pacing, error typing, retries, parsing.

Each call takes one unit from the account's rate limiter, is sent on the client's single
long-lived `httpx.AsyncClient`, and is turned into a typed `ProviderError` on failure.
Rate-limited and unavailable calls are retried with tenacity (exponential backoff, full jitter,
`Retry-After` honoured) until the next wait would pass the total-time bound; longer waits are
the job queue's business, so the last error is raised instead.

A call that creates something (`idempotent=False`) is retried only when the provider surely did
not act on it: a 429, or a connection that never opened. A timeout or 5xx after the request was
sent may have booked the slot, and a blind retry could book it twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from capacity_service.kit.enums import Provider
from capacity_service.providers.errors import (
    ProviderAuthError,
    ProviderBadRequestError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRateLimitedError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from capacity_service.providers.ratelimit import (
    RateLimiterRegistry,
    default_registry,
    parse_retry_after,
)

logger = logging.getLogger("capacity_service.providers")

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
QueryParams = Mapping[str, str | int | float | bool | None]

_MAX_MESSAGE_CHARS = 300


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long a call may keep retrying transient failures, and how it backs off."""

    max_seconds: float = 30.0
    initial_backoff_seconds: float = 0.5
    max_backoff_seconds: float = 10.0
    max_attempts: int = 10


class _NotSentError(ProviderUnavailableError):
    """The connection never opened, so the provider cannot have acted on the request."""


class _BudgetWaitError(ProviderRateLimitedError):
    """The account's rate limiter could not admit the call within the time left."""


class _GiveUpError(Exception):
    def __init__(self, error: ProviderError) -> None:
        super().__init__(str(error))
        self.error = error


class ProviderHttp:
    """One provider's connection pool plus the rules every call to it follows."""

    def __init__(
        self,
        provider: Provider,
        *,
        base_url: str,
        timeout_seconds: float,
        limiters: RateLimiterRegistry,
        retry: RetryPolicy,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.provider = provider
        self.limiters = limiters
        self.retry = retry
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 5.0)),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            headers={"Accept": "application/json"},
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"ProviderHttp({self.provider.value}, base_url={str(self._client.base_url)!r})"

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        account: str,
        token: str,
        params: QueryParams | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send one logical call (with its retries); return the 2xx response or raise."""
        send_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, ProviderRateLimitedError | _NotSentError):
                return True
            return idempotent and isinstance(exc, ProviderUnavailableError)

        retrying = AsyncRetrying(
            retry=retry_if_exception(retryable),
            wait=self._wait,
            stop=(
                stop_before_delay(self.retry.max_seconds)
                | stop_after_attempt(self.retry.max_attempts)
            ),
            before_sleep=self._log_retry(method, path),
            reraise=True,
        )
        last_error: ProviderError | None = None
        try:
            async for attempt in retrying:
                with attempt:
                    elapsed = attempt.retry_state.seconds_since_start or 0.0
                    try:
                        return await self._send_once(
                            method,
                            path,
                            account=account,
                            token=token,
                            params=query,
                            json=json,
                            headers=send_headers,
                            max_wait=max(self.retry.max_seconds - elapsed, 0.0),
                        )
                    except _BudgetWaitError as exc:
                        # Out of time while queued for budget: the provider's own last answer
                        # says more than our queue does.
                        raise _GiveUpError(last_error or exc) from None
                    except ProviderError as exc:
                        last_error = exc
                        raise
        except _GiveUpError as give_up:
            raise give_up.error from None
        raise AssertionError("unreachable: tenacity either returns or reraises")

    async def _send_once(
        self,
        method: str,
        path: str,
        *,
        account: str,
        token: str,
        params: Mapping[str, str],
        json: Any,
        headers: Mapping[str, str],
        max_wait: float,
    ) -> httpx.Response:
        limiter = self.limiters.get(self.provider, account)
        try:
            await limiter.acquire(max_wait=max_wait)
        except ProviderRateLimitedError as exc:
            raise _BudgetWaitError(
                self.provider, exc.message, status_code=None, retry_after=exc.retry_after
            ) from None
        async with limiter.admitted() as slot:
            try:
                response = await self._client.request(
                    method, path, params=params, json=json, headers=headers
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                raise _NotSentError(
                    self.provider, f"could not connect ({type(exc).__name__})"
                ) from None
            except httpx.TimeoutException as exc:
                raise ProviderUnavailableError(
                    self.provider, f"timed out ({type(exc).__name__})"
                ) from None
            except httpx.TransportError as exc:
                raise ProviderUnavailableError(
                    self.provider, f"connection failed ({type(exc).__name__})"
                ) from None
            slot.observe(response.status_code, response.headers)
        if response.is_success:
            return response
        raise self._error_for(response, token)

    def _error_for(self, response: httpx.Response, token: str) -> ProviderError:
        status = response.status_code
        detail = _scrub(_error_text(response), token)
        message = f"{response.request.method} {response.request.url.path} failed"
        if detail:
            message = f"{message}: {detail}"
        if status in (401, 403):
            return ProviderAuthError(self.provider, message, status_code=status)
        if status == 404:
            return ProviderNotFoundError(self.provider, message, status_code=status)
        if status == 429:
            return ProviderRateLimitedError(
                self.provider,
                message,
                status_code=status,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        if status >= 500:
            return ProviderUnavailableError(self.provider, message, status_code=status)
        return ProviderBadRequestError(self.provider, message, status_code=status)

    def _wait(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, ProviderRateLimitedError) and exc.retry_after is not None:
            return exc.retry_after
        backoff = wait_random_exponential(
            multiplier=self.retry.initial_backoff_seconds, max=self.retry.max_backoff_seconds
        )
        return float(backoff(retry_state))

    def _log_retry(self, method: str, path: str) -> Any:
        def log(retry_state: RetryCallState) -> None:
            outcome = retry_state.outcome
            exc = outcome.exception() if outcome is not None else None
            logger.warning(
                "%s %s %s: %s; retry %d in %.2fs",
                self.provider.value,
                method,
                path,
                exc,
                retry_state.attempt_number,
                retry_state.upcoming_sleep,
            )

        return log

    def parse(self, model: type[M], response: httpx.Response, *, what: str) -> M:
        """Validate a 2xx body; anything unusable is a ProviderResponseError naming the field."""
        try:
            data = response.json()
        except ValueError:
            raise ProviderResponseError(
                self.provider, f"{what}: response is not JSON", status_code=response.status_code
            ) from None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise ProviderResponseError(
                self.provider,
                f"{what}: unexpected response ({describe_validation_error(exc)})",
                status_code=response.status_code,
            ) from None


class ProviderApiClient:
    """What both provider clients share: one `ProviderHttp` built with the process defaults
    (the shared limiter registry, the default retry policy) unless told otherwise."""

    def __init__(
        self,
        provider: Provider,
        *,
        base_url: str,
        timeout_seconds: float,
        retry: RetryPolicy | None,
        limiters: RateLimiterRegistry | None,
        transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        self.http = ProviderHttp(
            provider,
            base_url=base_url,
            timeout_seconds=timeout_seconds,
            limiters=limiters or default_registry(),
            retry=retry or RetryPolicy(),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.http.base_url!r})"

    async def aclose(self) -> None:
        await self.http.aclose()


def describe_validation_error(exc: ValidationError, limit: int = 3) -> str:
    """Field paths and reasons only: inputs may hold personal data."""
    parts = []
    for err in exc.errors(include_input=False)[:limit]:
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{loc}: {err['msg'].lower()}")
    more = exc.error_count() - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def _query_value(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error_text(response: httpx.Response) -> str:
    """The provider's own explanation (HighLevel `message`, Calendly `title`/`message`)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    pieces: list[str] = []
    for key in ("title", "message", "error"):
        value = body.get(key)
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value)
        if isinstance(value, str) and value and value not in pieces:
            pieces.append(value)
    details = body.get("details")
    if isinstance(details, list):
        for item in details[:3]:
            if isinstance(item, dict) and item.get("message"):
                param = item.get("parameter")
                pieces.append(f"{param}: {item['message']}" if param else str(item["message"]))
    return " - ".join(pieces)[:_MAX_MESSAGE_CHARS]


def _scrub(text: str, token: str) -> str:
    return text.replace(token, "[redacted]") if token else text


async def gather_all(coros: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run calls concurrently; on the first failure cancel the rest and raise that failure.

    Unlike a TaskGroup it raises the provider error itself, not an ExceptionGroup.
    """
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
