from fastapi import APIRouter, status

from capacity_service.auth import CallerWorkspaceDep
from capacity_service.campaigns import service
from capacity_service.campaigns.schemas import CampaignCreate, CampaignRead
from capacity_service.db import SessionDep
from capacity_service.exceptions import Conflict, NotFound, Unauthorized, error_responses
from capacity_service.kit.pagination import PageDep
from capacity_service.kit.schemas import Page

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/campaigns",
    tags=["campaigns"],
    responses=error_responses(Unauthorized, NotFound),
)


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(Conflict))
async def create_campaign(
    body: CampaignCreate, workspace: CallerWorkspaceDep, session: SessionDep
) -> CampaignRead:
    campaign = await service.create_campaign(session, workspace.id, body.name)
    return CampaignRead.model_validate(campaign)


@router.get("")
async def list_campaigns(
    workspace: CallerWorkspaceDep, session: SessionDep, page: PageDep
) -> Page[CampaignRead]:
    rows, total = await service.list_campaigns(
        session, workspace.id, limit=page.limit, offset=page.offset
    )
    return Page[CampaignRead](
        items=[CampaignRead.model_validate(c) for c in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
