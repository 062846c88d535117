import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.campaigns.service import get_campaign
from capacity_service.exceptions import NotFound
from capacity_service.leads.repository import LeadRepository
from capacity_service.leads.schemas import LeadUpsert
from capacity_service.models import Lead


async def upsert_lead(
    session: AsyncSession, workspace_id: uuid.UUID, data: LeadUpsert
) -> tuple[Lead, bool]:
    """Create or update by email; returns the lead and whether it was created."""
    if data.campaign_id is not None:
        await get_campaign(session, workspace_id, data.campaign_id)
    values = data.model_dump(include=data.model_fields_set - {"email"})
    return await LeadRepository(session).upsert_by_email(workspace_id, data.email, values)


async def get_lead(session: AsyncSession, workspace_id: uuid.UUID, lead_id: uuid.UUID) -> Lead:
    lead = await LeadRepository(session).get(workspace_id, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} not found in this workspace")
    return lead


async def list_leads(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    *,
    campaign_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Lead], int]:
    return await LeadRepository(session).list(
        workspace_id, campaign_id=campaign_id, limit=limit, offset=offset
    )
