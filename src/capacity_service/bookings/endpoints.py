from typing import Annotated

from fastapi import APIRouter, Header, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.appointments.schemas import AppointmentRead
from capacity_service.auth import CallerWorkspaceDep
from capacity_service.bookings import service
from capacity_service.bookings.schemas import BookingCreate
from capacity_service.config import Settings
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
from capacity_service.kit.dependencies import CipherDep, ProvidersDep, SettingsDep


def outcome_unknown_after(settings: Settings) -> float:
    """Twice the longest a booking call can take (its retries' bound plus one last attempt)."""
    return 2 * (settings.provider_retry_max_seconds + settings.provider_timeout_seconds)


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
    request: Request,
    workspace: CallerWorkspaceDep,
    session: SessionDep,
    providers: ProvidersDep,
    cipher: CipherDep,
    settings: SettingsDep,
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
    # The caller's workspace was read in the request's transaction; end it so that none is
    # open during the provider call (the booking runs its own short transactions).
    await session.commit()
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    result = await service.book(
        sessionmaker,
        providers,
        cipher,
        workspace,
        body,
        idempotency_key=idempotency_key,
        outcome_unknown_after_seconds=outcome_unknown_after(settings),
    )
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return JSONResponse(result.body, status_code=result.status_code, headers=headers)
