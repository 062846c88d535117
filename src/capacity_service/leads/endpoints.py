import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from capacity_service.auth import CallerWorkspaceDep
from capacity_service.db import SessionDep
from capacity_service.exceptions import NotFound, Unauthorized, error_responses
from capacity_service.kit.pagination import PageDep
from capacity_service.kit.schemas import Page
from capacity_service.leads import service
from capacity_service.leads.schemas import LeadRead, LeadUpsert

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/leads",
    tags=["leads"],
    responses=error_responses(Unauthorized, NotFound),
)


@router.post(
    "",
    status_code=status.HTTP_200_OK,
    responses={201: {"model": LeadRead, "description": "Created"}},
)
async def upsert_lead(
    body: LeadUpsert, workspace: CallerWorkspaceDep, session: SessionDep, response: Response
) -> LeadRead:
    """Create a lead, or update the one with the same email (201 created, 200 updated)."""
    lead, created = await service.upsert_lead(session, workspace.id, body)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return LeadRead.model_validate(lead)


@router.get("")
async def list_leads(
    workspace: CallerWorkspaceDep,
    session: SessionDep,
    page: PageDep,
    campaign_id: Annotated[uuid.UUID | None, Query(alias="campaignId")] = None,
) -> Page[LeadRead]:
    rows, total = await service.list_leads(
        session, workspace.id, campaign_id=campaign_id, limit=page.limit, offset=page.offset
    )
    return Page[LeadRead](
        items=[LeadRead.model_validate(lead) for lead in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{lead_id}")
async def get_lead(
    lead_id: uuid.UUID, workspace: CallerWorkspaceDep, session: SessionDep
) -> LeadRead:
    return LeadRead.model_validate(await service.get_lead(session, workspace.id, lead_id))
