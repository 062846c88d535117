"""Typed provider failures.

Callers decide by type (retry, mark a row as errored, tell the operator to reconnect) and
show `message` to a person. Nothing here ever holds a token: messages are built from the
status, the provider's own error text (scrubbed of the token by the HTTP layer) and our words.
"""

from __future__ import annotations

from capacity_service.kit.enums import Provider


class ProviderError(Exception):
    """Base of every failure talking to a provider."""

    def __init__(self, provider: Provider, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.message = message
        self.status_code = status_code

    def __str__(self) -> str:
        status = f" (HTTP {self.status_code})" if self.status_code is not None else ""
        return f"{self.provider.value}: {self.message}{status}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider={self.provider.value!r}, "
            f"status_code={self.status_code!r}, message={self.message!r})"
        )


class ProviderAuthError(ProviderError):
    """401/403: the token is invalid, expired, lacks a scope, or the plan forbids the call."""


class ProviderNotFoundError(ProviderError):
    """404: the resource does not exist (or is not visible to this token)."""


class ProviderBadRequestError(ProviderError):
    """Another 4xx: the provider refused the request itself; retrying will not help."""


class ProviderRateLimitedError(ProviderError):
    """429, or a wait for budget longer than the caller allows."""

    def __init__(
        self,
        provider: Provider,
        message: str,
        *,
        status_code: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(provider, message, status_code=status_code)
        self.retry_after = retry_after


class ProviderUnavailableError(ProviderError):
    """5xx, timeout or connection failure: the provider may answer later."""


class ProviderResponseError(ProviderError):
    """A 2xx whose body is not JSON or lacks fields we need."""


TRANSIENT_ERRORS: tuple[type[ProviderError], ...] = (
    ProviderRateLimitedError,
    ProviderUnavailableError,
)
