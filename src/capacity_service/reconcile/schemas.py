import uuid

from pydantic import Field

from capacity_service.kit.enums import Provider
from capacity_service.kit.schemas import ResponseSchema, Schema, UtcDatetime


class ReconcileRequest(Schema):
    lead_id: uuid.UUID | None = Field(default=None, description="Only this lead's appointments.")
    provider: Provider | None = Field(
        default=None, description="Only this provider; default every configured one."
    )
    start_from: UtcDatetime | None = Field(
        default=None, description="Appointments starting at or after (default now - 30 days)."
    )
    start_to: UtcDatetime | None = Field(
        default=None, description="Appointments starting before (default now + 90 days)."
    )


class ReconcileProviderResult(ResponseSchema):
    provider: Provider
    seen: int = Field(description="Appointments the provider reported.")
    written: int = Field(description="Appointments passed through the upsert.")
    canceled_missing: int = Field(
        description="HighLevel appointments held as CONFIRMED in the reconciled scope that the "
        "provider no longer lists nor finds: written as CANCELED."
    )
    skipped: str | None = Field(description="Why the provider was not asked, if it was not.")
    errors: list[str]


class ReconcileResponse(ResponseSchema):
    results: list[ReconcileProviderResult]
