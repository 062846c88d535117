import uuid

from pydantic import Field

from capacity_service.kit.schemas import ResponseSchema


class CallerRead(ResponseSchema):
    """Who the bearer token belongs to, so a page knows which workspace to show."""

    admin: bool = Field(description="The admin token: every workspace and /v1/admin/*.")
    workspace_id: uuid.UUID | None = Field(
        description="The workspace of a workspace API key; null for the admin token."
    )
    workspace_name: str | None = None
