import uuid

from fastapi import APIRouter, Response, status

from capacity_service.auth import AdminDep
from capacity_service.db import SessionDep
from capacity_service.exceptions import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from capacity_service.kit.dependencies import CipherDep
from capacity_service.kit.pagination import PageDep
from capacity_service.kit.schemas import Page
from capacity_service.workspaces import service
from capacity_service.workspaces.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    WorkspaceCreate,
    WorkspaceRead,
    WorkspaceUpdate,
)

router = APIRouter(
    prefix="/v1/admin/workspaces",
    tags=["admin: workspaces"],
    dependencies=[AdminDep],
    responses=error_responses(Unauthorized, Forbidden),
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Conflict, UnprocessableEntity),
)
async def create_workspace(
    body: WorkspaceCreate, session: SessionDep, cipher: CipherDep
) -> WorkspaceRead:
    """Create a client workspace with its calendar settings and provider credentials."""
    return service.to_read(await service.create_workspace(session, body, cipher))


@router.get("")
async def list_workspaces(session: SessionDep, page: PageDep) -> Page[WorkspaceRead]:
    rows, total = await service.list_workspaces(session, limit=page.limit, offset=page.offset)
    return Page[WorkspaceRead](
        items=[service.to_read(w) for w in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/{workspace_id}", responses=error_responses(NotFound))
async def get_workspace(workspace_id: uuid.UUID, session: SessionDep) -> WorkspaceRead:
    return service.to_read(await service.get_workspace(session, workspace_id))


@router.patch("/{workspace_id}", responses=error_responses(NotFound, Conflict, UnprocessableEntity))
async def update_workspace(
    workspace_id: uuid.UUID, body: WorkspaceUpdate, session: SessionDep, cipher: CipherDep
) -> WorkspaceRead:
    """Change settings; fields left out are kept, `null` clears one.

    A change of a source identifier, source provider, location or provider token queues an
    availability refresh of the workspace in the same transaction.
    """
    return service.to_read(await service.update_workspace(session, workspace_id, body, cipher))


@router.delete(
    "/{workspace_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(NotFound)
)
async def delete_workspace(workspace_id: uuid.UUID, session: SessionDep) -> Response:
    """Delete a workspace and everything in it (leads, appointments, caches, keys)."""
    await service.delete_workspace(session, workspace_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{workspace_id}/api-keys",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(NotFound),
)
async def create_api_key(
    workspace_id: uuid.UUID, session: SessionDep, body: ApiKeyCreate | None = None
) -> ApiKeyCreated:
    """Create an API key for the workspace's own endpoints. The key is shown only here."""
    return await service.create_api_key(session, workspace_id, body.name if body else "default")


@router.get("/{workspace_id}/api-keys", responses=error_responses(NotFound))
async def list_api_keys(
    workspace_id: uuid.UUID, session: SessionDep, page: PageDep
) -> Page[ApiKeyRead]:
    """The workspace's keys, revoked ones included, oldest first; never the key or its hash."""
    rows, total = await service.list_api_keys(
        session, workspace_id, limit=page.limit, offset=page.offset
    )
    return Page[ApiKeyRead](
        items=[service.to_api_key_read(k) for k in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.delete(
    "/{workspace_id}/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(NotFound),
)
async def revoke_api_key(
    workspace_id: uuid.UUID, key_id: uuid.UUID, session: SessionDep
) -> Response:
    """Revoke a key: requests with it get 401 from now on. Revoking again is a no-op (204)."""
    await service.revoke_api_key(session, workspace_id, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
