"""Provider clients (HighLevel, Calendly), their shared rate limiting, and domain types.

The application builds one `ProviderClients` at start-up and closes it at shutdown; every
request, job and worker in the process shares its connection pools and rate limiters.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from capacity_service.providers.calendly.client import CalendlyClient
from capacity_service.providers.ghl.client import CALENDARS_API_VERSION, GhlClient
from capacity_service.providers.http import RetryPolicy
from capacity_service.providers.ratelimit import RateLimiterRegistry, default_registry


@dataclass(slots=True)
class ProviderClients:
    ghl: GhlClient
    calendly: CalendlyClient
    limiters: RateLimiterRegistry

    async def aclose(self) -> None:
        await self.ghl.aclose()
        await self.calendly.aclose()


def build_provider_clients(
    *,
    ghl_base_url: str = "https://services.leadconnectorhq.com",
    calendly_base_url: str = "https://api.calendly.com",
    ghl_api_version: str = CALENDARS_API_VERSION,
    timeout_seconds: float = 10.0,
    retry_max_seconds: float = 30.0,
    limiters: RateLimiterRegistry | None = None,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ProviderClients:
    """Both clients over one limiter registry (the process-wide one unless given).

    `retry` overrides `retry_max_seconds` entirely (tests pass tiny backoffs).
    """
    registry = limiters or default_registry()
    policy = retry or RetryPolicy(max_seconds=retry_max_seconds)
    return ProviderClients(
        ghl=GhlClient(
            base_url=ghl_base_url,
            timeout_seconds=timeout_seconds,
            api_version=ghl_api_version,
            retry=policy,
            limiters=registry,
            transport=transport,
        ),
        calendly=CalendlyClient(
            base_url=calendly_base_url,
            timeout_seconds=timeout_seconds,
            retry=policy,
            limiters=registry,
            transport=transport,
        ),
        limiters=registry,
    )


__all__ = [
    "CalendlyClient",
    "GhlClient",
    "ProviderClients",
    "RateLimiterRegistry",
    "RetryPolicy",
    "build_provider_clients",
    "default_registry",
]
