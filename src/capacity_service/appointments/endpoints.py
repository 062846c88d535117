import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from capacity_service.appointments import service
from capacity_service.appointments.repository import AppointmentFilter
from capacity_service.appointments.schemas import AppointmentRead
from capacity_service.auth import CallerWorkspaceDep
from capacity_service.db import SessionDep
from capacity_service.exceptions import NotFound, Unauthorized, error_responses
from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.kit.pagination import PageDep
from capacity_service.kit.schemas import Page
from capacity_service.kit.time import to_utc

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/appointments",
    tags=["appointments"],
    responses=error_responses(Unauthorized, NotFound),
)


@router.get("")
async def list_appointments(
    workspace: CallerWorkspaceDep,
    session: SessionDep,
    page: PageDep,
    status: AppointmentStatus | None = None,
    provider: Provider | None = None,
    start_from: Annotated[
        datetime | None, Query(alias="startFrom", description="Start at or after (ISO-8601).")
    ] = None,
    start_to: Annotated[
        datetime | None, Query(alias="startTo", description="Start before (ISO-8601).")
    ] = None,
    attributed: Annotated[
        bool | None,
        Query(description="true: has a calendar id / event type URI; false: attribution NULL."),
    ] = None,
    lead_id: Annotated[uuid.UUID | None, Query(alias="leadId")] = None,
) -> Page[AppointmentRead]:
    """Appointments by start time, with the attribution that decides where each one counts."""
    filters = AppointmentFilter(
        status=status,
        provider=provider,
        start_from=to_utc(start_from) if start_from else None,
        start_to=to_utc(start_to) if start_to else None,
        attributed=attributed,
        lead_id=lead_id,
    )
    rows, total = await service.list_appointments(
        session, workspace.id, filters, limit=page.limit, offset=page.offset
    )
    return Page[AppointmentRead](
        items=[AppointmentRead.model_validate(a) for a in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
