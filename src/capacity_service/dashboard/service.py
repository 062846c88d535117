"""Identify the caller of `GET /v1/me`."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.auth import is_admin_token
from capacity_service.dashboard.schemas import CallerRead
from capacity_service.exceptions import Unauthorized
from capacity_service.kit.secrets import hash_api_key
from capacity_service.workspaces.repository import ApiKeyRepository, WorkspaceRepository


async def describe_caller(
    session: AsyncSession, token: str, admin_tokens: Sequence[str]
) -> CallerRead:
    if is_admin_token(token, admin_tokens):
        return CallerRead(admin=True, workspace_id=None)
    key = await ApiKeyRepository(session).find_active(hash_api_key(token))
    if key is None:
        raise Unauthorized("invalid API key")
    workspace = await WorkspaceRepository(session).get(key.workspace_id)
    return CallerRead(
        admin=False,
        workspace_id=key.workspace_id,
        workspace_name=workspace.name if workspace else None,
    )
