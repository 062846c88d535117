import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, HttpUrl, field_validator

from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.schemas import ResponseSchema, Schema, UtcDatetime


def _valid_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r} (e.g. 'America/New_York')") from None
    return value


def _valid_uri(value: str | None) -> str | None:
    if value is None:
        return None
    HttpUrl(value)
    return value


def _header_safe_token(value: str | None) -> str | None:
    """Tokens travel in an Authorization header: anything but visible ASCII would fail every
    provider call later, so it is refused now."""
    if value is not None and not all("!" <= c <= "~" for c in value):
        raise ValueError("must be visible ASCII characters without spaces")
    return value


class WorkspaceSettingsFields(Schema):
    """Calendar settings and provider credentials; secrets are write-only."""

    ghl_location_id: str | None = Field(default=None, max_length=100)
    ghl_access_token: str | None = Field(default=None, max_length=4000, description="Write-only.")
    ghl_default_calendar_id: str | None = Field(default=None, max_length=100)
    ghl_direct_book_calendar_id: str | None = Field(default=None, max_length=100)
    calendly_access_token: str | None = Field(
        default=None, max_length=4000, description="Write-only."
    )
    calendly_organization_uri: str | None = Field(default=None, max_length=500)
    calendly_webhook_signing_key: str | None = Field(
        default=None, max_length=500, description="Write-only."
    )
    calendly_default_event_type_uri: str | None = Field(default=None, max_length=500)
    calendly_direct_book_event_type_uri: str | None = Field(default=None, max_length=500)
    default_source_provider: Provider | None = Field(
        default=None, description="Which provider is DEFAULT's availability when both are set."
    )
    direct_book_source_provider: Provider | None = None

    _uris = field_validator(
        "calendly_organization_uri",
        "calendly_default_event_type_uri",
        "calendly_direct_book_event_type_uri",
    )(_valid_uri)
    _tokens = field_validator("ghl_access_token", "calendly_access_token")(_header_safe_token)


class WorkspaceCreate(WorkspaceSettingsFields):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="UTC", description="IANA time zone of the client.")

    _tz = field_validator("timezone")(_valid_timezone)


class WorkspaceUpdate(WorkspaceSettingsFields):
    """Only the fields present are changed; `null` clears a setting."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = None

    _tz = field_validator("timezone")(_valid_timezone)


class SourceConfigRead(ResponseSchema):
    source: AvailabilitySource
    provider: Provider | None
    identifier: str | None


class WorkspaceRead(ResponseSchema):
    id: uuid.UUID
    name: str
    timezone: str
    ghl_location_id: str | None
    ghl_access_token_set: bool
    ghl_default_calendar_id: str | None
    ghl_direct_book_calendar_id: str | None
    calendly_access_token_set: bool
    calendly_organization_uri: str | None
    calendly_webhook_signing_key_set: bool
    calendly_default_event_type_uri: str | None
    calendly_direct_book_event_type_uri: str | None
    default_source_provider: Provider | None
    direct_book_source_provider: Provider | None
    sources: list[SourceConfigRead]
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ApiKeyCreate(Schema):
    name: str = Field(default="default", min_length=1, max_length=100)


class ApiKeyCreated(ResponseSchema):
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    prefix: str
    key: str = Field(description="Shown once; only its hash is stored.")
    created_at: UtcDatetime


class ApiKeyRead(ResponseSchema):
    """A key as listed: never the key or its hash."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    prefix: str = Field(description="The key's first 10 characters, to recognise it.")
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None
