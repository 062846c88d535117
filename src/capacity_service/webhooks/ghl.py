"""HighLevel `AppointmentCreate` / `AppointmentUpdate` / `AppointmentDelete` webhooks (§2.4).

Dispatch is on `type` (the published Update/Delete examples wrongly say AppointmentCreate, but
live deliveries carry their own type). The workspace is the one whose `ghlLocationId` is the
body's `locationId`; an unknown location is stored (status ignored, with the reason), answered
404, and can be replayed once the workspace is registered.

Event key: `webhookId` when the body carries one, else the SHA-256 of the raw body, so an
identical redelivery is stored and applied once either way.
"""

import dataclasses
import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.models import WebhookEvent
from capacity_service.providers.ghl.mapper import GHL_DELETED_STATUS, ghl_appointment_to_domain
from capacity_service.providers.ghl.schemas import GhlAppointment
from capacity_service.webhooks.service import (
    IGNORED,
    InvalidPayload,
    Processed,
    UnknownWorkspace,
    parse_part,
    record_appointment,
)
from capacity_service.workspaces.repository import WorkspaceRepository

APPOINTMENT_CREATE = "AppointmentCreate"
APPOINTMENT_UPDATE = "AppointmentUpdate"
APPOINTMENT_DELETE = "AppointmentDelete"
HANDLED_EVENTS = frozenset({APPOINTMENT_CREATE, APPOINTMENT_UPDATE, APPOINTMENT_DELETE})


class GhlEnvelope(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    type: str
    location_id: str | None = None
    appointment: dict[str, Any] | None = None


def event_type_of(document: dict[str, Any]) -> str | None:
    value = document.get("type")
    return value[:100] if isinstance(value, str) else None


def event_key(document: dict[str, Any], raw_body: bytes) -> str:
    webhook_id = document.get("webhookId")
    if isinstance(webhook_id, str) and webhook_id.strip():
        return "id:" + webhook_id.strip()[:190]
    return "body:" + hashlib.sha256(raw_body).hexdigest()


async def process(session: AsyncSession, event: WebhookEvent) -> Processed:
    document = json.loads(event.raw_body)
    name = event_type_of(document)
    if name is None:
        raise InvalidPayload("type: Field required")
    if name not in HANDLED_EVENTS:
        return Processed(IGNORED, event.workspace_id, f"event {name!r} is not handled")
    envelope = parse_part(GhlEnvelope, document)
    if not envelope.location_id:
        raise InvalidPayload("locationId: Field required")
    workspace = await WorkspaceRepository(session).get_by_ghl_location(envelope.location_id)
    if workspace is None:
        raise UnknownWorkspace(f"no workspace has HighLevel location {envelope.location_id}")
    if envelope.appointment is None:
        raise InvalidPayload("appointment: Field required")
    wire = parse_part(GhlAppointment, envelope.appointment, field="appointment")
    appointment = ghl_appointment_to_domain(wire, location_id=envelope.location_id)
    if envelope.type == APPOINTMENT_DELETE:
        appointment = dataclasses.replace(appointment, status=GHL_DELETED_STATUS)
    return await record_appointment(session, workspace.id, appointment)
