import uuid
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import TypeAdapter

from capacity_service.analytics import service
from capacity_service.analytics.cache import (
    NO_STORE,
    AnalyticsCache,
    ResponseKey,
    hit_headers,
    stored_headers,
)
from capacity_service.analytics.schemas import Analytics
from capacity_service.auth import BearerDep, bearer_token, caller_workspace, is_admin_caller
from capacity_service.capacity.dependencies import (
    WindowDaysQuery,
    staleness_threshold,
    window_days_or_default,
)
from capacity_service.config import Settings
from capacity_service.data_quality.service import workspace_data_quality
from capacity_service.db import get_session
from capacity_service.exceptions import NotFound, Unauthorized, error_responses
from capacity_service.kit.dependencies import clock_is_pinned, request_now
from capacity_service.kit.secrets import hash_api_key

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/analytics",
    tags=["analytics"],
    responses=error_responses(Unauthorized, NotFound),
)

_ANALYTICS_JSON = TypeAdapter(Analytics)
_session = asynccontextmanager(get_session)


@router.get("", response_model=Analytics)
async def get_analytics(
    workspace_id: uuid.UUID,
    request: Request,
    credentials: BearerDep,
    campaign_id: Annotated[
        uuid.UUID | None,
        Query(alias="campaignId", description="Only this campaign's leads; capacity is then null."),
    ] = None,
    window_days: WindowDaysQuery = None,
) -> Response:
    """Leads and appointments of the last `windowDays` days and % booked of the next ones.

    Served from the database and the availability cache only; no provider is called. The
    answer may come from the API process's memory (`Age`, `Cache-Control: private, max-age`):
    at most `CAPACITY_ANALYTICS_CACHE_SECONDS` old, and never after a committed change of the
    workspace's data has been announced by the database. `generatedAtIso` is the instant the
    figures are for.
    """
    settings: Settings = request.app.state.settings
    token = bearer_token(credentials)
    days = window_days_or_default(settings, window_days)
    key = ResponseKey(workspace_id, days, campaign_id, settings.staleness_threshold_minutes)
    cache: AnalyticsCache | None = request.app.state.analytics_cache
    if cache is None or not cache.live or clock_is_pinned(request):
        return _json(await _compute(request, token, key), NO_STORE)

    # The hot path: the admin token or a cached key, then the cached body. No session, no model.
    key_hash: str | None = None
    if is_admin_caller(request, token):
        allowed = True
    else:
        key_hash = hash_api_key(token)
        allowed = cache.key_grants(key_hash, workspace_id)
    if allowed:
        hit = cache.responses.get(key)
        if hit is not None:
            return _json(hit.value, hit_headers(hit))

    tickets = cache.tickets()  # before anything is read, so a change meanwhile voids the result
    body = await _compute(request, token, key)
    if key_hash is not None:
        cache.api_keys.put(workspace_id, key_hash, workspace_id, tickets.api_keys)
    if cache.responses.put(workspace_id, key, body, tickets.responses):
        return _json(body, stored_headers(cache.ttl_seconds))
    return _json(body, NO_STORE)


async def _compute(request: Request, token: str, key: ResponseKey) -> bytes:
    """The answer from the database, authorised by the rules of every workspace route."""
    settings: Settings = request.app.state.settings
    async with _session(request) as session:
        workspace = await caller_workspace(session, request, token, key.workspace_id)
        analytics = await service.workspace_analytics(
            session,
            workspace,
            window_days=key.window_days,
            now=request_now(request),
            staleness_threshold=staleness_threshold(settings),
            campaign_id=key.campaign_id,
        )
        analytics.data_quality = await workspace_data_quality(session, workspace)
    return _ANALYTICS_JSON.dump_json(analytics, by_alias=True)


def _json(body: bytes, headers: dict[str, str]) -> Response:
    return Response(content=body, media_type="application/json", headers=dict(headers))
