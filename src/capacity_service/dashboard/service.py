"""Identify the caller of `GET /v1/me`."""

import hmac

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.dashboard.schemas import CallerRead
from capacity_service.exceptions import Unauthorized
from capacity_service.kit.secrets import hash_api_key
from capacity_service.workspaces.repository import ApiKeyRepository, WorkspaceRepository


async def describe_caller(
    session: AsyncSession, token: str, admin_token: SecretStr | None
) -> CallerRead:
    if admin_token is not None and hmac.compare_digest(
        token.encode(), admin_token.get_secret_value().encode()
    ):
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
