import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from capacity_service.auth import AdminDep
from capacity_service.db import SessionDep, autocommit_connection
from capacity_service.exceptions import (
    BadRequest,
    ErrorBody,
    Forbidden,
    NotFound,
    Unauthorized,
    error_responses,
)
from capacity_service.kit.enums import Provider
from capacity_service.kit.pagination import PageDep
from capacity_service.kit.schemas import Page
from capacity_service.webhooks import calendly, ghl, service
from capacity_service.webhooks.dependencies import GhlDeliveryDep, verified_calendly_delivery
from capacity_service.webhooks.processors import PROCESSORS
from capacity_service.webhooks.repository import ReceiptRepository, WebhookEventRepository
from capacity_service.webhooks.schemas import WebhookAck, WebhookEventRead, WebhookStatus

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

_STORED_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown workspace."},
    422: {
        "model": ErrorBody,
        "description": "Stored as failed, not processed: the payload lacks what its event "
        "type needs.",
    },
}


def _answer(receipt: service.Receipt) -> JSONResponse:
    """200 once stored (`received`: queued for processing), except that a stored payload we
    cannot use is 422 (its sender's fault) and an unknown HighLevel location 404; both are
    still kept for a replay. The body is WebhookAck's shape, written out directly: this runs on
    every delivery, and a model built only to be dumped cost more than the rest of the answer."""
    ack = {
        "eventId": str(receipt.event_id),
        "status": receipt.status,
        "duplicate": receipt.duplicate,
        "error": receipt.error,
    }
    if receipt.invalid:
        body = {"error": "invalid_payload", "detail": receipt.error or "invalid payload", **ack}
        return JSONResponse(body, status_code=422)
    if receipt.unknown_workspace:
        body = {"error": "not_found", "detail": receipt.error or "unknown workspace", **ack}
        return JSONResponse(body, status_code=404)
    return JSONResponse(ack, status_code=200)


_CALENDLY_SIGNATURE = Header(
    alias="Calendly-Webhook-Signature",
    description="t=<unix seconds>,v1=<hex HMAC-SHA256 of 't.' + raw body>",
)


@router.post(
    "/calendly/{workspace_id}",
    response_model=WebhookAck,
    responses={
        **error_responses(BadRequest, Unauthorized),
        **_STORED_ERRORS,
        503: {"model": ErrorBody, "description": "The database is unavailable; retry later."},
    },
)
async def calendly_webhook(
    workspace_id: uuid.UUID,
    request: Request,
    signature: Annotated[str | None, _CALENDLY_SIGNATURE] = None,
) -> JSONResponse:
    """Calendly `invitee.created`, `invitee.canceled`, `invitee_no_show.created|deleted`.

    Verified with the workspace's signing key (`Calendly-Webhook-Signature`, tolerance
    `CAPACITY_CALENDLY_WEBHOOK_TOLERANCE_SECONDS`); answered only after the raw body is stored
    and its processing queued (`status: received`); a worker applies it moments later. Other
    event types are stored and acknowledged as `ignored`.
    """
    state = request.app.state
    raw_body = await request.body()
    async with autocommit_connection(state.sessionmaker) as connection:
        receipts = ReceiptRepository(connection)
        delivery = await verified_calendly_delivery(
            workspace_id,
            raw_body,
            signature,
            keys=state.calendly_signing_keys,
            receipts=receipts,
            tolerance_seconds=state.settings.calendly_webhook_tolerance_seconds,
        )
        receipt = await service.receive(
            receipts,
            state.sessionmaker,
            calendly.verdict(workspace_id, delivery.document),
            provider=Provider.CALENDLY,
            event_key=calendly.event_key(workspace_id, delivery.document, delivery.raw_body),
            event_type=calendly.event_type_of(delivery.document),
            workspace_id=workspace_id,
            raw_body=delivery.raw_body,
        )
    return _answer(receipt)


@router.post(
    "/ghl",
    response_model=WebhookAck,
    responses={
        **error_responses(BadRequest, Unauthorized),
        **_STORED_ERRORS,
        503: {"model": ErrorBody, "description": "The database is unavailable; retry later."},
    },
)
async def ghl_webhook(request: Request, delivery: GhlDeliveryDep) -> JSONResponse:
    """HighLevel `AppointmentCreate`, `AppointmentUpdate`, `AppointmentDelete`.

    `X-GHL-Signature` (Ed25519) is checked first, the legacy `x-wh-signature` (RSA) only when
    it is absent; neither is 401. A body `timestamp` outside
    `CAPACITY_GHL_WEBHOOK_TOLERANCE_SECONDS` is 401; `webhookId` de-duplicates. Answered once
    stored and queued (`status: received`); a worker applies it moments later.
    """
    sessionmaker = request.app.state.sessionmaker
    async with autocommit_connection(sessionmaker) as connection:
        receipts = ReceiptRepository(connection)
        receipt = await service.receive(
            receipts,
            sessionmaker,
            await ghl.verdict(delivery.document, receipts.workspace_of_location),
            provider=Provider.GHL,
            event_key=ghl.event_key(delivery.document, delivery.raw_body),
            event_type=ghl.event_type_of(delivery.document),
            workspace_id=None,
            raw_body=delivery.raw_body,
        )
    return _answer(receipt)


admin_router = APIRouter(
    prefix="/v1/admin/webhook-events",
    tags=["admin: webhook events"],
    dependencies=[AdminDep],
    responses=error_responses(Unauthorized, Forbidden),
)


@admin_router.get("")
async def list_webhook_events(
    session: SessionDep,
    page: PageDep,
    status: WebhookStatus | None = None,
    provider: Provider | None = None,
    workspace_id: Annotated[uuid.UUID | None, Query(alias="workspaceId")] = None,
) -> Page[WebhookEventRead]:
    """Stored deliveries, newest first; `?status=failed` lists what needs a replay."""
    rows, total = await WebhookEventRepository(session).list(
        status=status,
        provider=provider,
        workspace_id=workspace_id,
        limit=page.limit,
        offset=page.offset,
    )
    return Page[WebhookEventRead](
        items=[WebhookEventRead.model_validate(e) for e in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@admin_router.get("/{event_id}", responses=error_responses(NotFound))
async def get_webhook_event(event_id: uuid.UUID, session: SessionDep) -> WebhookEventRead:
    event = await WebhookEventRepository(session).get(event_id)
    if event is None:
        raise NotFound(f"webhook event {event_id} not found")
    return WebhookEventRead.model_validate(event)


@admin_router.post("/{event_id}/replay", responses=error_responses(NotFound))
async def replay_webhook_event(event_id: uuid.UUID, session: SessionDep) -> WebhookEventRead:
    """Process a stored delivery again from its raw body, e.g. after a fix or after the
    workspace of an unknown HighLevel location was registered. Idempotent."""
    outcome = await service.replay(session, PROCESSORS, event_id)
    return WebhookEventRead.model_validate(outcome.event)
