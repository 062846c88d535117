import uuid

from pydantic import Field

from capacity_service.kit.schemas import ResponseSchema, Schema, UtcDatetime


class CampaignCreate(Schema):
    name: str = Field(min_length=1, max_length=200)


class CampaignRead(ResponseSchema):
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    created_at: UtcDatetime
