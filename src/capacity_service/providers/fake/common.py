"""Pieces shared by the test double's HighLevel and Calendly routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from capacity_service.providers.fake.state import FakeProviderState


def state_of(request: Request) -> FakeProviderState:
    state: FakeProviderState = request.app.state.fake
    return state


def ghl_error(status: int, message: str | list[str]) -> JSONResponse:
    body: dict[str, Any] = {"statusCode": status, "message": message}
    if status == 401:
        body["error"] = "Unauthorized"
    elif status == 422:
        body["error"] = "Unprocessable Entity"
    return JSONResponse(body, status_code=status)


_CALENDLY_TITLES = {
    400: "Invalid Argument",
    401: "Unauthenticated",
    403: "Permission Denied",
    404: "Resource Not Found",
    429: "Too Many Requests",
}


def calendly_error(
    status: int, message: str, details: list[dict[str, str]] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "title": _CALENDLY_TITLES.get(status, "Internal Server Error"),
        "message": message,
    }
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status)


def error_for(provider: str, status: int, message: str) -> JSONResponse:
    return ghl_error(status, message) if provider == "ghl" else calendly_error(status, message)
