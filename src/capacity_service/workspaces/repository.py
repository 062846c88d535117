import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, func, select, update

from capacity_service.kit.repository import Repository
from capacity_service.models import ApiKey, Workspace

# Built once: the statement and its compiled form are reused by every authenticated request.
_ACTIVE_KEY_WORKSPACE = (
    select(ApiKey.workspace_id, Workspace)
    .join(Workspace, Workspace.id == ApiKey.workspace_id)
    .where(ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None))
)


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

    async def find_active_with_workspace(self, key_hash: str) -> tuple[uuid.UUID, Workspace] | None:
        """An active key's workspace id and that workspace, in one statement."""
        row = (await self.session.execute(_ACTIVE_KEY_WORKSPACE, {"key_hash": key_hash})).first()
        return None if row is None else (row[0], row[1])

    async def add(self, api_key: ApiKey) -> ApiKey:
        self.session.add(api_key)
        await self.session.flush()
        await self.session.refresh(api_key)
        return api_key

    async def list_for_workspace(
        self, workspace_id: uuid.UUID, *, limit: int, offset: int
    ) -> tuple[Sequence[ApiKey], int]:
        total = await self.session.scalar(
            select(func.count()).select_from(ApiKey).where(ApiKey.workspace_id == workspace_id)
        )
        rows = await self.session.scalars(
            select(ApiKey)
            .where(ApiKey.workspace_id == workspace_id)
            .order_by(ApiKey.created_at, ApiKey.id)
            .limit(limit)
            .offset(offset)
        )
        return rows.all(), int(total or 0)

    async def revoke(self, workspace_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
        """Revoke in one statement; a key revoked before keeps its first revocation time."""
        result = await self.session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.workspace_id == workspace_id)
            .values(revoked_at=func.coalesce(ApiKey.revoked_at, func.now()))
            .returning(ApiKey)
            .execution_options(synchronize_session=False)
        )
        api_key = result.scalar_one_or_none()
        if api_key is not None:
            await self.session.refresh(api_key)
        return api_key
