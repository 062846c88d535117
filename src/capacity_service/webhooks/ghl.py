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
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.models import WebhookEvent
from capacity_service.providers.ghl.mapper import GHL_DELETED_STATUS, ghl_appointment_to_domain
from capacity_service.providers.ghl.schemas import GhlAppointment
from capacity_service.providers.types import ProviderAppointment
from capacity_service.webhooks.service import (
    IGNORED,
    InvalidPayload,
    Processed,
    UnknownWorkspace,
    Verdict,
    parse_part,
    record_appointment,
    verdict_of,
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


@dataclasses.dataclass(frozen=True, slots=True)
class LocationAppointment:
    """An appointment state and the HighLevel location (workspace) it belongs to."""

    location_id: str
    appointment: ProviderAppointment


def interpret(document: dict[str, Any]) -> LocationAppointment | Processed:
    """What the delivery says, from the body alone; InvalidPayload when it lacks what its
    type needs. Pure, so receipt (422 at once) and processing apply the same rules."""
    name = event_type_of(document)
    if name is None:
        raise InvalidPayload("type: Field required")
    if name not in HANDLED_EVENTS:
        return Processed(IGNORED, note=f"event {name!r} is not handled")
    envelope = parse_part(GhlEnvelope, document)
    if not envelope.location_id:
        raise InvalidPayload("locationId: Field required")
    if envelope.appointment is None:
        raise InvalidPayload("appointment: Field required")
    wire = parse_part(GhlAppointment, envelope.appointment, field="appointment")
    appointment = ghl_appointment_to_domain(wire, location_id=envelope.location_id)
    if envelope.type == APPOINTMENT_DELETE:
        appointment = dataclasses.replace(appointment, status=GHL_DELETED_STATUS)
    return LocationAppointment(envelope.location_id, appointment)


def unknown_location(location_id: str) -> str:
    return f"no workspace has HighLevel location {location_id}"


async def verdict(
    document: dict[str, Any], workspace_of_location: Callable[[str], Awaitable[uuid.UUID | None]]
) -> Verdict:
    """The body's verdict, with the workspace of its location (one indexed read)."""
    try:
        result = interpret(document)
    except InvalidPayload as exc:
        return Verdict.reject(exc)
    if isinstance(result, Processed):
        return verdict_of(result, None)
    workspace_id = await workspace_of_location(result.location_id)
    if workspace_id is None:
        return Verdict.unknown(unknown_location(result.location_id))
    return verdict_of(result.appointment, workspace_id)


async def process(session: AsyncSession, event: WebhookEvent) -> Processed:
    result = interpret(json.loads(event.raw_body))
    if isinstance(result, Processed):
        return dataclasses.replace(result, workspace_id=event.workspace_id)
    workspace = await WorkspaceRepository(session).get_by_ghl_location(result.location_id)
    if workspace is None:
        raise UnknownWorkspace(unknown_location(result.location_id))
    return await record_appointment(session, workspace.id, result.appointment)
