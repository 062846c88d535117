"""Who may call what: the admin token for everything, a workspace key for its own workspace.

A key of workspace A asking about workspace B gets the same 404 as a workspace that does not
exist, so keys cannot be used to discover other clients.
"""

import hmac
import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.db import SessionDep
from capacity_service.exceptions import Forbidden, NotFound, Unauthorized
from capacity_service.kit.secrets import hash_api_key
from capacity_service.models import Workspace
from capacity_service.workspaces.repository import ApiKeyRepository, WorkspaceRepository

_bearer = HTTPBearer(auto_error=False, description="The admin token or a workspace API key.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def is_admin_token(token: str, admin_tokens: Sequence[str]) -> bool:
    """Whether `token` is one of the admin tokens (several during a rotation). Every one is
    compared, without stopping at a match, so timing does not tell which one matched."""
    matched = False
    for admin in admin_tokens:
        matched |= hmac.compare_digest(token.encode(), admin.encode())
    return matched


def is_admin_caller(request: Request, token: str) -> bool:
    return is_admin_token(token, request.app.state.settings.admin_tokens)


def bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    """The token sent, or Unauthorized when there is none."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("missing credentials: send 'Authorization: Bearer <token>'")
    return credentials.credentials


async def require_admin(request: Request, credentials: BearerDep, session: SessionDep) -> None:
    token = bearer_token(credentials)
    if is_admin_caller(request, token):
        return
    if await ApiKeyRepository(session).find_active(hash_api_key(token)) is not None:
        raise Forbidden("this endpoint needs the admin token; a workspace API key is not enough")
    raise Unauthorized("invalid admin token")


async def workspace_for_caller(
    workspace_id: uuid.UUID, request: Request, credentials: BearerDep, session: SessionDep
) -> Workspace:
    """The workspace of the path, if the caller may see it."""
    return await caller_workspace(session, request, bearer_token(credentials), workspace_id)


async def caller_workspace(
    session: AsyncSession, request: Request, token: str, workspace_id: uuid.UUID
) -> Workspace:
    """The workspace `workspace_id`, if the holder of `token` may see it (the rules of every
    workspace route, for endpoints that authenticate without the dependency)."""
    if is_admin_caller(request, token):
        workspace = await WorkspaceRepository(session).get(workspace_id)
    else:
        # The key and its workspace in one round trip: this runs on every workspace request.
        found = await ApiKeyRepository(session).find_active_with_workspace(hash_api_key(token))
        if found is None:
            raise Unauthorized("invalid API key")
        key_workspace_id, workspace = found
        if key_workspace_id != workspace_id:
            raise NotFound(f"workspace {workspace_id} not found")
    if workspace is None:
        raise NotFound(f"workspace {workspace_id} not found")
    return workspace


AdminDep = Depends(require_admin)
CallerWorkspaceDep = Annotated[Workspace, Depends(workspace_for_caller)]
