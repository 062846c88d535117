"""Verification of a delivery before anything is stored: signature, freshness, JSON shape."""

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from capacity_service.exceptions import BadRequest, NotFound, Unauthorized
from capacity_service.kit.dependencies import SettingsDep
from capacity_service.kit.time import to_utc
from capacity_service.webhooks.repository import ReceiptRepository
from capacity_service.webhooks.signatures import SignatureError, verify_calendly, verify_ghl
from capacity_service.webhooks.signing_keys import CalendlySigningKeys


@dataclass(frozen=True, slots=True)
class Delivery:
    raw_body: bytes
    document: dict[str, Any]
    workspace_id: uuid.UUID | None = None


def _json_object(raw_body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(raw_body)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise BadRequest("the body must be a JSON object")
    return document


async def verified_calendly_delivery(
    workspace_id: uuid.UUID,
    raw_body: bytes,
    signature: str | None,
    *,
    keys: CalendlySigningKeys,
    receipts: ReceiptRepository,
    tolerance_seconds: int,
) -> Delivery:
    """The delivery, if its signature is the workspace's: 404 for an unknown workspace, 401
    for one without a key or a signature that does not verify."""
    key = await keys.get(receipts, workspace_id)
    if key is None:
        raise NotFound(f"workspace {workspace_id} not found")
    try:
        _verify(signature, raw_body, key.key, tolerance_seconds)
    except SignatureError as exc:
        fresh = await keys.read(receipts, workspace_id) if key.held else None
        if fresh is None or fresh.key == key.key:
            raise Unauthorized(str(exc)) from None
        try:  # the held key was rotated moments ago; its notification is still on its way
            _verify(signature, raw_body, fresh.key, tolerance_seconds)
        except SignatureError as again:
            raise Unauthorized(str(again)) from None
    return Delivery(raw_body=raw_body, document=_json_object(raw_body), workspace_id=workspace_id)


def _verify(
    signature: str | None, raw_body: bytes, key: str | None, tolerance_seconds: int
) -> None:
    if key is None:
        raise SignatureError("this workspace has no Calendly webhook signing key to verify with")
    verify_calendly(signature, raw_body, key, now=time.time(), tolerance_seconds=tolerance_seconds)


def _check_ghl_timestamp(document: dict[str, Any], tolerance_seconds: int) -> None:
    """Replay protection by the body's `timestamp`. Appointment examples carry none; such a
    body is accepted and relies on `webhookId` / body-hash de-duplication instead."""
    value = document.get("timestamp")
    if value is None:
        return
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            sent = float(value) / (1000 if value > 10**11 else 1)
        elif isinstance(value, str):
            sent = to_utc(datetime.fromisoformat(value.replace("Z", "+00:00"))).timestamp()
        else:
            raise ValueError
    except ValueError:
        raise BadRequest("timestamp: not an ISO-8601 time") from None
    if abs(time.time() - sent) > tolerance_seconds:
        raise Unauthorized(f"webhook timestamp is outside the {tolerance_seconds}s tolerance")


async def ghl_delivery(
    request: Request,
    settings: SettingsDep,
    signature: Annotated[
        str | None,
        Header(alias="X-GHL-Signature", description="Base64 Ed25519 signature of the raw body."),
    ] = None,
    legacy_signature: Annotated[
        str | None,
        Header(
            alias="x-wh-signature",
            description="Legacy: base64 RSA-SHA256 (PKCS#1 v1.5) signature of the raw body.",
        ),
    ] = None,
) -> Delivery:
    raw_body = await request.body()
    try:
        verify_ghl(
            signature,
            legacy_signature,
            raw_body,
            ed25519_pem=settings.ghl_webhook_public_key,
            rsa_pem=settings.ghl_webhook_legacy_public_key,
        )
    except SignatureError as exc:
        raise Unauthorized(str(exc)) from None
    document = _json_object(raw_body)
    _check_ghl_timestamp(document, settings.ghl_webhook_tolerance_seconds)
    return Delivery(raw_body=raw_body, document=document)


GhlDeliveryDep = Annotated[Delivery, Depends(ghl_delivery)]
