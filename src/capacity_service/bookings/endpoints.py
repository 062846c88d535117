from typing import Annotated

from fastapi import APIRouter, Header, status
from fastapi.responses import JSONResponse

from capacity_service.appointments.schemas import AppointmentRead
from capacity_service.auth import CallerWorkspaceDep
from capacity_service.bookings import service
from capacity_service.bookings.schemas import BookingCreate
from capacity_service.db import SessionDep
from capacity_service.exceptions import (
    BadGateway,
    Conflict,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from capacity_service.kit.dependencies import CipherDep, ProvidersDep

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/bookings",
    tags=["bookings"],
    responses=error_responses(Unauthorized, NotFound),
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AppointmentRead,
    responses=error_responses(Conflict, UnprocessableEntity, BadGateway, ServiceUnavailable),
)
async def create_booking(
    body: BookingCreate,
    workspace: CallerWorkspaceDep,
    session: SessionDep,
    providers: ProvidersDep,
    cipher: CipherDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            description="A repeat with the same key returns the first result, with no second "
            "booking. 409 while the first is still in flight.",
        ),
    ] = None,
) -> JSONResponse:
    """Book a slot for a lead on HighLevel (`provider: "ghl"`, lead needs `ghlContactId`) or
    Calendly (`provider: "calendly"`, Scheduling API); the appointment is attributed to the
    calendar / event type booked on. Provider failures are 502 (refused) or 503 (unavailable,
    rate limited) with the provider's reason, and write nothing."""
    result = await service.book(
        session, providers, cipher, workspace, body, idempotency_key=idempotency_key
    )
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return JSONResponse(result.body, status_code=result.status_code, headers=headers)
