from fastapi import APIRouter

from capacity_service.auth import CallerWorkspaceDep
from capacity_service.bookings.service import provider_failure
from capacity_service.db import SessionDep
from capacity_service.exceptions import (
    BadGateway,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from capacity_service.kit.dependencies import CipherDep, ProvidersDep
from capacity_service.providers.errors import ProviderError
from capacity_service.reconcile import service
from capacity_service.reconcile.schemas import (
    ReconcileProviderResult,
    ReconcileRequest,
    ReconcileResponse,
)

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/reconcile",
    tags=["appointments"],
    responses=error_responses(Unauthorized, NotFound),
)


@router.post("", responses=error_responses(UnprocessableEntity, BadGateway, ServiceUnavailable))
async def reconcile(
    workspace: CallerWorkspaceDep,
    session: SessionDep,
    providers: ProvidersDep,
    cipher: CipherDep,
    body: ReconcileRequest | None = None,
) -> ReconcileResponse:
    """Read appointments back from the workspace's providers (or for one lead) and upsert them
    with their attribution. Runs inline; the same code runs as the scheduled reconcile."""
    request = body or ReconcileRequest()
    if request.provider is None and not service.configured_providers(workspace):
        raise UnprocessableEntity("no provider is configured for this workspace")
    try:
        results = await service.reconcile_workspace(
            session,
            providers,
            cipher,
            workspace,
            provider=request.provider,
            lead_id=request.lead_id,
            start=request.start_from,
            end=request.start_to,
        )
    except ProviderError as exc:
        raise provider_failure(exc, "reconcile failed") from None
    return ReconcileResponse(
        results=[
            ReconcileProviderResult(
                provider=r.provider,
                seen=r.seen,
                written=r.written,
                canceled_missing=r.canceled_missing,
                skipped=r.skipped,
                errors=r.errors,
            )
            for r in results
        ]
    )
