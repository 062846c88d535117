"""Workspace settings: creation, changes, deletion and API keys."""

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.availability.tasks import enqueue_refresh
from capacity_service.exceptions import Conflict, NotFound, UnprocessableEntity
from capacity_service.kit.secrets import SecretCipher, hash_api_key, new_api_key
from capacity_service.models import ApiKey, Workspace
from capacity_service.workspaces.repository import ApiKeyRepository, WorkspaceRepository
from capacity_service.workspaces.schemas import (
    ApiKeyCreated,
    ApiKeyRead,
    SourceConfigRead,
    WorkspaceCreate,
    WorkspaceRead,
    WorkspaceSettingsFields,
    WorkspaceUpdate,
)
from capacity_service.workspaces.sources import AmbiguousSourceError, configured_sources

_SECRET_FIELDS = {
    "ghl_access_token": "ghl_access_token_encrypted",
    "calendly_access_token": "calendly_access_token_encrypted",
    "calendly_webhook_signing_key": "calendly_webhook_signing_key_encrypted",
}

_AVAILABILITY_FIELDS = frozenset(
    {
        "ghl_location_id",
        "ghl_access_token",
        "calendly_access_token",
        "ghl_default_calendar_id",
        "ghl_direct_book_calendar_id",
        "calendly_default_event_type_uri",
        "calendly_direct_book_event_type_uri",
        "default_source_provider",
        "direct_book_source_provider",
    }
)
"""Settings the availability cache depends on: what is fetched, and with which credentials."""


def _changes_availability(workspace: Workspace, changes: WorkspaceSettingsFields) -> bool:
    """Whether the change touches what the availability refresh fetches or how. A token sent
    again counts even if it is the same one: that is how an operator says "try again now"."""
    for field in changes.model_fields_set & _AVAILABILITY_FIELDS:
        if field in _SECRET_FIELDS or getattr(workspace, field) != getattr(changes, field):
            return True
    return False


def _apply(workspace: Workspace, changes: WorkspaceSettingsFields, cipher: SecretCipher) -> None:
    for field in changes.model_fields_set:
        value = getattr(changes, field)
        if field in _SECRET_FIELDS:
            setattr(workspace, _SECRET_FIELDS[field], cipher.encrypt_optional(value))
        else:
            setattr(workspace, field, value)
    try:
        configured_sources(workspace, strict=True)
    except AmbiguousSourceError as exc:
        raise UnprocessableEntity(str(exc)) from None


def to_read(workspace: Workspace) -> WorkspaceRead:
    sources = configured_sources(workspace)
    return WorkspaceRead(
        id=workspace.id,
        name=workspace.name,
        timezone=workspace.timezone,
        ghl_location_id=workspace.ghl_location_id,
        ghl_access_token_set=workspace.ghl_access_token_encrypted is not None,
        ghl_default_calendar_id=workspace.ghl_default_calendar_id,
        ghl_direct_book_calendar_id=workspace.ghl_direct_book_calendar_id,
        calendly_access_token_set=workspace.calendly_access_token_encrypted is not None,
        calendly_organization_uri=workspace.calendly_organization_uri,
        calendly_webhook_signing_key_set=workspace.calendly_webhook_signing_key_encrypted
        is not None,
        calendly_default_event_type_uri=workspace.calendly_default_event_type_uri,
        calendly_direct_book_event_type_uri=workspace.calendly_direct_book_event_type_uri,
        default_source_provider=workspace.default_source_provider,
        direct_book_source_provider=workspace.direct_book_source_provider,
        sources=[
            SourceConfigRead(
                source=source,
                provider=config.provider if config else None,
                identifier=config.identifier if config else None,
            )
            for source, config in sources.items()
        ],
        created_at=workspace.created_at,
        updated_at=workspace.updated_at,
    )


async def _flush_unique(session: AsyncSession, workspace: Workspace) -> Workspace:
    """A taken location is 409. No savepoint: opening one would flush the pending change
    outside it, and the request's transaction is rolled back on the error anyway. The location
    is read first: after a failed flush the row's attributes can no longer be loaded."""
    location_id = workspace.ghl_location_id
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"HighLevel location {location_id} belongs to another workspace") from None
    await session.refresh(workspace)
    return workspace


async def create_workspace(
    session: AsyncSession, data: WorkspaceCreate, cipher: SecretCipher
) -> Workspace:
    workspace = Workspace(name=data.name, timezone=data.timezone)
    _apply(workspace, data, cipher)
    session.add(workspace)
    return await _flush_unique(session, workspace)


async def get_workspace(session: AsyncSession, workspace_id: uuid.UUID) -> Workspace:
    workspace = await WorkspaceRepository(session).get(workspace_id)
    if workspace is None:
        raise NotFound(f"workspace {workspace_id} not found")
    return workspace


async def list_workspaces(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[Sequence[Workspace], int]:
    return await WorkspaceRepository(session).list(limit=limit, offset=offset)


async def update_workspace(
    session: AsyncSession, workspace_id: uuid.UUID, data: WorkspaceUpdate, cipher: SecretCipher
) -> Workspace:
    workspace = await get_workspace(session, workspace_id)
    for required in ("name", "timezone"):
        if required in data.model_fields_set and getattr(data, required) is None:
            raise UnprocessableEntity(f"{required}: cannot be null")
    refresh = _changes_availability(workspace, data)
    _apply(workspace, data, cipher)
    workspace = await _flush_unique(session, workspace)
    if refresh:
        # In this transaction: the refresh exists exactly when the new settings do, and a new
        # calendar or token is fetched as soon as a worker is free, not at the next scheduled
        # refresh (until then the new identifier reads as never fetched).
        await enqueue_refresh(session, workspace.id)
    return workspace


async def delete_workspace(session: AsyncSession, workspace_id: uuid.UUID) -> None:
    workspace = await get_workspace(session, workspace_id)
    await WorkspaceRepository(session).delete(workspace)


async def create_api_key(
    session: AsyncSession, workspace_id: uuid.UUID, name: str
) -> ApiKeyCreated:
    await get_workspace(session, workspace_id)
    key = new_api_key()
    api_key = await ApiKeyRepository(session).add(
        ApiKey(workspace_id=workspace_id, name=name, prefix=key[:10], key_hash=hash_api_key(key))
    )
    return ApiKeyCreated(
        id=api_key.id,
        workspace_id=workspace_id,
        name=api_key.name,
        prefix=api_key.prefix,
        key=key,
        created_at=api_key.created_at,
    )


def to_api_key_read(api_key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead(
        id=api_key.id,
        workspace_id=api_key.workspace_id,
        name=api_key.name,
        prefix=api_key.prefix,
        created_at=api_key.created_at,
        revoked_at=api_key.revoked_at,
    )


async def list_api_keys(
    session: AsyncSession, workspace_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[ApiKey], int]:
    await get_workspace(session, workspace_id)
    return await ApiKeyRepository(session).list_for_workspace(
        workspace_id, limit=limit, offset=offset
    )


async def revoke_api_key(session: AsyncSession, workspace_id: uuid.UUID, key_id: uuid.UUID) -> None:
    """Effective on the next request: every request looks its key up among unrevoked ones.
    Revoking again is a no-op, so a retried call cannot fail or move the revocation time."""
    await get_workspace(session, workspace_id)
    if await ApiKeyRepository(session).revoke(workspace_id, key_id) is None:
        raise NotFound(f"API key {key_id} not found in workspace {workspace_id}")
