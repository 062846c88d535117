import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.campaigns.repository import CampaignRepository
from capacity_service.exceptions import Conflict, NotFound
from capacity_service.models import Campaign


async def create_campaign(session: AsyncSession, workspace_id: uuid.UUID, name: str) -> Campaign:
    campaign = Campaign(workspace_id=workspace_id, name=name)
    session.add(campaign)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a campaign named {name!r} already exists in this workspace") from None
    await session.refresh(campaign)
    return campaign


async def get_campaign(
    session: AsyncSession, workspace_id: uuid.UUID, campaign_id: uuid.UUID
) -> Campaign:
    campaign = await CampaignRepository(session).get(workspace_id, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found in this workspace")
    return campaign


async def list_campaigns(
    session: AsyncSession, workspace_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[Campaign], int]:
    return await CampaignRepository(session).list(workspace_id, limit=limit, offset=offset)
