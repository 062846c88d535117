"""Calendly `invitee.*` and `invitee_no_show.*` webhooks (providers.md §1.4, §1.6).

Event key: Calendly sends no delivery id. A redelivery repeats the envelope exactly, so the key
is a SHA-256 of (workspace, `event`, `payload.uri`, `payload.updated_at`, envelope
`created_at`): a retry collides with its first delivery even if re-serialised, while a cancel,
a no-show and its undo of the same invitee are distinct events. A body without these fields is
keyed by the SHA-256 of its bytes.

Ordering: an event's version is the later of the invitee's `updated_at` and the envelope's
`created_at`, so events that do not bump `updated_at` (a no-show undone) still order correctly.
"""

import dataclasses
import hashlib
import json
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.enums import AppointmentStatus
from capacity_service.models import WebhookEvent
from capacity_service.providers.calendly.mapper import webhook_payload_to_appointment
from capacity_service.providers.calendly.schemas import CalendlyWebhookPayload
from capacity_service.providers.timestamps import UtcDatetime
from capacity_service.providers.types import ProviderAppointment
from capacity_service.webhooks.service import (
    IGNORED,
    InvalidPayload,
    Processed,
    Verdict,
    parse_part,
    record_appointment,
    verdict_of,
)

INVITEE_CREATED = "invitee.created"
INVITEE_CANCELED = "invitee.canceled"
NO_SHOW_CREATED = "invitee_no_show.created"
NO_SHOW_DELETED = "invitee_no_show.deleted"
HANDLED_EVENTS = frozenset({INVITEE_CREATED, INVITEE_CANCELED, NO_SHOW_CREATED, NO_SHOW_DELETED})


class CalendlyEnvelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event: str
    created_at: UtcDatetime | None = None
    payload: dict[str, Any]


def event_type_of(document: dict[str, Any]) -> str | None:
    event = document.get("event")
    return event[:100] if isinstance(event, str) else None


def event_key(workspace_id: uuid.UUID, document: dict[str, Any], raw_body: bytes) -> str:
    payload = document.get("payload")
    uri = payload.get("uri") if isinstance(payload, dict) else None
    created_at = document.get("created_at")
    if isinstance(uri, str) and isinstance(created_at, str):
        assert isinstance(payload, dict)
        identity = "|".join(
            [
                str(workspace_id),
                str(document.get("event")),
                uri,
                str(payload.get("updated_at")),
                created_at,
            ]
        )
        return "event:" + hashlib.sha256(identity.encode()).hexdigest()
    return "body:" + hashlib.sha256(raw_body).hexdigest()


def _status(event: str, payload: CalendlyWebhookPayload, mapped: AppointmentStatus | None) -> Any:
    """The event name decides where the payload alone is ambiguous (§1.6)."""
    rescheduled = payload.rescheduled or payload.new_invitee is not None
    if event == INVITEE_CANCELED:
        return AppointmentStatus.RESCHEDULED if rescheduled else AppointmentStatus.CANCELED
    if event == NO_SHOW_CREATED:
        return AppointmentStatus.NO_SHOW
    if event == NO_SHOW_DELETED and payload.status.lower() != "canceled":
        return AppointmentStatus.CONFIRMED
    return mapped


def interpret(document: dict[str, Any]) -> ProviderAppointment | Processed:
    """What the delivery says, from the body alone: the appointment state to record, or an
    ignored event type. InvalidPayload when it lacks what its event type needs.

    Pure, so the same rules decide at receipt (answer 422 at once) and when processing.
    """
    name = event_type_of(document)
    if name is None:
        raise InvalidPayload("event: Field required")
    if name not in HANDLED_EVENTS:
        return Processed(IGNORED, note=f"event {name!r} is not handled")
    envelope = parse_part(CalendlyEnvelope, document)
    payload = parse_part(CalendlyWebhookPayload, envelope.payload, field="payload")
    appointment = webhook_payload_to_appointment(payload, payload.scheduled_event)
    versions = [v for v in (payload.updated_at, envelope.created_at) if v is not None]
    return dataclasses.replace(
        appointment,
        status=_status(envelope.event, payload, appointment.status),
        provider_updated_at=max(versions) if versions else None,
    )


def verdict(workspace_id: uuid.UUID, document: dict[str, Any]) -> Verdict:
    try:
        return verdict_of(interpret(document), workspace_id)
    except InvalidPayload as exc:
        return Verdict.reject(exc)


async def process(session: AsyncSession, event: WebhookEvent) -> Processed:
    assert event.workspace_id is not None, "Calendly events are stored with their workspace"
    result = interpret(json.loads(event.raw_body))
    if isinstance(result, Processed):
        return dataclasses.replace(result, workspace_id=event.workspace_id)
    return await record_appointment(session, event.workspace_id, result)
