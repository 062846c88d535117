"""The test double's ASGI app: HighLevel under `/ghl`, Calendly under `/calendly`, and a
`/_control` API for seeding and configuring it from another process.

Every provider call passes, in order: request counting, bearer-token check (HighLevel also
needs its `Version` header), the per-token rate limit (real headers, 429 with the provider's
body), injected failures, and the configured latency.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from capacity_service.providers.fake import calendly, ghl
from capacity_service.providers.fake.common import error_for, state_of
from capacity_service.providers.fake.state import FakeProviderState, ProviderName

_PROVIDER_PATH = re.compile(r"^/(ghl|calendly)(/.*)$")

CONTROL_ACTIONS = frozenset(
    {
        "reset",
        "configure",
        "fail",
        "clear_failures",
        "revoke_token",
        "add_ghl_calendar",
        "add_ghl_slots",
        "add_ghl_appointment",
        "add_ghl_appointments",
        "update_ghl_appointment",
        "delete_ghl_appointment",
        "add_calendly_user",
        "add_calendly_event_type",
        "add_calendly_available_times",
        "add_calendly_booking",
        "add_calendly_bookings",
        "cancel_calendly_invitee",
        "reschedule_calendly_invitee",
        "mark_calendly_no_show",
    }
)


async def _provider_gate(request: Request, call_next: RequestResponseEndpoint) -> Response:
    match = _PROVIDER_PATH.match(request.url.path)
    if match is None:
        return await call_next(request)
    provider: ProviderName = "ghl" if match.group(1) == "ghl" else "calendly"
    path = match.group(2)
    state = state_of(request)
    state.record(provider, request.method, path, request.url.query)

    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not token or token in state.revoked_tokens:
        message = "Invalid token: access token is invalid or expired"
        return error_for(provider, 401, message)
    if provider == "ghl" and not request.headers.get("version"):
        return error_for(provider, 400, "Version header was not found")

    allowed, headers = state.admit(provider, token)
    if not allowed:
        response = error_for(provider, 429, "Too many requests, please try again later.")
        response.headers.update(headers)
        return response

    failure = state.take_failure(request.method, path)
    if state.latency_seconds:
        await asyncio.sleep(state.latency_seconds)
    if failure is not None:
        if failure.kind == "timeout":
            await asyncio.sleep(state.hang_seconds)
            return error_for(provider, 504, "Gateway timeout")
        if failure.kind == "malformed":
            return Response(
                '{"truncated": ', media_type="application/json", headers=headers, status_code=200
            )
        response = error_for(provider, failure.status, "Injected failure")
        response.headers.update(headers)
        return response

    upstream = await call_next(request)
    upstream.headers.update(headers)
    return upstream


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


async def control(request: Request) -> Response:
    """`POST /_control/{action}` with the Python method's keyword arguments as a JSON object."""
    action = request.path_params["action"]
    if action not in CONTROL_ACTIONS:
        return JSONResponse({"error": f"unknown action {action!r}"}, status_code=404)
    raw = await request.body()
    try:
        kwargs = await request.json() if raw else {}
    except ValueError:
        return JSONResponse({"error": "body must be JSON"}, status_code=400)
    if not isinstance(kwargs, dict):
        return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
    method = getattr(state_of(request), action)
    try:
        inspect.signature(method).bind(**kwargs)
    except TypeError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    try:
        result = method(**kwargs)
    except KeyError as exc:
        return JSONResponse({"error": f"not found: {exc}"}, status_code=404)
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"result": _jsonable(result)})


async def request_counts(request: Request) -> Response:
    """`GET /_control/requests?path=<regex>&method=&provider=`: calls seen and 429s sent."""
    state = state_of(request)
    query = request.query_params
    return JSONResponse(
        {
            "count": state.request_count(
                query.get("path"), method=query.get("method"), provider=query.get("provider")
            ),
            "rateLimited": state.rate_limited,
        }
    )


def create_fake_provider_app(state: FakeProviderState | None = None) -> Starlette:
    """The provider test double over `state` (a fresh one if not given, at `app.state.fake`)."""
    app = Starlette(
        routes=[
            Mount("/ghl", routes=ghl.routes),
            Mount("/calendly", routes=calendly.routes),
            Route("/_control/requests", request_counts, methods=["GET"]),
            Route("/_control/{action}", control, methods=["POST"]),
        ],
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=_provider_gate)],
    )
    app.state.fake = state if state is not None else FakeProviderState()
    return app
