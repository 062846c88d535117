import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from capacity_service.kit.repository import Repository
from capacity_service.models import Campaign


class CampaignRepository(Repository):
    async def get(self, workspace_id: uuid.UUID, campaign_id: uuid.UUID) -> Campaign | None:
        result = await self.session.execute(
            select(Campaign).where(
                Campaign.id == campaign_id, Campaign.workspace_id == workspace_id
            )
        )
        return result.scalar_one_or_none()

    async def list(
        self, workspace_id: uuid.UUID, *, limit: int, offset: int
    ) -> tuple[Sequence[Campaign], int]:
        where = Campaign.workspace_id == workspace_id
        total = await self.session.scalar(select(func.count()).select_from(Campaign).where(where))
        rows = await self.session.scalars(
            select(Campaign).where(where).order_by(Campaign.name).limit(limit).offset(offset)
        )
        return rows.all(), int(total or 0)
