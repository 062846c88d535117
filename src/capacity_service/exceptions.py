"""Domain errors carry their HTTP status; one handler renders them as `{error, detail}`."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


class ErrorBody(BaseModel):
    """The one shape of every error response."""

    error: str
    detail: str
    fields: list[dict[str, Any]] | None = None


class CapacityServiceError(Exception):
    status_code: int = 500
    error: str = "internal_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(CapacityServiceError):
    status_code = 400
    error = "bad_request"


class Unauthorized(CapacityServiceError):
    status_code = 401
    error = "unauthorized"


class Forbidden(CapacityServiceError):
    status_code = 403
    error = "forbidden"


class NotFound(CapacityServiceError):
    status_code = 404
    error = "not_found"


class Conflict(CapacityServiceError):
    status_code = 409
    error = "conflict"


class PayloadTooLarge(CapacityServiceError):
    status_code = 413
    error = "payload_too_large"


class UnprocessableEntity(CapacityServiceError):
    status_code = 422
    error = "validation_error"


class BadGateway(CapacityServiceError):
    """The provider answered with an error; the detail carries its reason."""

    status_code = 502
    error = "provider_error"


class ServiceUnavailable(CapacityServiceError):
    status_code = 503
    error = "service_unavailable"


def error_responses(*errors: type[CapacityServiceError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route, so OpenAPI documents the errors it can return."""
    return {
        err.status_code: {"model": ErrorBody, "description": err.__doc__ or err.error}
        for err in errors
    }


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(CapacityServiceError)
    async def _domain(_: Request, exc: CapacityServiceError) -> JSONResponse:
        body = ErrorBody(error=exc.error, detail=exc.detail)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "invalid request"
        body = ErrorBody(error="validation_error", detail=detail, fields=fields)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        body = ErrorBody(error=error, detail=str(exc.detail))
        return JSONResponse(
            body.model_dump(exclude_none=True),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
