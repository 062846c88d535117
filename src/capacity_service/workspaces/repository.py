import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from capacity_service.kit.repository import Repository
from capacity_service.models import ApiKey, Workspace


class WorkspaceRepository(Repository):
    async def get(self, workspace_id: uuid.UUID) -> Workspace | None:
        return await self.session.get(Workspace, workspace_id)

    async def get_by_ghl_location(self, location_id: str) -> Workspace | None:
        result = await self.session.execute(
            select(Workspace).where(Workspace.ghl_location_id == location_id)
        )
        return result.scalar_one_or_none()

    async def list(self, *, limit: int, offset: int) -> tuple[Sequence[Workspace], int]:
        total = await self.session.scalar(select(func.count()).select_from(Workspace))
        rows = await self.session.scalars(
            select(Workspace)
            .order_by(Workspace.created_at, Workspace.id)
            .limit(limit)
            .offset(offset)
        )
        return rows.all(), int(total or 0)

    async def list_ids(self) -> Sequence[uuid.UUID]:
        return (await self.session.scalars(select(Workspace.id).order_by(Workspace.id))).all()

    async def add(self, workspace: Workspace) -> Workspace:
        self.session.add(workspace)
        await self.session.flush()
        await self.session.refresh(workspace)
        return workspace

    async def delete(self, workspace: Workspace) -> None:
        await self.session.delete(workspace)
        await self.session.flush()


class ApiKeyRepository(Repository):
    async def find_active(self, key_hash: str) -> ApiKey | None:
        result = await self.session.execute(
            select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
        )
        return result.scalar_one_or_none()

    async def add(self, api_key: ApiKey) -> ApiKey:
        self.session.add(api_key)
        await self.session.flush()
        await self.session.refresh(api_key)
        return api_key
