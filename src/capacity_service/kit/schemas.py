"""Wire-model base: camelCase JSON outside, snake_case Python inside, timestamps as ISO UTC."""

from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic.alias_generators import to_camel

from capacity_service.kit.time import iso_utc, to_utc

UtcDatetime = Annotated[
    datetime,
    AfterValidator(to_utc),
    PlainSerializer(iso_utc, return_type=str),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "example": "2026-01-31T14:30:00.000Z"}
    ),
]
"""A datetime that is always aware UTC in Python and an ISO-8601 `...Z` string on the wire."""


class Schema(BaseModel):
    """Base of every request and response body."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        extra="forbid",
    )


class ResponseSchema(Schema):
    """Responses ignore unknown attributes of the objects they are built from."""

    model_config = ConfigDict(extra="ignore")


T = TypeVar("T")


class Page(ResponseSchema, Generic[T]):
    """One page of a list; `total` lets a client page without guessing."""

    items: list[T]
    total: int
    limit: int
    offset: int
