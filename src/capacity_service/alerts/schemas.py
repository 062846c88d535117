"""Wire shapes of alerts, their deliveries and a workspace's alert settings."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field, HttpUrl, field_validator

from capacity_service.alerts.rules import AlertKind, AlertScope
from capacity_service.kit.schemas import ResponseSchema, Schema, UtcDatetime


class AlertRead(ResponseSchema):
    id: uuid.UUID
    workspace_id: uuid.UUID
    workspace_name: str
    kind: AlertKind = Field(
        description="over_capacity, under_used, no_availability, data_quality_auth "
        "(the provider refuses the workspace's credentials) or data_quality_not_found "
        "(the calendar or event type is gone)."
    )
    scope: AlertScope = Field(description="combined, or the availability source it is about.")
    state: str = Field(description="open or cleared.")
    summary: str
    figures: dict[str, Any] = Field(description="The figures of the evaluation that opened it.")
    cleared_figures: dict[str, Any] | None = Field(
        description="The figures of the evaluation that cleared it."
    )
    opened_at: UtcDatetime
    cleared_at: UtcDatetime | None


class AlertDeliveryRead(ResponseSchema):
    id: uuid.UUID
    event: str = Field(description="fired or cleared.")
    target: str = Field(description="workspace (its own webhook) or operator (service-wide).")
    url: str
    status: str = Field(description="pending (being retried), delivered or failed (gave up).")
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: UtcDatetime
    last_attempt_at: UtcDatetime | None
    next_attempt_at: UtcDatetime | None
    delivered_at: UtcDatetime | None


class AlertDetail(AlertRead):
    deliveries: list[AlertDeliveryRead]


class EvaluationRead(ResponseSchema):
    fired: list[AlertRead]
    cleared: list[AlertRead]
    deliveries_queued: int


class AlertSettingsUpdate(Schema):
    """Only the fields present change; `null` returns a threshold to the service default."""

    over_capacity_pct: float | None = Field(
        default=None, ge=0, le=100, description="Alert when % booked is at or above this."
    )
    under_used_pct: float | None = Field(
        default=None, ge=0, le=100, description="Alert when % booked is at or below this."
    )
    webhook_url: str | None = Field(
        default=None, max_length=2000, description="Where this workspace's alerts are POSTed."
    )
    webhook_secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=500,
        description="Write-only HMAC-SHA256 key for the Capacity-Signature header.",
    )

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = HttpUrl(value)
        if url.scheme not in ("http", "https"):
            raise ValueError("must be an http(s) URL")
        return value


class AlertSettingsRead(ResponseSchema):
    workspace_id: uuid.UUID
    over_capacity_pct: float | None = Field(description="This workspace's own threshold.")
    under_used_pct: float | None
    effective_over_capacity_pct: float = Field(description="The threshold in force.")
    effective_under_used_pct: float | None = Field(description="Null: under-used alerts off.")
    webhook_url: str | None
    webhook_secret_set: bool
    operator_webhook_configured: bool = Field(
        description="Whether the service-wide webhook also receives this workspace's alerts."
    )
