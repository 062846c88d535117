"""The application factory: routers, error handling, and the resources built at start-up."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from capacity_service import __version__
from capacity_service.alerts.endpoints import admin_router as admin_alerts_router
from capacity_service.alerts.endpoints import workspace_router as alerts_router
from capacity_service.analytics.cache import AnalyticsCache
from capacity_service.analytics.endpoints import router as analytics_router
from capacity_service.appointments.endpoints import router as appointments_router
from capacity_service.availability.endpoints import router as availability_router
from capacity_service.backfill.endpoints import router as backfill_router
from capacity_service.bookings.endpoints import router as bookings_router
from capacity_service.campaigns.endpoints import router as campaigns_router
from capacity_service.capacity.endpoints import router as capacity_router
from capacity_service.changes.cache import WorkspaceCache
from capacity_service.changes.listener import ROW_CHANNEL, WorkspaceChangeListener
from capacity_service.config import ConfigError, Settings
from capacity_service.dashboard.endpoints import me_router
from capacity_service.dashboard.endpoints import router as dashboard_router
from capacity_service.data_quality.endpoints import admin_router as admin_data_quality_router
from capacity_service.data_quality.endpoints import router as data_quality_router
from capacity_service.db import create_engine, create_sessionmaker
from capacity_service.exceptions import document_error_shape, install_exception_handlers
from capacity_service.health.endpoints import router as health_router
from capacity_service.insight_views.endpoints import router as insight_views_router
from capacity_service.insights.endpoints import router as insights_router
from capacity_service.jobs.queue import asyncpg_dsn
from capacity_service.kit.body_limit import BodySizeLimitMiddleware
from capacity_service.kit.secrets import SecretCipher
from capacity_service.leads.endpoints import router as leads_router
from capacity_service.providers import ProviderClients, build_provider_clients
from capacity_service.reconcile.endpoints import router as reconcile_router
from capacity_service.webhooks.endpoints import admin_router as webhook_events_router
from capacity_service.webhooks.endpoints import router as webhooks_router
from capacity_service.webhooks.signing_keys import KEY_CACHE_SECONDS, CalendlySigningKeys
from capacity_service.workspaces.endpoints import router as workspaces_router

# Requests are matched against the routers in this order, one after another, so the routes
# called most (probes, dashboards polling analytics and capacity, provider webhooks) come
# first: matching a request against every router before them cost a quarter of a cached
# analytics answer.
ROUTERS = [
    health_router,
    analytics_router,
    capacity_router,
    webhooks_router,
    me_router,
    dashboard_router,
    workspaces_router,
    leads_router,
    campaigns_router,
    availability_router,
    appointments_router,
    bookings_router,
    reconcile_router,
    webhook_events_router,
    backfill_router,
    insights_router,
    insight_views_router,
    alerts_router,
    admin_alerts_router,
    data_quality_router,
    admin_data_quality_router,
]

DESCRIPTION = """
How full each client's calendars really are: **% booked = booked / (booked + available)** over
the next N days, per availability source (DEFAULT, DIRECT_BOOK) and combined, from HighLevel
calendars and Calendly event types.

Authenticate with `Authorization: Bearer <token>`: the admin token for everything, or a
workspace API key for `/v1/workspaces/{workspaceId}/*`. Every timestamp is an ISO-8601 UTC string.
"""


def build_providers(settings: Settings) -> ProviderClients:
    return build_provider_clients(
        ghl_base_url=settings.ghl_base_url,
        calendly_base_url=settings.calendly_base_url,
        ghl_api_version=settings.ghl_api_version,
        timeout_seconds=settings.provider_timeout_seconds,
        retry_max_seconds=settings.provider_retry_max_seconds,
    )


def start_change_listener(app: FastAPI, settings: Settings) -> WorkspaceChangeListener | None:
    """The in-memory caches (analytics answers, Calendly signing keys) and the workspace
    change listener that keeps them exact.

    None when the cache is disabled (`CAPACITY_ANALYTICS_CACHE_SECONDS=0`) or there is no
    database URL to listen on (an engine handed in by a test). The listener connects in the
    background: until it listens, the cache is bypassed, and a database that is down delays
    nothing but the cache.
    """
    app.state.analytics_cache = None
    app.state.workspace_changes = None
    app.state.calendly_signing_keys = CalendlySigningKeys(app.state.cipher, None)
    if settings.analytics_cache_seconds == 0 or settings.database_url is None:
        return None
    cache = AnalyticsCache(ttl_seconds=settings.analytics_cache_seconds)
    signing_keys: WorkspaceCache[uuid.UUID, str | None] = WorkspaceCache(
        ttl_seconds=KEY_CACHE_SECONDS
    )
    listener = WorkspaceChangeListener(asyncpg_dsn(settings.database_url))
    for subscriber in cache.subscribers:
        listener.subscribe(subscriber)
    listener.subscribe(signing_keys, channel=ROW_CHANNEL)
    listener.start()
    app.state.calendly_signing_keys = CalendlySigningKeys(app.state.cipher, signing_keys)
    app.state.analytics_cache = cache
    app.state.workspace_changes = listener
    return listener


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    providers: ProviderClients | None = None,
) -> FastAPI:
    """Build the app. Tests may hand in a shared engine and provider clients of their own."""
    settings.require_runtime_secrets()
    if engine is None and settings.database_url is None:
        raise ConfigError("CAPACITY_DATABASE_URL is not set (the CLI starts an embedded one)")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        app.state.engine = engine or create_engine(
            str(settings.database_url), pool_size=settings.database_pool_size
        )
        app.state.sessionmaker = create_sessionmaker(app.state.engine)
        own_providers = providers is None
        app.state.providers = providers or build_providers(settings)
        listener = start_change_listener(app, settings)
        try:
            yield
        finally:
            if listener is not None:
                await listener.stop()
            if own_providers:
                await app.state.providers.aclose()
            if own_engine:
                await app.state.engine.dispose()

    app = FastAPI(
        title="capacity-service",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.cipher = SecretCipher(settings.fernet_keys)
    app.state.analytics_cache = None  # until the lifespan starts it
    app.state.workspace_changes = None
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    install_exception_handlers(app)
    document_error_shape(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
