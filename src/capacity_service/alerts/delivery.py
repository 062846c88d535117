"""Sending one attempt of an alert webhook, and deciding what happens after it.

No transaction is open while the receiver answers: the delivery is read in one, the POST is
made, and the outcome (with the next attempt, if any) is written in another. Retries are new
queue jobs with `execute_after`, so a slow receiver holds no worker and survives restarts.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service import __version__
from capacity_service.alerts.dispatch import enqueue_delivery_attempt
from capacity_service.alerts.repository import AlertDeliveryRepository, AlertSettingsRepository
from capacity_service.alerts.signing import SIGNATURE_HEADER, signature_header
from capacity_service.config import Settings
from capacity_service.kit.secrets import SecretCipher, SecretDecryptionError
from capacity_service.kit.time import utcnow
from capacity_service.models import Alert

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class _Prepared:
    url: str
    body: bytes
    secret: str | None
    error: str | None
    event_type: str


def backoff_seconds(settings: Settings, attempts_made: int) -> float:
    """Delay before the next attempt: the base, doubled per failed attempt, capped at an hour."""
    delay: float = settings.alert_delivery_backoff_seconds * 2 ** (attempts_made - 1)
    return min(delay, MAX_BACKOFF_SECONDS)


def encode_body(payload: dict[str, object]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


async def _prepare(
    session: AsyncSession, delivery_id: uuid.UUID, cipher: SecretCipher, settings: Settings
) -> _Prepared | None:
    delivery = await AlertDeliveryRepository(session).lock(delivery_id)
    if delivery is None or delivery.status != "pending":
        return None
    secret: str | None = None
    error: str | None = None
    if delivery.target == "operator":
        if settings.alert_webhook_secret is not None:
            secret = settings.alert_webhook_secret.get_secret_value()
    else:
        alert = await session.get(Alert, delivery.alert_id)
        row = await AlertSettingsRepository(session).get(alert.workspace_id) if alert else None
        try:
            secret = cipher.decrypt_optional(row.webhook_secret_encrypted if row else None)
        except SecretDecryptionError as exc:
            error = str(exc)
    if secret is None and error is None:
        error = "no signing secret is configured for this webhook"
    return _Prepared(
        url=delivery.url,
        body=encode_body(delivery.payload),
        secret=secret,
        error=error,
        event_type=str(delivery.payload.get("type", "")),
    )


async def _post(
    client: httpx.AsyncClient, prepared: _Prepared, delivery_id: uuid.UUID, now: datetime
) -> tuple[int | None, str | None]:
    """(status code, error); error is None only for a 2xx."""
    assert prepared.secret is not None
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"capacity-service/{__version__}",
        SIGNATURE_HEADER: signature_header(prepared.secret, timestamp, prepared.body),
        "Capacity-Event": prepared.event_type,
        "Capacity-Delivery": str(delivery_id),
    }
    try:
        response = await client.post(prepared.url, content=prepared.body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"receiver answered HTTP {response.status_code}"


async def attempt_delivery(
    sessionmaker: async_sessionmaker[AsyncSession],
    cipher: SecretCipher,
    settings: Settings,
    delivery_id: uuid.UUID,
    *,
    client: httpx.AsyncClient | None = None,
    now: datetime | None = None,
) -> str | None:
    """Make one attempt; returns the delivery's status after it (None if it needs none)."""
    async with sessionmaker() as session, session.begin():
        prepared = await _prepare(session, delivery_id, cipher, settings)
    if prepared is None:
        return None

    attempted_at = now or utcnow()
    status_code: int | None = None
    error = prepared.error
    if error is None:
        timeout = httpx.Timeout(settings.alert_delivery_timeout_seconds)
        if client is None:
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as own:
                status_code, error = await _post(own, prepared, delivery_id, attempted_at)
        else:
            status_code, error = await _post(client, prepared, delivery_id, attempted_at)

    async with sessionmaker() as session, session.begin():
        delivery = await AlertDeliveryRepository(session).lock(delivery_id)
        if delivery is None or delivery.status != "pending":
            return None
        delivery.attempts += 1
        delivery.last_attempt_at = attempted_at
        delivery.last_status_code = status_code
        delivery.last_error = error
        if error is None:
            delivery.status = "delivered"
            delivery.delivered_at = attempted_at
            delivery.next_attempt_at = None
        elif delivery.attempts >= settings.alert_delivery_max_attempts:
            delivery.status = "failed"
            delivery.next_attempt_at = None
            logger.warning(
                "alert webhook gave up after %d attempts: delivery=%s url=%s: %s",
                delivery.attempts,
                delivery.id,
                delivery.url,
                error,
            )
        else:
            delay = backoff_seconds(settings, delivery.attempts)
            delivery.next_attempt_at = attempted_at + timedelta(seconds=delay)
            await enqueue_delivery_attempt(
                session, delivery.id, delivery.attempts + 1, delay_seconds=delay
            )
        await session.flush()
        return delivery.status
