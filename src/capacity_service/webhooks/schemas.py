import uuid
from typing import Literal

from pydantic import Field

from capacity_service.kit.enums import Provider
from capacity_service.kit.schemas import ResponseSchema, UtcDatetime

WebhookStatus = Literal["received", "processed", "ignored", "failed"]


class WebhookAck(ResponseSchema):
    """The delivery is stored; `status` says what processing made of it."""

    event_id: uuid.UUID
    status: WebhookStatus
    duplicate: bool = Field(description="True when this delivery was already stored.")
    error: str | None = None


class WebhookEventRead(ResponseSchema):
    id: uuid.UUID
    provider: Provider
    event_key: str
    event_type: str | None
    workspace_id: uuid.UUID | None
    status: WebhookStatus
    error: str | None
    attempts: int
    received_at: UtcDatetime
    processed_at: UtcDatetime | None
