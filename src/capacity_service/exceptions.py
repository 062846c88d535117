"""Domain errors carry their HTTP status; one handler renders them as `{error, detail}`."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SqlalchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


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


class CredentialsUnreadable(ServiceUnavailable):
    """A stored secret cannot be decrypted with CAPACITY_ENCRYPTION_KEY (its key was removed
    from the list). 503 so that webhook senders retry once the key is back."""

    error = "credentials_unreadable"


def error_responses(*errors: type[CapacityServiceError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route, so OpenAPI documents the errors it can return."""
    return {
        err.status_code: {"model": ErrorBody, "description": err.__doc__ or err.error}
        for err in errors
    }


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _database_error_status(exc: Exception) -> int | None:
    """503 while the database cannot be reached, 422 for text it refuses (a NUL byte,
    an unencodable character); None for anything else, which stays a 500."""
    if isinstance(exc, OSError | SqlalchemyTimeoutError):
        return 503
    if not isinstance(exc, DBAPIError):
        return None
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if sqlstate.startswith("22"):
        return 422
    if (
        exc.connection_invalidated
        or sqlstate.startswith(("08", "53", "57P"))
        or isinstance(exc, OperationalError | InterfaceError)
    ):
        return 503
    return None


def install_exception_handlers(app: FastAPI) -> None:
    async def _database(_: Request, exc: Exception) -> JSONResponse:
        status = _database_error_status(exc)
        if status is None:
            raise exc
        if status == 422:
            body = ErrorBody(error="validation_error", detail="the database refused a value")
        else:
            logger.warning("database unavailable: %s", type(exc).__name__)
            body = ErrorBody(
                error="service_unavailable", detail="the database is unavailable; retry later"
            )
        headers = {"Retry-After": "5"} if status == 503 else None
        return JSONResponse(body.model_dump(exclude_none=True), status, headers=headers)

    for database_error in (DBAPIError, SqlalchemyTimeoutError, OSError):
        app.add_exception_handler(database_error, _database)

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
        error = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        body = ErrorBody(error=error, detail=str(exc.detail))
        return JSONResponse(
            body.model_dump(exclude_none=True),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )


_ERROR_BODY_REF = {"$ref": "#/components/schemas/ErrorBody"}


def document_error_shape(app: FastAPI) -> None:
    """Make the OpenAPI document describe the errors the handlers above really send.

    FastAPI documents its own `HTTPValidationError` for every 422, while the validation handler
    answers `ErrorBody`; and an operation with a body can also answer 400 (a body that is not
    UTF-8) and 413 (over the size limit), which no route declares.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault(
            "ErrorBody", ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        error = {"content": {"application/json": {"schema": _ERROR_BODY_REF}}}
        for path in document.get("paths", {}).values():
            for operation in path.values():
                responses = operation.get("responses", {})
                validation = responses.get("422")
                if validation is not None and "HTTPValidationError" in str(validation):
                    responses["422"] = {"description": "Validation Error", **error}
                if "requestBody" in operation:
                    responses.setdefault("400", {"description": "Body is not UTF-8", **error})
                    responses.setdefault("413", {"description": "Body too large", **error})
        if "HTTPValidationError" not in str(document.get("paths")):
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
